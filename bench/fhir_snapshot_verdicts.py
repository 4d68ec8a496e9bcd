"""Our snapshots judged by what they decide: a guide's examples validated against its published snapshots and again
against snapshots our generator makes from the same differentials; a verdict or error that differs is ours.

    .venv/bin/python bench/fhir_snapshot_verdicts.py --guide FOLDER [--guide FOLDER ...] --package-cache DIR
        [--limit N] [--show K]

The agreement bench's profile steps validate against profiles given as differentials (fhir-test-cases' own files),
so there our snapshot generator decides verdicts; a published guide's profiles come with the snapshot HL7's IG
publisher made (ProfileUtilities.generateSnapshot), which the guide's examples were validated against.
bench/fhir_published_snapshots.py compares the two snapshots attribute by attribute, where a difference may not
matter; this bench asks only what matters to a verdict. Each guide is loaded as ``conformance validate fhir``
loads it (``--package-cache`` for its dependencies); then its constraining StructureDefinitions that have a
differential are laid over it without their snapshot, so that every lookup of them regenerates one here (the
profiles they build on keep their published snapshots). Each example (``example/``, else the package folder) is
validated against both; an error found with one set of snapshots only is listed (defect, location, message).
An error only with ours is a false alarm of our generator, one only with the publisher's a miss.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_format_parity import examples_of, resource_files

from conformance.fhirval.default_packages import with_defaults
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.source import DefinitionSource, Json, MemorySource
from conformance.fhirval.validate import validate_bytes

Finding = tuple[str, str, str]  # defect, location, message


def stripped_profiles(folder: Path) -> list[Json]:
    """The guide's constraining StructureDefinitions that have a differential, without their snapshot."""
    out = []
    for path in sorted(folder.glob("StructureDefinition-*.json")):
        try:
            sd = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError:
            continue
        if sd.get("derivation") == "constraint" and (sd.get("differential") or {}).get("element"):
            bare = copy.deepcopy(sd)
            bare.pop("snapshot", None)
            out.append(bare)
    return out


def errors(raw: bytes, source: DefinitionSource) -> collections.Counter[Finding]:
    return collections.Counter((i.defect, i.location, i.message) for i in validate_bytes(raw, source) if i.is_error)


def run_guide(folder: Path, cache: PackageCache | None, limit: int | None, show: int) -> tuple[int, int, int]:
    published = with_defaults([folder], cache)
    bare = stripped_profiles(folder)
    layers = list(getattr(published, "layers", [published]))
    loaded = getattr(published, "loaded", None)
    ours = LayeredSource([*layers, MemorySource(bare)], loaded)
    files = resource_files(examples_of(folder), (".json",), max_bytes=None, limit=limit)
    differ = only_ours = only_theirs = 0
    for path in files:
        raw = path.read_bytes()
        theirs, mine = errors(raw, published), errors(raw, ours)
        if theirs == mine:
            continue
        differ += 1
        extra, missing = mine - theirs, theirs - mine
        only_ours += sum(extra.values())
        only_theirs += sum(missing.values())
        if show:
            print(f"    {path.name}: {sum(extra.values())} only with our snapshots, {sum(missing.values())} only "
                  f"with the publisher's")
            for side, found in (("ours", extra), ("publisher's", missing)):
                for defect, loc, message in list(found)[:show]:
                    print(f"      only with {side}: {defect} {loc}: {message[:220]}")
    print(f"  {folder.parent.name}: {len(bare)} profiles regenerated, {len(files)} examples; verdicts or errors "
          f"differ on {differ}; errors only with our snapshots {only_ours}, only with the publisher's {only_theirs}")
    return len(files), differ, only_ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guide", action="append", required=True, metavar="FOLDER", help="a guide's package folder")
    parser.add_argument("--package-cache", type=Path, help="the FHIR package cache for the guides' dependencies")
    parser.add_argument("--limit", type=int, help="N examples of each guide, evenly spread")
    parser.add_argument("--show", type=int, default=0, help="K errors of each side for each example that differs")
    args = parser.parse_args()
    cache = PackageCache(args.package_cache) if args.package_cache else None
    totals = [run_guide(Path(g), cache, args.limit, args.show) for g in args.guide]
    print(f"all: {sum(t[0] for t in totals)} examples; differ on {sum(t[1] for t in totals)}; errors only with our "
          f"snapshots {sum(t[2] for t in totals)}")


if __name__ == "__main__":
    main()
