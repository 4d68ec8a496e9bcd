"""A profile made looser never makes a valid example invalid: errors a relaxation adds, no oracle needed.

    .venv/bin/python bench/fhir_profile_relaxations.py --guide FOLDER [--guide FOLDER ...] [--package-cache DIR]
        [--relax NAME ...] [--show K]

The companion of bench/fhir_profile_invariance.py (same guides, same loading, same comparison): there a rewrite
must move nothing; here each relaxation removes or widens a constraint of every StructureDefinition of the guide,
so an example may lose errors but must gain none. An error found only against the relaxed guide is a false
alarm of ours there or a missed error in the published form, in how profiles are read. Each relaxation, argued
from HL7's InstanceValidator:

- ``min-zero``: every element's ``min`` 0 (the root aside). A minimum only ever reports "found fewer"
  (checkCardinalities); slices are matched by their discriminators, never by their cardinality.
- ``max-base``: every ``max`` raised to its ``base.max`` (a ``max`` of 0 kept: what is prohibited stays so, as its
  children may be left out of the snapshot). JSON array-ness is the core definitions' (HL7's parser).
- ``open-slicing``: ``closed`` slicing made ``open``: an element matching no slice is then allowed
  (VALIDATION_VAL_PROFILE_NOTSLICE gone); slice matching is unchanged.
- ``no-invariants``: each element's ``constraint``s whose ``source`` is not an R4 core definition removed.
- ``no-bounds``: ``maxLength``, ``minValue[x]`` and ``maxValue[x]`` removed.
- Outside any slicing (an element neither sliced, nor a slice, nor under either; and ``Extension.url`` of an
  extension kept), so that what a discriminator reads is untouched:
  ``no-fixed-pattern`` (``fixed[x]`` / ``pattern[x]`` removed), ``weaker-bindings`` (``required`` and
  ``extensible`` made ``preferred``: a code outside the value set is then information; a code unknown to its
  code system is judged as before), ``no-target-profiles`` (``targetProfile`` removed, so any target type) and
  ``no-type-profiles`` (``type.profile`` removed from types other than Extension).

A relaxation may rightly add errors in one way: a profile that a slice of another names (its ``type.profile`` or
``targetProfile``, read by a ``profile`` or ``type`` discriminator or by ``resolve().conformsTo``), loosened, may
match elements it did not (a second slice matched, VALIDATION_VAL_PROFILE_MATCHMULTIPLE, and the first match kept);
so such profiles are left as published. Read each added error before calling it a defect. Prints, per relaxation,
the examples compared, those with added errors, the added errors by defect and ``--show K`` of them (file, defect,
location). Errors that only the published form has are counted (what the relaxation removed) but not listed.
"""

from __future__ import annotations

import argparse
import collections
import functools
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_examples_alarms import files
from fhir_profile_invariance import Json, compare, elements, findings, read, rewritten

CORE = "http://hl7.org/fhir/StructureDefinition/"
VALUE_KEYS = ("fixed", "pattern")
BOUND_KEYS = ("minValue", "maxValue")


def _not_root(e: Json) -> bool:
    return "." in str(e.get("path", ""))


def min_zero(sd: Json) -> None:
    for e in elements(sd):
        if _not_root(e) and isinstance(e.get("min"), int) and e["min"] > 0:
            e["min"] = 0


def max_base(sd: Json) -> None:
    for e in elements(sd):
        base = e.get("base")
        if _not_root(e) and isinstance(base, dict) and isinstance(base.get("max"), str) and e.get("max") != "0":
            e["max"] = base["max"]


def open_slicing(sd: Json) -> None:
    for e in elements(sd):
        slicing = e.get("slicing")
        if isinstance(slicing, dict) and slicing.get("rules") == "closed":
            slicing["rules"] = "open"


def no_invariants(sd: Json) -> None:
    for e in elements(sd):
        if isinstance(e.get("constraint"), list):
            e["constraint"] = [c for c in e["constraint"]
                               if isinstance(c, dict) and str(c.get("source", "")).startswith(CORE)]


def no_bounds(sd: Json) -> None:
    for e in elements(sd):
        for key in [k for k in e if k == "maxLength" or k.startswith(BOUND_KEYS)]:
            del e[key]


def outside_slicing(sd: Json) -> list[Json]:
    """The snapshot's elements that no discriminator can read: not sliced, not a slice, under neither; an extension's
    own ``Extension.url`` is left out too (it names the extension)."""
    sliced = [str(e.get("path")) for e in elements(sd) if e.get("slicing")]
    out = []
    for e in elements(sd):
        path, ident = str(e.get("path", "")), str(e.get("id", ""))
        if ":" in ident or e.get("sliceName") or any(path == p or path.startswith(p + ".") for p in sliced):
            continue
        if sd.get("type") == "Extension" and path.endswith(".url"):
            continue
        out.append(e)
    return out


