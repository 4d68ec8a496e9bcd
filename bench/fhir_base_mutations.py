"""Missed errors on base R4 validation, measured without HL7's validator: valid resources, mutated so that the
R4 specification (and HL7's Java validator, at the line each mutation class cites) must reject them.

    .venv/bin/python bench/fhir_base_mutations.py [--examples DIR ...] [--xml-examples DIR ...] [--per-type N]
        [--max-bytes B] [--summary] [--show K] [--jobs N]

Each JSON resource of ``--examples`` (default: the R4 examples package, /tmp/fhirpkgs/r4ex/package) and each
XML resource of ``--xml-examples`` (default: UK Core 2.0.2's examples, converted to JSON with their
``meta.profile`` taken out, so that base R4 alone judges them) no larger than ``--max-bytes`` as JSON that
validates with no error as given is mutated by every class of base_mutants.py, base_mutants_more.py,
base_mutants_extra.py and base_invariants.py. A (class, R4 element) is mutated once, and at most
``--per-type`` times per class and resource type, in file order: deterministic and bounded. The expected
verdict of every mutant is at least one error, read from R4's StructureDefinitions raw (profile_raw.py) and
HL7's Java source, never from the validator. Two harmless classes (``reorder``, ``known-extension``) must
give no error: their failures are false alarms. Prints caught / mutants per class and ``--show K`` misses.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fhir_examples_alarms as alarms
from base_invariants import invariant_shape_mutants
from base_mutants import Mutant, all_site_mutants, root_unknown
from base_mutants_extra import (
    choice_mutants,
    extension_definition_mutants,
    foreign_system_mutants,
    id_and_narrative_mutants,
    reference_mutants,
)
from base_mutants_more import bundle_mutants, contained_mutants, extension_mutants, harmless_mutants, invariant_mutants
from base_sites import Types
from fhir_profile_mutations import R4, errors_of
from profile_raw import Json, RawDefinitions

R4EX = Path("/tmp/fhirpkgs/r4ex/package")
UKCORE = Path(__file__).resolve().parents[2] / "shared" / "data" / "ukcore-2.0.2" / "examples"
HARMLESS = {"reorder", "known-extension"}
Work = tuple[str, str, str, bytes]  # file, class, element, mutant


def resources(json_dirs: list[Path], xml_dirs: list[Path]) -> Iterator[tuple[str, Json]]:
    """(label, resource) in file order: JSON as given, XML converted (profile claims taken out)."""
    for folder in json_dirs:
        for path in sorted(folder.glob("*.json")):
            if path.name in alarms.NOT_RESOURCES:
                continue
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                continue
            if isinstance(doc, dict) and isinstance(doc.get("resourceType"), str):
                yield path.name, doc
    from conformance.fhirval.xml import xml_to_json

    for folder in xml_dirs:
        for path in sorted(folder.glob("*.xml")):
            try:
                doc = xml_to_json(path.read_bytes(), alarms.base_source(), allow_no_namespace=True)
            except Exception:  # noqa: BLE001 - a file the converter cannot read is not a valid example
                continue
            if isinstance(doc.get("meta"), dict):
                doc["meta"].pop("profile", None)
                if not doc["meta"]:
                    del doc["meta"]
            yield path.name, doc


def judged(data: bytes) -> list[str]:
    """The validator's errors, or the traceback's last line as one: no input may end in a crash."""
    try:
        return errors_of(data)
    except Exception as exc:  # noqa: BLE001 - a crash is this bench's finding, reported as such
        return [f"CRASH {type(exc).__name__}: {exc}"]


def crashed(errors: list[str]) -> bool:
    """A crash is neither a catch nor a clean pass."""
    return bool(errors) and errors[0].startswith("CRASH")


def named_in(element: str, errors: list[str]) -> bool:
    """Whether an error names what was mutated: an element path's last name (``value`` for ``value[x]``) in
    its location or message, or an invariant's key; other labels (a resource type, a fullUrl kind) always."""
    first = element.split(" ", 1)[0]
    if re.fullmatch(r"[a-z]+-\d+", first):
        return any(first in e for e in errors)
    if "." not in first:
        return True
    name = first.rsplit(".", 1)[1].removesuffix("[x]")
    return any(name in e for e in errors)


class Picker:
    """Which candidate mutants are made: a (class, element) once, at most ``per_type`` per (class, type)."""

    def __init__(self, per_type: int) -> None:
        self.per_type = per_type
        self.seen: set[tuple[str, str]] = set()
        self.count: collections.Counter[tuple[str, str]] = collections.Counter()

    def __call__(self, cls: str, element: str, root: str) -> bool:
        if (cls, element) in self.seen or self.count[(cls, root)] >= self.per_type:
            return False
        self.seen.add((cls, element))
        self.count[(cls, root)] += 1
        return True


