"""A profile written another way HL7's validator reads the same: findings that move, no oracle needed.

    .venv/bin/python bench/fhir_profile_invariance.py --guide FOLDER [--guide FOLDER ...] [--package-cache DIR]
        [--rewrite NAME ...] [--show K]

FOLDER is an implementation guide's package folder (``package/`` with its StructureDefinitions and ``example/``),
such as a guide unpacked into a FHIR package cache. Its StructureDefinitions are rewritten in ways that do not
change what HL7's validator does with them, and the guide's examples are validated against each rewrite and
against the guide as published (as ``conformance validate fhir --package FOLDER`` validates them: base R4, the
file's own ``meta.profile``); an error found on one side only is a latent false alarm or missed error of ours
in reading profiles. The rewrites, each argued from HL7's source:

- ``no-ids``: every snapshot element without its ``id``. HL7 walks a snapshot by path and position
  (``ProfileUtilities.getChildMap``), never by id; old and hand-written snapshots have none.
- ``ids-as-paths``: every snapshot element's id its path (slice names lost, so repeated): the same walk.
- ``no-base``: every snapshot element without ``base``. HL7's parser reads JSON arrays by the core definitions,
  never a profile's; a hand-written snapshot may leave ``base`` out.
- ``no-prose``: the prose and mappings (short, definition, comment, requirements, alias, mapping, label, code,
  mustSupport, isSummary, example...), which no rule of the instance walk reads.
- ``versioned``: each ``type.profile``, ``type.targetProfile`` and ``binding.valueSet`` the guide (or R4) holds
  given with ``|version``, the version held: HL7 resolves a versioned canonical to the same resource.
- ``xml``: the StructureDefinitions written as XML (:mod:`conformance.fhirval.xml_write`), the rest as given.

Prints, per rewrite, the examples compared, those whose errors differ and the differences (``--show K`` of
them: file, side, defect, location; the message is not compared,
as it may quote a canonical a rewrite spelled otherwise). Nothing of the guides is kept in this repository.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_examples_alarms import Error, errors_in, files, load

from conformance.fhirval.base import base_source
from conformance.fhirval.source import FHIR_BASE
from conformance.fhirval.xml_write import json_to_xml

Json = dict[str, Any]
PROSE = ("short", "definition", "comment", "requirements", "alias", "mapping", "label", "code", "mustSupport",
         "isSummary", "isModifierReason", "example", "meaningWhenMissing", "orderMeaning")


def elements(sd: Json) -> list[Json]:
    return [e for e in (sd.get("snapshot") or {}).get("element") or [] if isinstance(e, dict)]


def no_ids(sd: Json, versions: dict[str, str]) -> None:
    for e in elements(sd):
        e.pop("id", None)


def ids_as_paths(sd: Json, versions: dict[str, str]) -> None:
    for e in elements(sd):
        if isinstance(e.get("path"), str):
            e["id"] = e["path"]


def no_base(sd: Json, versions: dict[str, str]) -> None:
    for e in elements(sd):
        e.pop("base", None)


def no_prose(sd: Json, versions: dict[str, str]) -> None:
    for e in elements(sd):
        for key in PROSE:
            e.pop(key, None)


def _versioned(url: Any, versions: dict[str, str]) -> Any:
    if not isinstance(url, str) or "|" in url:
        return url
    if url in versions:
        return f"{url}|{versions[url]}"
    return f"{url}|4.0.1" if url.startswith(FHIR_BASE) else url


def versioned(sd: Json, versions: dict[str, str]) -> None:
    for e in elements(sd):
        for t in e.get("type") or []:
            for key in ("profile", "targetProfile"):
                if isinstance(t, dict) and isinstance(t.get(key), list):
                    t[key] = [_versioned(u, versions) for u in t[key]]
        binding = e.get("binding")
        if isinstance(binding, dict) and binding.get("valueSet") in versions:
            binding["valueSet"] = _versioned(binding["valueSet"], versions)


REWRITES: dict[str, Callable[[Json, dict[str, str]], None] | None] = {
    "no-ids": no_ids, "ids-as-paths": ids_as_paths, "no-base": no_base, "no-prose": no_prose,
    "versioned": versioned, "xml": None,
}


def read(path: Path) -> Json | None:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def rewritten(guide: Path, name: str, into: Path,
              rewrite: Callable[[Json, dict[str, str]], None] | None = None) -> Path:
    """A copy of the guide's package folder with its StructureDefinitions rewritten (the examples left as given):
    by ``rewrite`` when given (bench/fhir_profile_relaxations.py), else by the rewrite ``name`` names."""
    out = into / name / "package"
    shutil.copytree(guide, out, ignore=shutil.ignore_patterns("example", ".index.json"))
    docs = {p: d for p in out.glob("*.json") if (d := read(p)) is not None}
    versions = {d["url"]: d["version"] for d in docs.values()
                if isinstance(d.get("url"), str) and isinstance(d.get("version"), str)}
    for path, doc in docs.items():
        if doc.get("resourceType") != "StructureDefinition":
            continue
        if name == "xml":
            path.unlink()
            path.with_suffix(".xml").write_bytes(json_to_xml(doc, base_source()))
            continue
        change = rewrite or REWRITES[name]
        assert change is not None
        changed = copy.deepcopy(doc)
        change(changed, versions)
        path.write_text(json.dumps(changed))
    return out


def findings(package: Path, examples: list[Path], cache: Path | None) -> dict[str, set[Error]]:
    """Each example's errors as (file, defect, location, ""): the message left out, as it may quote the canonical
    a rewrite spelled otherwise (``|version``)."""
    load([str(package)], cache)
    return {p.name: {(f, d, loc, "") for f, d, loc, _ in errors_in(p)} for p in examples}


def compare(published: dict[str, set[Error]], other: dict[str, set[Error]]) -> list[tuple[str, str, Error]]:
    """Each error found on one side only: (file, side, error); the side is ``published`` or ``rewritten``."""
    out: list[tuple[str, str, Error]] = []
    for name in sorted(published):
        out += [(name, "published", e) for e in sorted(published[name] - other.get(name, set()))]
        out += [(name, "rewritten", e) for e in sorted(other.get(name, set()) - published[name])]
    return out


def guide_examples(guide: Path) -> tuple[Path, list[Path]] | None:
    """A guide folder's package folder and its examples; None (and a line saying so) when it has none."""
    package = guide / "package" if (guide / "package").is_dir() else guide
    examples = list(files([package / "example"])) if (package / "example").is_dir() else []
    if not examples:
        print(f"{guide}: no example/ folder, not compared")
        return None
    return package, examples


