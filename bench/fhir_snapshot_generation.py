"""DIAGNOSTICS ONLY, NOT PART OF THE MEASURE: HL7's own snapshot-generation tests as a second oracle for profiles.

    .venv/bin/python bench/fhir_snapshot_generation.py --tests DIR [--packages DIR] [--summary] [--only ID...]

Profile steps of the agreement bench mostly give profiles as differentials; HL7's validator generates their
snapshots (ProfileUtilities.generateSnapshot) and ours does too (conformance/fhirval/snapshot.py), so a generator
divergence shows there as misses and false alarms at once. FHIR/fhir-test-cases publishes HL7's generator tests
with the EXPECTED snapshot of every input (``r5/snapshot-generation``: manifest.xml, ``ID-input.*``,
``ID-expected.*``, shared bases). Extract the folder first (it is not committed here)::

    mkdir -p /tmp/snapgen && cd /tmp/snapgen && R=/work/.mirror/FHIR+fhir-test-cases/repo && \\
      git -C $R ls-tree -z --name-only HEAD r5/snapshot-generation/ | while IFS= read -r -d '' f; do \\
        git -C $R show "HEAD:$f" > "$(basename "$f")"; done

The tests are R5: the base here is ``hl7.fhir.r5.core`` (from ``--packages``), not our R4 base, so element paths
and types agree with the expected snapshots; our generator only reads the base's snapshot, so it takes R5's as it
takes R4's. As HL7's SnapShotGenerationTests.getSD, a base is first looked for among the tests' expected outputs
and ``register``/``include`` files, then in the context (R5 core, SDC). Tests with ``sort="true"`` have HL7 sort
the differential first (sortDifferential); ours is applied in the given order (our generator places by id).

Not every difference is one from the generator HL7's validator runs: the tests set ``newSlicingProcessing``
(SnapShotGenerationTests.testGen), which HL7's validator context does not (ContextUtilities.generateSnapshot), and
it changes one thing, a type slice named by a renamed choice without the choice (``valueQuantity`` alone): with
it HL7 keeps all the choice's types and opens the slicing (t44a, ts-case2, au3, dv1...), without it, as here and
in the validator, the choice is narrowed to the slices' types, closed. Other differences are R4/R5 content (the
extensions package here is R4's flavour: value[x] type lists, bindings) or R5-only features (logical models with
R5 bases, additional bindings).

A ``fail="true"`` test passes when we report the generation error (an exception, one of Builder.problems or of its
cautions: HL7's messages ours only warns of);
another passes when every compared attribute of every element agrees (snapshot_compare.py says which).
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from snapshot_compare import ATTRIBUTES, compare

from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.loaders import DefinitionLoadError, read_file
from conformance.fhirval.packages import read_tgz
from conformance.fhirval.snapshot import SnapshotError, apply_differential
from conformance.fhirval.snapshot_checks import unmatched_by_order
from conformance.fhirval.source import Json, MemorySource

# HL7's test context: R5 core and the extensions package (TestingUtilities.getSharedWorkerContext), SDC (setUp); the
# extensions package's R4 flavour is the one held locally (its extensions are the same definitions)
CONTEXT_PACKAGES = ("hl7.fhir.r5.core-", "ig/hl7.fhir.uv.extensions.r4-", "hl7.fhir.uv.sdc-")


@dataclass
class Test:
    id: str
    fail: bool
    sort: bool
    register: list[str]
    source: Json | None = None
    expected: Json | None = None
    included: list[Json] = field(default_factory=list)


@dataclass
class Outcome:
    test: Test
    verdict: str  # "pass", "fail", "error" (the harness could not run it)
    detail: list[str] = field(default_factory=list)
    classes: Counter[str] = field(default_factory=Counter)  # attribute class -> elements differing


def _read(folder: Path, stem: str) -> Json | None:
    for ext in (".json", ".xml"):
        path = folder / f"{stem}{ext}"
        if path.exists():
            found = read_file(path)
            return found[0] if found else None
    return None


def load_tests(folder: Path) -> list[Test]:
    """manifest.xml's tests with their input, expected output and registered files (SnapShotGenerationTests.load)."""
    tests = []
    for node in ET.parse(folder / "manifest.xml").getroot():
        if node.tag != "test":
            continue
        names = [s.strip() for s in (node.get("register") or "").split(",") if s.strip()]
        if node.get("include"):
            names.insert(0, str(node.get("include")))
        test = Test(str(node.get("id")), node.get("fail") == "true", node.get("sort") == "true", names)
        try:
            test.source = _read(folder, f"{test.id}-input")
            test.expected = None if test.fail else _read(folder, f"{test.id}-expected")
            test.included = [sd for sd in (_read(folder, n) for n in names) if sd is not None]
        except DefinitionLoadError as exc:
            print(f"{test.id}: cannot read: {exc}", file=sys.stderr)
        tests.append(test)
    return tests