def mutants_of(doc: Json, types: Types, pick: Picker) -> Iterator[Mutant]:
    sites = list(types.sites(doc))
    root = doc["resourceType"]
    yield from all_site_mutants(doc, types, pick)
    extra = [root_unknown(doc), *contained_mutants(doc, sites, types), *invariant_mutants(doc, sites),
             *extension_mutants(doc, sites), *harmless_mutants(doc, sites), *reference_mutants(doc, sites),
             *extension_definition_mutants(doc, sites), *choice_mutants(doc, sites),
             *id_and_narrative_mutants(doc, sites), *foreign_system_mutants(doc, sites, types),
             *invariant_shape_mutants(doc, sites, types)]
    if root == "Bundle":
        extra += bundle_mutants(doc, sites)
    for cls, element, make in extra:
        global_key = cls in ("invariant", "invariant-shape", "bundle-fullurl", "reference-type")
        if pick(cls, element if global_key else f"{root}:{element}", root):
            yield cls, element, make


def build(json_dirs: list[Path], xml_dirs: list[Path], per_type: int, invalid: list[str],
          max_bytes: int = 50_000) -> list[Work]:
    """The mutants, from the resources valid as given and no larger than ``max_bytes`` as JSON (a large
    StructureDefinition or Bundle costs more to validate and adds few element paths). Each folder picks its
    own mutants (a Picker each), so that a later folder's resources are not left out for the first's."""
    types = Types(RawDefinitions(R4, []))
    work: list[Work] = []
    folders = [([d], []) for d in json_dirs] + [([], [d]) for d in xml_dirs]
    for json_dir, xml_dir in folders:
        pick = Picker(per_type)
        for label, doc in resources(json_dir, xml_dir):
            body = json.dumps(doc).encode()
            if len(body) > max_bytes:
                continue
            if errors_of(body):
                invalid.append(label)
                continue
            for cls, element, make in mutants_of(doc, types, pick):
                work.append((label, cls, element, json.dumps(make()).encode()))
    return work


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=Path, action="append", help="a folder of valid JSON resources")
    parser.add_argument("--xml-examples", type=Path, action="append", help="a folder of valid XML resources")
    parser.add_argument("--per-type", type=int, default=2, help="mutants per class and resource type (default 2)")
    parser.add_argument("--max-bytes", type=int, default=50_000, help="skip larger resources (default 50,000)")
    parser.add_argument("--summary", action="store_true", help="totals per class only")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="list K misses (false alarms) per class")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args(argv)
    cpu = time.process_time()
    alarms.load([], None)
    invalid: list[str] = []
    work = build(args.examples or [R4EX], args.xml_examples if args.xml_examples is not None else [UKCORE],
                 args.per_type, invalid, args.max_bytes)
    found = alarms.map_loaded(judged, [w[3] for w in work], args.jobs, [], None)
    mutated = {w[0] for w in work}
    print(f"mutants: {len(work)} of {len(mutated)} resources ({sum(1 for m in mutated if m.endswith('.xml'))} "
          f"XML); resources with errors as given (not mutated): {len(invalid)} "
          f"({sum(1 for m in invalid if m.endswith('.xml'))} XML)")
    by_class: dict[str, list[tuple[Work, list[str]]]] = collections.defaultdict(list)
    for w, errs in zip(work, found, strict=True):
        by_class[w[1]].append((w, errs))
    print("caught / mutants by class (harmless classes: clean / mutants):")
    totals = collections.Counter[str]()
    for cls, rows in sorted(by_class.items()):
        harmless = cls in HARMLESS
        good = [r for r in rows if bool(r[1]) != harmless and not crashed(r[1])]
        bad = [r for r in rows if r not in good]
        totals["harmless" if harmless else "harmful"] += len(rows)
        totals["harmless ok" if harmless else "caught"] += len(good)
        named = [r for r in good if not harmless and named_in(r[0][2], r[1])]
        print(f"  {cls:26s} {len(good):5d} / {len(rows):<5d}" + ("  (harmless)" if harmless else
                                                               f" named: {len(named)}"))
        for (file, _, element, _), errs in bad[:args.show] if not args.summary else []:
            print(f"      {'false alarm' if harmless else 'missed'}: {file} {element}"
                  + (f" -> {errs[0][:160]}" if errs else ""))
        for (file, _, element, _), errs in [r for r in good if r not in named][:args.show] if not harmless else []:
            print(f"      caught, not named: {file} {element} -> {errs[0][:160]}")
    crashes = [(w, e) for w, e in zip(work, found, strict=True) if crashed(e)]
    print(f"crashes: {len(crashes)}")
    for (file, cls, element, _), errs in crashes[:args.show or 3]:
        print(f"      {cls} {file} {element}: {errs[0][:200]}")
    print(f"total: caught {totals['caught']} / {totals['harmful']} mutants; harmless clean "
          f"{totals['harmless ok']} / {totals['harmless']}")
    if args.jobs <= 1:
        print(f"cpu seconds: {time.process_time() - cpu:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