def run(guides: list[Path], names: list[str], cache: Path | None, show: int) -> dict[str, list[Any]]:
    moved: dict[str, list[Any]] = {name: [] for name in names}
    counted = dict.fromkeys(names, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for guide in guides:
            if (found := guide_examples(guide)) is None:
                continue
            package, examples = found
            published = findings(package, examples, cache)
            for name in names:
                other = findings(rewritten(package, name, Path(tmp) / guide.name), examples, cache)
                counted[name] += len(examples)
                moved[name] += [(guide.name, *d) for d in compare(published, other)]
    for name in names:
        files_moved = {(g, f) for g, f, _, _ in moved[name]}
        print(f"{name}: {counted[name]} examples compared; {len(files_moved)} with other errors; "
              f"{len(moved[name])} errors on one side only")
        for guide_name, file, side, (_, defect, location, _) in moved[name][:show]:
            print(f"    {guide_name} {file} [{side}] {defect} {location}")
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guide", type=Path, action="append", required=True, metavar="FOLDER",
                        help="a guide's package folder (repeatable)")
    parser.add_argument("--package-cache", type=Path, metavar="DIR", help="the FHIR package cache for dependencies")
    parser.add_argument("--rewrite", action="append", choices=list(REWRITES), help="rewrites (default: all)")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="print K differences of each rewrite")
    args = parser.parse_args(argv)
    run(args.guide, args.rewrite or list(REWRITES), args.package_cache, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
