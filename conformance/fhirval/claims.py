"""Where the definition of a claimed profile comes from, and telling a typo from an unknown profile.

A profile a target claims is looked for, in order, in: base R4, the project's own profiles
(``profiles/fhir``, including the packages the suites rely on, generated there by scripts), the
target's ``claims.packages``, and the FHIR package cache (``~/.fhir/packages`` or
``$FHIR_PACKAGE_CACHE``), whose packages are found by the canonicals their ``.index.json`` lists, the
way SUSHI and the HL7 validator find cached definitions. A claimed URL that none of them defines but
that is one slip away from one they do is a typo in the target file: a configuration error.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path

from conformance.fhirval.packages import PackageCache

OWN_PROFILES = Path(__file__).resolve().parents[2] / "profiles" / "fhir"
HOW_TO_ADD = ("add its package to claims.packages in the target file (a .tgz, a folder, or id#version), or "
              "install it in the FHIR package cache (~/.fhir/packages or $FHIR_PACKAGE_CACHE)")


def cached_packages_defining(urls: Iterable[str], cache: PackageCache | None = None) -> dict[str, Path]:
    """Canonical -> the cached package folder whose ``package/.index.json`` lists it (newest wins)."""
    cache = cache or PackageCache()
    wanted = {u.split("|")[0] for u in urls}
    found: dict[str, Path] = {}
    if not wanted or not cache.root.is_dir():
        return found
    for folder in sorted(cache.root.iterdir(), key=lambda p: p.name):
        index = folder / "package" / ".index.json"
        try:
            files = json.loads(index.read_text(encoding="utf-8")).get("files", [])
        except (OSError, ValueError, AttributeError):
            continue  # no index, or an unreadable one: not a package this lookup can use
        for entry in files if isinstance(files, list) else []:
            url = entry.get("url") if isinstance(entry, dict) else None
            if url in wanted and entry.get("resourceType") == "StructureDefinition":
                found[url] = folder
    return found


def typo_of(url: str, known: Iterable[str]) -> str | None:
    """The known canonical ``url`` is a slip of (one close match, same last segment's shape), else None."""
    pool = [k for k in known if k != url]
    match = difflib.get_close_matches(url, pool, n=1, cutoff=0.9)
    return match[0] if match else None
