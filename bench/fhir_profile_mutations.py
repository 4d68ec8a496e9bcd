"""Missed errors on profile validation, measured without HL7's validator: valid guide examples, mutated so that
their own claimed profile must reject them.

    .venv/bin/python bench/fhir_profile_mutations.py [--guide IG.tgz ...] [--package SPEC ...] [--summary]
        [--show K] [--jobs N]

Each guide (default: the implementation guides in /tmp/fhirpkgs/ig: AU Base, mCODE, genomics, IPS) is loaded
with the support packages (default: HL7's extensions package and THO from the same folders), as
``bench/fhir_examples_alarms.py --package`` loads it. Each example of the guide (``package/example``) that
claims a profile of the guide in ``meta.profile`` and validates without errors as given is mutated once per
mutation class and profile element (profile_mutants.py says which classes, and what is skipped as
ambiguous); a (profile, class, element) seen once is not mutated again in another example. The expected
verdict of every mutant is at least one error, read from the profile's snapshot raw (profile_raw.py), never
from the validator. Prints caught / mutants per class and guide; ``--show K`` lists K misses per class.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fhir_examples_alarms as alarms
from profile_mutants import Profile, mutants
from profile_raw import Json, RawDefinitions, tgz_resources

from conformance.fhirval.validate import validate_bytes

IG = Path("/tmp/fhirpkgs/ig")
SUPPORT = [IG / "hl7.fhir.uv.extensions.r4-5.3.0-ballot-tc1.tgz", Path("/tmp/fhirpkgs/hl7.terminology.r4-7.0.1.tgz")]
R4 = Path(__file__).resolve().parents[2] / "shared" / "data" / "fhir-r4"
Outcome = tuple[str, str, str, str, int, bool]  # guide, file, class, element, errors, one of them there


def token(element: str) -> str:
    """The JSON name an error about the mutated element names (``category`` for ``Observation.category:x``)."""
    return re.sub(r":[^.>]*", "", element).rsplit(".", 1)[-1].removesuffix("[x]")


def errors_of(data: bytes) -> list[str]:
    """The errors the validator (its definitions loaded by ``alarms.load``) reports, as ``location: message``."""
    issues = validate_bytes(data, alarms._SOURCE or alarms.base_source())
    return [f"{i.location}: {i.message}" for i in issues if i.is_error]


def embedded(doc: Json, raw: RawDefinitions, own: set[str]) -> Iterator[tuple[str, Json, list[Any]]]:
    """(profile URL, object, where) for what inside an example claims a profile: the example itself and its
    Bundle entries by ``meta.profile`` (the guide's own profiles), every extension by its ``url`` (any loaded
    extension with a snapshot); ``where`` is the keys and indexes from the example to the object."""
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack.extend((item, [*where, i]) for i, item in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        if "resourceType" in node and (not where or where[-1] == "resource"):
            for url in node.get("meta", {}).get("profile", []):
                if url.split("|")[0] in own:
                    yield url, node, where
        if isinstance(node.get("url"), str) and where and where[-2:-1] in (["extension"], ["modifierExtension"]):
            sd = raw.get("StructureDefinition", node["url"])
            if sd and sd.get("type") == "Extension":
                yield node["url"], node, where
        stack.extend((value, [*where, key]) for key, value in node.items() if key != "contained")


def put(doc: Json, where: list[Any], value: Json) -> Json:
    """A copy of ``doc`` with ``value`` at ``where``."""
    if not where:
        return value
    copied = copy.deepcopy(doc)
    node: Any = copied
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    return copied


def guide_mutants(guide: Path, raw: RawDefinitions, seen: set[tuple[str, str, str]],
                  invalid: list[str]) -> list[tuple[str, str, str, bytes]]:
    """(file, class, element, mutant) for the guide's examples valid as given (others listed in ``invalid``)."""
    own = {url for _, r in tgz_resources(guide) if r.get("resourceType") == "StructureDefinition"
           for url in [r.get("url", "")]}
    work: list[tuple[str, str, str, bytes]] = []
    for name, resource in tgz_resources(guide, "package/example/"):
        claims = list(embedded(resource, raw, own))
        if not any(not where for _, _, where in claims):
            continue
        if errors_of(json.dumps(resource).encode()):
            invalid.append(name)
            continue
        for url, node, where in claims:
            sd = raw.get("StructureDefinition", url)
            if sd is None or not sd.get("snapshot") or sd.get("type") != node.get("resourceType", "Extension"):
                continue
            for mutant in mutants(node, Profile(sd, raw)):
                key = (url, mutant.cls, mutant.element)
                if key not in seen:
                    seen.add(key)
                    label = name + "".join(f"/{step}" for step in where)
                    body = json.dumps(put(resource, where, mutant.doc)).encode()
                    work.append((label, mutant.cls, mutant.element, body))
    return work


def run_guide(guide: Path, support: list[Path], jobs: int) -> tuple[list[Outcome], list[str]]:
    alarms.load([str(guide), *map(str, support)], None)
    raw = RawDefinitions(R4, [*support, guide])
    invalid: list[str] = []
    work = guide_mutants(guide, raw, set(), invalid)
    found = alarms.map_loaded(errors_of, [w[3] for w in work], jobs, [str(guide), *map(str, support)], None)
    label = guide.name.removesuffix(".tgz")
    return [(label, f, c, e, len(errs), any(token(e) in err for err in errs))
            for (f, c, e, _), errs in zip(work, found, strict=True)], invalid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guide", type=Path, action="append", help="an implementation guide .tgz (repeatable)")
    parser.add_argument("--package", type=Path, action="append", help="a support package .tgz (repeatable)")
    parser.add_argument("--summary", action="store_true", help="totals per class only")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="list K misses per class")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args(argv)
    guides = args.guide or sorted(p for p in IG.glob("*.tgz") if "extensions" not in p.name)
    cpu = time.process_time()
    outcomes: list[Outcome] = []
    for guide in guides:
        found, invalid = run_guide(guide, args.package or SUPPORT, args.jobs)
        outcomes += found
        print(f"{guide.name}: {len(found)} mutants; examples with errors as given (not mutated): {len(invalid)}")
    by_class: dict[str, list[Outcome]] = collections.defaultdict(list)
    for outcome in outcomes:
        by_class[outcome[2]].append(outcome)
    print("caught / mutants by class, and caught with an error naming the element" +
          ("" if args.summary else " (and by guide)") + ":")
    for cls, rows in sorted(by_class.items()):
        print(f"  {cls:22s} {sum(1 for r in rows if r[4]):5d} / {len(rows):<5d} named: {sum(1 for r in rows if r[5])}")
        if not args.summary:
            per_guide = collections.Counter(r[0] for r in rows)
            for guide_label, count in sorted(per_guide.items()):
                caught = sum(1 for r in rows if r[0] == guide_label and r[4])
                print(f"      {guide_label:40s} {caught:5d} / {count}")
        for miss in [r for r in rows if not r[4]][:args.show]:
            print(f"      missed: {miss[0]} {miss[1]} {miss[3]}")
        for odd in [r for r in rows if r[4] and not r[5]][:args.show]:
            print(f"      caught, element not named: {odd[0]} {odd[1]} {odd[3]}")
    print(f"total: caught {sum(1 for r in outcomes if r[4])} / {len(outcomes)} mutants")
    if args.jobs <= 1:
        print(f"cpu seconds: {time.process_time() - cpu:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
