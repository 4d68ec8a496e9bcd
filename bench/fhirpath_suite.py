"""The official FHIRPath R4 test suite run through the validator's own evaluation path.

    .venv/bin/python bench/fhirpath_suite.py --suite /tmp/ftc/r4/fhirpath/tests-fhir-r4.xml [--inputs DIR]
        [--group NAME] [--quiet] [--r4-compatible]

HL7's R5 suite (``r5/fhirpath/tests-fhir-r5.xml``, namespaced; its inputs in ``r5/``, given with ``--inputs``) is
the one HL7's FHIRPathEngine is tested against (org.hl7.fhir.r5 FHIRPathTests, no test excluded); with
``--r4-compatible`` the tests R4 content cannot reach are counted apart ("r5", see ``R5_ONLY_FUNCTIONS``).

The suite is ``r4/fhirpath/tests-fhir-r4.xml`` of FHIR/fhir-test-cases (HL7's copy of the FHIRPath
specification's tests); its input resources (``inputfile``) sit one folder up (``--inputs``, default the
suite's parent's parent). Nothing of it is kept in this repository.

Each expression goes through ``invariants.evaluate`` exactly as an invariant does: the same model, our
fixes and wraps, ``%resource`` / ``%rootResource`` / ``%context`` set to the input resource (read as
the validator reads it: JSON with ``safejson``, XML with the validator's own converter). Why run it: a
deviation of the engine from FHIRPath is a false alarm or a missed error on any resource an invariant
reaches, and the suite says what the answer must be.

A test passes when the outputs agree in number, order and value (numbers numerically, dates and times
as written, booleans strictly), or, for ``invalid``, when evaluation raises. Tests of ``mode="strict"``
and ``invalid="semantic"`` need a static type check of the expression against the model, which HL7's
engine does when it loads a profile, not when it evaluates an invariant: they are counted apart
("static"), as are the tests of FHIRPath 2.1 functions (``version="2.1.0"``) R4 invariants cannot use.
Prints per group pass / fail / error, the totals, and each failing test with its expression, the
expected and the actual outputs.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import safejson
from conformance.fhirval import invariants
from conformance.fhirval.base import base_source
from conformance.fhirval.xml import xml_to_json

Outcome = tuple[str, str, str]  # verdict (pass|fail|error|static|later|r5), test name, detail

# --r4-compatible (HL7's R5 suite, r5/fhirpath/tests-fhir-r5.xml): what R4 content cannot reach. Functions
# FHIRPath 2.0.0 (R4's) lacks and HL7's engine adds for R5 or CDA (defineVariable, hasTemplateIdOf), the
# %terminologies functions (mode "tx": a terminology server) and CDA inputs (mode "cda": not a FHIR model).
R5_ONLY_FUNCTIONS = re.compile(r"\b(defineVariable|hasTemplateIdOf)\s*\(|%terminologies\b")
R5_ONLY_MODES = ("cda", "tx")


def load_input(folder: Path, name: str, cache: dict[str, Any]) -> Any:
    """The input resource as the validator reads it (cached per file)."""
    if name not in cache:
        raw = (folder / name).read_bytes()
        cache[name] = xml_to_json(raw, base_source()) if name.endswith(".xml") else safejson.loads(raw)
    return cache[name]


def shown(value: Any) -> str:
    """One result item as text comparable with the suite's ``<output>`` (dates and quantities as written)."""
    value = getattr(value, "data", value)
    if isinstance(value, bool):
        return "true" if value else "false"
    cls = type(value).__name__
    if cls == "FP_Quantity":
        return f"{shown(value.value)} '{str(value.unit).strip(chr(39))}'"
    if cls in ("FP_DateTime", "FP_Time"):  # as written (fhirpathpy's str() pads a partial date oddly)
        return "@" + ("T" if cls == "FP_Time" else "") + str(getattr(value, "asStr", value)).lstrip("@T")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def agrees(kind: str | None, expected: str, got: Any) -> bool:
    """Whether one actual item is the expected output (``kind`` the suite's type attribute)."""
    data = getattr(got, "data", got)
    text = shown(got)
    if kind == "boolean" or (kind is None and isinstance(data, bool)):  # Comparable's outputs carry no type
        return isinstance(data, bool) and text == expected
    if kind == "integer":
        return isinstance(data, int) and not isinstance(data, bool) and text == expected
    if kind in ("decimal", None) and isinstance(data, (int, float, Decimal)) and not isinstance(data, bool):
        a, b = _number(expected), _number(text)
        return a is not None and b is not None and a == b
    if kind in ("date", "dateTime", "time") or type(data).__name__ in ("FP_DateTime", "FP_Time"):
        return text.lstrip("@") == expected.lstrip("@")
    if kind == "Quantity" or text.endswith("'"):
        value, _, unit = expected.partition(" ")
        gvalue, _, gunit = text.partition(" ")
        return _number(value) == _number(gvalue) and unit == gunit
    return isinstance(data, str) and text == expected