def context(packages: Path | None, tests: list[Test]) -> list[MemorySource]:
    """R5 core (the extensions package, SDC) below the tests' registered files and expected outputs (HL7's getByUrl
    looks there first)."""
    layers = []
    for prefix in CONTEXT_PACKAGES:
        found = sorted(packages.glob(f"{prefix}*.tgz")) if packages else []
        if packages and not found:  # the IG packages may sit in the folder itself rather than its ig/
            found = sorted(packages.glob(f"{prefix.removeprefix('ig/')}*.tgz"))
        for tgz in found:
            layers.append(MemorySource(read_tgz(tgz).resources))
    layers.append(MemorySource([sd for t in tests for sd in t.included]))
    layers.append(MemorySource([t.expected for t in tests if t.expected is not None]))
    return layers


def run_test(test: Test, layers: list[MemorySource]) -> Outcome:
    if test.source is None or (not test.fail and test.expected is None):
        return Outcome(test, "error", ["input or expected output not readable"])
    source = LayeredSource(layers)  # a fresh cache per test: an earlier test's generated snapshot never leaks
    problems: list[str] = []
    elements: list[Json] = []
    try:
        builder, landed = apply_differential(test.source, source)
        problems = [str(p) for p in [*builder.problems, *builder.cautions]]
        # HL7's "No match found for X in the generated snapshot" (an ERROR message; ours: differential.py on the
        # profile, and generate_snapshot leaves the element out), for an element out of the base's order (t23a);
        # HL7 sorts the differential first where the test says so (sort="true")
        problems += [f"no match found for differential element {n} (order)"
                     for n in ([] if test.sort else unmatched_by_order(builder.elements, landed))]
        elements = builder.elements
    except SnapshotError as exc:
        problems = [f"raised: {exc}"]
    except (DefinitionLoadError, KeyError, TypeError, AttributeError, AssertionError) as exc:
        problems = [f"crashed: {type(exc).__name__}: {exc}"]
    if test.fail:
        return Outcome(test, "pass" if problems else "fail", problems or ["HL7 reports an error, we do not"])
    assert test.expected is not None
    diffs, classes = compare(test.expected.get("snapshot", {}).get("element", []), elements)
    detail = [f"we report: {p}" for p in problems] + diffs
    return Outcome(test, "fail" if detail else "pass", detail, classes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=Path, required=True, help="the extracted r5/snapshot-generation folder")
    parser.add_argument("--packages", type=Path, default=Path("/tmp/fhirpkgs"), help="holds hl7.fhir.r5.core-*.tgz")
    parser.add_argument("--summary", action="store_true", help="totals only")
    parser.add_argument("--only", nargs="*", default=None, help="these test ids only")
    parser.add_argument("--limit", type=int, default=8, help="differences shown per test")
    args = parser.parse_args(argv)
    if not (args.tests / "manifest.xml").is_file():
        parser.error(f"{args.tests} has no manifest.xml: extract fhir-test-cases' r5/snapshot-generation there first "
                     "(see the instructions above)")
    tests = load_tests(args.tests)
    layers = context(args.packages, tests)
    outcomes = [run_test(t, layers) for t in tests if args.only is None or t.id in args.only]
    for o in outcomes if not args.summary else []:
        print(f"{o.verdict.upper():5} {o.test.id}{' (fail test)' if o.test.fail else ''}"
              f"{' (sorted by HL7)' if o.test.sort else ''}")
        for line in o.detail[: args.limit]:
            print(f"      {line}")
        if len(o.detail) > args.limit:
            print(f"      ... {len(o.detail) - args.limit} more")
    by_kind = Counter((o.test.fail, o.verdict) for o in outcomes)
    gen = [o for o in outcomes if not o.test.fail]
    print(f"generation tests: {by_kind[(False, 'pass')]}/{len(gen)} agree "
          f"({by_kind[(False, 'error')]} not runnable)")
    print(f"fail tests: {by_kind[(True, 'pass')]}/{len(outcomes) - len(gen)} errors reported")
    classes: Counter[str] = Counter()
    tests_by_class: Counter[str] = Counter()
    for o in gen:
        classes.update(o.classes)
        tests_by_class.update(o.classes.keys())
    print("attribute classes (elements differing / tests affected): " + ", ".join(
        f"{c} {classes[c]}/{tests_by_class[c]}" for c in ATTRIBUTES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