def no_fixed_pattern(sd: Json) -> None:
    for e in outside_slicing(sd):
        for key in [k for k in e if k.startswith(VALUE_KEYS)]:
            del e[key]


def weaker_bindings(sd: Json) -> None:
    for e in outside_slicing(sd):
        binding = e.get("binding")
        if isinstance(binding, dict) and binding.get("strength") in ("required", "extensible"):
            binding["strength"] = "preferred"


def no_target_profiles(sd: Json) -> None:
    for e in outside_slicing(sd):
        for t in e.get("type") or []:
            if isinstance(t, dict):
                t.pop("targetProfile", None)


def no_type_profiles(sd: Json) -> None:
    for e in outside_slicing(sd):
        for t in e.get("type") or []:
            if isinstance(t, dict) and t.get("code") != "Extension":
                t.pop("profile", None)


def discriminating(package: Path) -> set[str]:
    """The canonicals of the guide's profiles that a slice of another names (``type.profile`` or ``targetProfile``
    of a slice or an element under one): loosening one of them can rightly make an element match a second slice,
    so they are left as published. Extension slices are matched by their url, so extensions stay in."""
    urls: set[str] = set()
    for path in package.glob("*.json"):
        doc = read(path)
        if doc is None or doc.get("resourceType") != "StructureDefinition":
            continue
        for e in elements(doc):
            if ":" not in str(e.get("id", "")) and not e.get("sliceName"):
                continue
            for t in e.get("type") or []:
                if not isinstance(t, dict) or t.get("code") == "Extension":  # extension slices: by url, not profile
                    continue
                for key in ("profile", "targetProfile"):
                    if isinstance(t.get(key), list):
                        urls |= {str(u).split("|")[0] for u in t[key]}
    return urls


RELAXATIONS: dict[str, Callable[[Json], None]] = {
    "min-zero": min_zero, "max-base": max_base, "open-slicing": open_slicing, "no-invariants": no_invariants,
    "no-bounds": no_bounds, "no-fixed-pattern": no_fixed_pattern, "weaker-bindings": weaker_bindings,
    "no-target-profiles": no_target_profiles, "no-type-profiles": no_type_profiles,
}


def _relaxed(sd: Json, _versions: dict[str, str], relax: Callable[[Json], None], kept: set[str]) -> None:
    if sd.get("url") not in kept:
        relax(sd)


def run(guides: list[Path], names: list[str], cache: Path | None, show: int) -> dict[str, list[Any]]:
    """Per relaxation, the errors it added: (guide, file, error)."""
    added: dict[str, list[Any]] = {name: [] for name in names}
    removed = dict.fromkeys(names, 0)
    counted = dict.fromkeys(names, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for guide in guides:
            package = guide / "package" if (guide / "package").is_dir() else guide
            examples = list(files([package / "example"])) if (package / "example").is_dir() else []
            if not examples:
                print(f"{guide}: no example/ folder, not compared")
                continue
            published = findings(package, examples, cache)
            kept = discriminating(package)
            print(f"{guide.name}: {len(examples)} examples; {len(kept)} profiles named by slices left as published")
            for name in names:
                change = functools.partial(_relaxed, relax=RELAXATIONS[name], kept=kept)
                other = findings(rewritten(package, name, Path(tmp) / guide.name, change), examples, cache)
                counted[name] += len(examples)
                for file, side, error in compare(published, other):
                    if side == "rewritten":
                        added[name].append((guide.name, file, error))
                    else:
                        removed[name] += 1
    for name in names:
        by_defect = collections.Counter(error[1] for _, _, error in added[name])
        print(f"{name}: {counted[name]} examples compared; {len({(g, f) for g, f, _ in added[name]})} with errors "
              f"added; {len(added[name])} errors added {dict(by_defect.most_common())}; {removed[name]} removed")
        for guide_name, file, (_, defect, location, _) in added[name][:show]:
            print(f"    {guide_name} {file} {defect} {location}")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guide", type=Path, action="append", required=True, metavar="FOLDER",
                        help="a guide's package folder (repeatable)")
    parser.add_argument("--package-cache", type=Path, metavar="DIR", help="the FHIR package cache for dependencies")
    parser.add_argument("--relax", action="append", choices=list(RELAXATIONS), help="relaxations (default: all)")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="print K added errors of each relaxation")
    args = parser.parse_args(argv)
    run(args.guide, args.relax or list(RELAXATIONS), args.package_cache, args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