def r5_only(test: Any, expression: str) -> bool:
    """Whether an R5-suite test needs what R4 content cannot use (see ``R5_ONLY_FUNCTIONS``)."""
    return test.get("mode") in R5_ONLY_MODES or bool(R5_ONLY_FUNCTIONS.search(expression))


def run_test(test: Any, folder: Path, cache: dict[str, Any], r4_compatible: bool = False) -> Outcome:
    """One ``<test>``: its verdict and, when not a pass, why."""
    name = test.get("name", "?")
    expr_el = test.find("{*}expression")
    expression = (expr_el.text or "").strip()
    invalid = expr_el.get("invalid")
    outputs = [(o.get("type"), (o.text or "").strip()) for o in test.findall("{*}output")]
    if test.get("mode") == "strict" or expr_el.get("mode") == "strict" or invalid == "semantic":
        return "static", name, expression
    if test.get("version", "").startswith("2.1"):
        return "later", name, expression
    if r4_compatible and r5_only(test, expression):
        return "r5", name, expression
    inputfile = test.get("inputfile")
    resource = load_input(folder, inputfile, cache) if inputfile else {}
    base = resource.get("resourceType", "") if isinstance(resource, dict) else ""
    try:
        got = invariants.evaluate(expression, resource, base, resource, resource)
    except Exception as exc:  # noqa: BLE001 - an expected or an unexpected engine failure
        if invalid:
            return "pass", name, ""
        return "error", name, f"{expression!r}: {type(exc).__name__}: {str(exc)[:160]}"
    if invalid:
        return "fail", name, f"{expression!r}: expected an error ({invalid}), got {[shown(g) for g in got]}"
    if test.get("predicate") == "true":
        got = [bool(got)]
    items = list(got)
    ok = len(items) == len(outputs)
    if ok and test.get("ordered") == "false":
        ok = all(any(agrees(k, e, g) for g in items) for k, e in outputs)
    elif ok:
        ok = all(agrees(k, e, g) for (k, e), g in zip(outputs, items, strict=True))
    if ok:
        return "pass", name, ""
    return "fail", name, f"{expression!r}: expected {[e for _, e in outputs]}, got {[shown(g) for g in items]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", type=Path, required=True)
    parser.add_argument("--inputs", type=Path, help="the folder of input files (default: the suite's parent's parent)")
    parser.add_argument("--group", help="only this group")
    parser.add_argument("--quiet", action="store_true", help="totals only")
    parser.add_argument("--r4-compatible", action="store_true",
                        help="set aside the tests R4 content cannot reach (R5-only functions, CDA, terminology server)")
    args = parser.parse_args(argv)
    folder = args.inputs or args.suite.resolve().parent.parent
    root = etree.parse(str(args.suite), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    cache: dict[str, Any] = {}
    totals: collections.Counter[str] = collections.Counter()
    failures: list[tuple[str, Outcome]] = []
    for group in root.iter("{*}group"):
        gname = group.get("name", "?")
        if args.group and gname != args.group:
            continue
        counts: collections.Counter[str] = collections.Counter()
        for test in group:
            tag = etree.QName(test).localname if isinstance(test.tag, str) else ""
            if tag not in ("test", "modeTest"):
                continue
            outcome = run_test(test, folder, cache, args.r4_compatible) if tag == "test" else (
                "static", test.get("name", "?"), "")
            counts[outcome[0]] += 1
            if outcome[0] in ("fail", "error"):
                failures.append((gname, outcome))
        totals.update(counts)
        if not args.quiet:
            kinds = ("pass", "fail", "error", "static", "later", "r5")
            print(f"{gname:28} " + " ".join(f"{k} {counts[k]}" for k in kinds if counts[k]))
    if not args.quiet:
        print()
        for gname, (verdict, name, detail) in failures:
            print(f"{verdict.upper():5} {gname}/{name}: {detail}")
    judged = totals["pass"] + totals["fail"] + totals["error"]
    print(f"\ntotal {sum(totals.values())}: pass {totals['pass']}, fail {totals['fail']}, error {totals['error']} "
          f"of {judged} judged ({100 * totals['pass'] / max(judged, 1):.1f}%); static {totals['static']} "
          f"(strict mode / semantic checks), later {totals['later']} (FHIRPath 2.1)"
          + (f", r5 {totals['r5']} (not reachable from R4)" if args.r4_compatible else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
