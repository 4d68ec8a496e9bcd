"""Missed errors on profile validation, measured without HL7's validator: valid guide examples, mutated so that
their own claimed profile must reject them.

    .venv/bin/python bench/fhir_profile_mutations.py [--guide IG.tgz ...] [--examples DIR ...]
        [--package SPEC ...] [--summary] [--show K] [--jobs N]

Each guide (default: the implementation guides in /tmp/fhirpkgs/ig: AU Base, mCODE, genomics, IPS) is loaded
with the support packages (default: HL7's extensions package and THO from the same folders), as
``bench/fhir_examples_alarms.py --package`` loads it. Each example of the guide (``package/example``) that
claims a profile of the guide in ``meta.profile`` and validates without errors as given is mutated once per
mutation class and profile element (profile_mutants.py says which classes, and what is skipped as
ambiguous); a (profile, class, element) seen once is not mutated again in another example. The expected
verdict of every mutant is at least one error, read from the profile's snapshot raw (profile_raw.py), never
from the validator. ``--examples DIR`` (the R4 examples package, say) judges a folder's examples by the
profiles of R4 itself and the support packages they claim. Prints caught / mutants per class and guide;
``--show K`` lists K misses per class.
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
from profile_mutants_more import bundle_reference_mutants
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


def entries(bundle: Json) -> list[tuple[str, str]]:
    """(fullUrl, resource type) of a Bundle's entries."""
    return [(e["fullUrl"], e["resource"].get("resourceType", "")) for e in bundle.get("entry", [])
            if isinstance(e, dict) and isinstance(e.get("fullUrl"), str) and isinstance(e.get("resource"), dict)]


def examples_of(source: Path) -> Iterator[tuple[str, Json]]:
    """A guide's ``package/example`` resources, or the JSON files of a folder."""
    if source.suffix == ".tgz":
        yield from tgz_resources(source, "package/example/")
        return
    for path in sorted(source.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(doc, dict) and path.name not in ("package.json", ".index.json"):
            yield path.name, doc


def source_mutants(source: Path, raw: RawDefinitions, invalid: list[str],
                   control: bool = False) -> list[tuple[str, str, str, bytes]]:
    """(file, class, element, mutant) for the examples valid as given (others listed in ``invalid``), each
    (profile, class, element) once. A guide's examples are judged by its own profiles; a folder's by any
    loaded constraint on a resource (R4's own: vitalsigns, shareablevalueset, ...). ``control``: the mutated
    resource's ``meta.profile`` taken out (extensions left out), so only what base R4 rejects remains."""
    if source.suffix == ".tgz":
        own = {r.get("url", "") for _, r in tgz_resources(source) if r.get("resourceType") == "StructureDefinition"}
    else:
        own = {url for url, sd in raw.by_kind["StructureDefinition"].items()
               if sd.get("derivation") == "constraint" and sd.get("kind") == "resource"}
    seen: set[tuple[str, str, str]] = set()
    work: list[tuple[str, str, str, bytes]] = []
    for name, resource in examples_of(source):
        claims = list(embedded(resource, raw, own))
        if not any(not where for _, _, where in claims):
            continue
        if errors_of(json.dumps(resource).encode()):
            invalid.append(name)
            continue
        for url, node, where in claims:
            if control and "resourceType" not in node:
                continue
            sd = raw.get("StructureDefinition", url)
            if sd is None or not sd.get("snapshot") or sd.get("type") != node.get("resourceType", "Extension"):
                continue
            more = bundle_reference_mutants(node, Profile(sd, raw), entries(resource)) if where else iter(())
            for mutant in [*mutants(node, Profile(sd, raw)), *more]:
                key = (url, mutant.cls, mutant.element)
                if key not in seen:
                    seen.add(key)
                    if control and isinstance(mutant.doc.get("meta"), dict):
                        mutant.doc["meta"].pop("profile", None)
                        if not mutant.doc["meta"]:
                            del mutant.doc["meta"]
                    label = name + "".join(f"/{step}" for step in where)
                    body = json.dumps(put(resource, where, mutant.doc)).encode()
                    work.append((label, mutant.cls, mutant.element, body))
    return work


def run_source(source: Path, support: list[Path], jobs: int,
               control: bool = False) -> tuple[list[Outcome], list[str]]:
    """Mutants of one guide's (or folder's) examples, judged with it and the support packages loaded."""
    packages = [str(source), *map(str, support)] if source.suffix == ".tgz" else list(map(str, support))
    alarms.load(packages, None)
    raw = RawDefinitions(R4, [*support, source] if source.suffix == ".tgz" else support)
    invalid: list[str] = []
    work = source_mutants(source, raw, invalid, control)
    found = alarms.map_loaded(errors_of, [w[3] for w in work], jobs, packages, None)
    label = source.name.removesuffix(".tgz")
    return [(label, f, c, e, len(errs), any(token(e) in err for err in errs))
            for (f, c, e, _), errs in zip(work, found, strict=True)], invalid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guide", type=Path, action="append", help="an implementation guide .tgz (repeatable)")
    parser.add_argument("--examples", type=Path, action="append", default=[],
                        help="a folder of valid JSON examples judged by R4's own profiles (repeatable)")
    parser.add_argument("--package", type=Path, action="append", help="a support package .tgz (repeatable)")
    parser.add_argument("--control", action="store_true",
                        help="take the claim out of each mutant: what base R4 alone catches (the bench's control)")
    parser.add_argument("--summary", action="store_true", help="totals per class only")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="list K misses per class")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args(argv)
    guides = args.guide or ([] if args.examples else sorted(p for p in IG.glob("*.tgz") if "extensions" not in p.name))
    cpu = time.process_time()
    outcomes: list[Outcome] = []
    for guide in [*guides, *args.examples]:
        found, invalid = run_source(guide, args.package or SUPPORT, args.jobs, args.control)
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
