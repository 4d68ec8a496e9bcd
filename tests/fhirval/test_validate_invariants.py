"""Where fhirpathpy (the FHIRPath engine the validator uses) gets a base invariant wrong, and the wrap.

Each case shows the engine's own answer next to ours, so a fhirpathpy release that fixes (or changes)
one of them is noticed here: the first assertion of each test then fails and the wrap can go.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate
from fhirpathpy.engine.nodes import FP_DateTime
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.fhirval.base import base_source
from conformance.fhirval.expression_fixes import fixed
from conformance.fhirval.fhirpath import _same_shape_order, engine
from conformance.fhirval.invariants import _atom, _compile, _run, _Term, evaluate
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_resource

NARRATIVE = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}


@functools.cache
def source() -> DefinitionSource:
    return base_source()


def encounter(start: str, end: str) -> dict[str, Any]:
    return {"resourceType": "Encounter", "text": NARRATIVE, "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "period": {"start": start, "end": end}}


def per1_failed(resource: dict[str, Any]) -> bool:
    return any("per-1" in i.message for i in validate_resource(resource, source()) if i.is_error)


def test_has_value_is_supplied() -> None:
    """fhirpathpy 2.x does not implement hasValue(), which per-1 and many profile invariants use."""
    resource = encounter("2020-01-01", "2020-01-02")
    with pytest.raises(Exception, match="hasValue"):
        fhirpathpy_evaluate(resource, "period.start.hasValue()")
    assert evaluate("start.hasValue()", resource["period"], "Encounter.period", resource, resource) == [True]


def test_date_times_in_different_zones_compare_as_instants() -> None:
    """fhirpathpy compares dateTime strings as text: 10:00+02:00 (08:00Z) is not after 09:00Z."""
    resource = encounter("2020-01-01T10:00:00+02:00", "2020-01-01T09:00:00Z")
    assert fhirpathpy_evaluate(resource, "period.start <= period.end") == [False]  # wrong
    assert not per1_failed(resource)
    assert per1_failed(encounter("2020-01-01T10:00:00Z", "2020-01-01T09:00:00Z"))


def test_fractional_seconds_compare_as_numbers() -> None:
    assert per1_failed(encounter("2020-01-01T10:00:00.5Z", "2020-01-01T10:00:00.25Z"))
    assert not per1_failed(encounter("2020-01-01T10:00:00.25Z", "2020-01-01T10:00:00.5Z"))


def test_different_precisions_are_empty_and_empty_fails_as_in_hl7s_validator() -> None:
    """FHIRPath: comparing 2020-01-01 with 2020-01-01T10:00Z is empty, not true (fhirpathpy says true).
    HL7's Java validator treats an empty invariant result as failed (R5 rewrote per-1 with
    lowBoundary()/highBoundary() for exactly this); we do the same, so R4 per-1 fails here."""
    resource = encounter("2020-01-01", "2020-01-01T10:00:00Z")
    assert fhirpathpy_evaluate(resource, "period.start <= period.end") == [True]  # not what FHIRPath says
    assert evaluate("start <= end", resource["period"], "Encounter.period", resource, resource) == []
    assert per1_failed(resource)
    assert not per1_failed(encounter("2020-01-01", "2020-01-02T10:00:00Z"))  # comparable at day precision


def test_contains_on_nothing_is_empty_and_bdl8_passes_as_in_hl7s_validator() -> None:
    """R4's bdl-8 is ``fullUrl.contains('/_history/').not()``: on an entry without fullUrl HL7's
    FHIRPathEngine.funcContains answers empty (``focus.size() != 1``; the FHIRPath suite's testContainsString8
    says so too), and HL7's validator passes the entry only because FHIRPathExpressionFixer rewrites bdl-8
    to ``fullUrl.exists() implies ...`` (expression_fixes.py)."""
    entry: dict[str, Any] = {"request": {"method": "PUT", "url": "Patient/1"}}
    assert fhirpathpy_evaluate(entry, "fullUrl.contains('/_history/').not()") == []
    assert evaluate("fullUrl.contains('/_history/').not()", entry, "Bundle.entry", entry, entry) == []
    assert evaluate(fixed("bdl-8", "fullUrl.contains('/_history/').not()"), entry, "Bundle.entry", entry,
                    entry) == [True]
    entry["fullUrl"] = "http://x.org/Patient/1/_history/2"
    assert evaluate("fullUrl.contains('/_history/').not()", entry, "Bundle.entry", entry, entry) == [False]
    entry["fullUrl"] = "http://x.org/Patient/1"
    assert evaluate("fullUrl.contains('/_history/').not()", entry, "Bundle.entry", entry, entry) == [True]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "http://x.org/Patient/1/_history/2", "resource": {"resourceType": "Patient", "id": "1"},
         "request": {"method": "PUT", "url": "Patient/1"}}]}
    assert any("bdl-8" in i.message for i in validate_resource(bundle, source()) if i.is_error)
    del bundle["entry"][0]["fullUrl"]  # type: ignore[index]
    assert not any("bdl-8" in i.message for i in validate_resource(bundle, source()) if i.is_error)


def test_a_primitive_with_extensions_is_one_value_for_contains_and_has_value() -> None:
    """fhirpathpy holds ``_gender``'s extension object beside ``gender``'s value (two items); HL7's engine sees one
    element, so ``gender.contains('mal')`` and ``gender.hasValue()`` are true, not false (a positively written
    invariant on an extended primitive would otherwise fail a valid resource)."""
    plain: dict[str, Any] = {"resourceType": "Patient", "gender": "male"}
    extended = {**plain, "_gender": {"extension": [{"url": "http://example.org/x", "valueString": "y"}]}}
    for resource in (plain, extended):
        assert evaluate("gender.contains('mal')", resource, "Patient", resource, resource) == [True]
        assert evaluate("gender.contains('zz')", resource, "Patient", resource, resource) == [False]
        assert evaluate("gender.hasValue()", resource, "Patient", resource, resource) == [True]
    only_extension = {"resourceType": "Patient", "_gender": extended["_gender"]}
    assert evaluate("gender.hasValue()", only_extension, "Patient", only_extension, only_extension) == [False]


def test_a_primitive_with_extensions_is_one_item_for_every_function() -> None:
    """fhirpathpy's two items made ``birthDate.toString()`` empty and ``substring()`` raise, so AU Base's inv-pat-0
    (birth time's date is the birth date) failed its own example; now the value is one item whose extensions and
    id are its ``_birthDate``'s (fhirpath_primitives.py)."""
    birth_time = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"
    resource: dict[str, Any] = {"resourceType": "Patient", "birthDate": "1956-08-23", "_birthDate": {
        "id": "b1", "extension": [{"url": birth_time, "valueDateTime": "1956-08-23T14:35:45-05:00"}]}}
    assert fhirpathpy_evaluate(resource, "birthDate.toString()") == []  # fhirpathpy: not one string
    inv_pat_0 = (f"birthDate.extension('{birth_time}').exists() implies birthDate.extension('{birth_time}')"
                 ".value.toString().substring(0,10) = birthDate.toString()")

    def ours(expression: str, res: dict[str, Any] = resource) -> list[Any]:
        return evaluate(expression, res, "Patient", res, res)

    assert ours(inv_pat_0) == [True]
    assert ours(inv_pat_0, {**resource, "birthDate": "1956-08-24"}) == [False]
    assert ours("birthDate.toString()") == ["1956-08-23"]
    assert ours("birthDate.toString().substring(0, 4)") == ["1956"]
    assert ours("birthDate.substring(0, 4)") == []  # funcSubstring: a date is no FHIR string type (no conversion)
    assert ours("birthDate.count()") == [1]
    assert ours("birthDate.id") == ["b1"]
    assert ours("birthDate.extension.count()") == [1]
    names = {"resourceType": "Patient", "name": [{"given": ["Ann", "Bo"], "_given": [None, {"extension": [
        {"url": "http://example.org/x", "valueString": "y"}]}]}]}
    assert ours("name.given.count()", names) == [2]
    assert ours("name.given.extension('http://example.org/x').value", names) == ["y"]
    assert ours("name.given[1].toString()", names) == ["Bo"]


def test_html_checks_is_checked_natively() -> None:
    """htmlChecks() (txt-1/txt-2) exists only in HL7's Java engine; the narrative is checked with lxml."""
    with pytest.raises(Exception, match="htmlChecks"):
        fhirpathpy_evaluate({"resourceType": "Patient"}, "htmlChecks()")
    bad = {"resourceType": "Patient", "text": {"status": "generated",
                                               "div": '<div xmlns="http://www.w3.org/1999/xhtml"><script/>x</div>'}}
    assert any("txt-1" in i.message for i in validate_resource(bad, source()) if i.is_error)


# ---- the native fast path for name.exists() / .empty() / .hasValue() agrees with fhirpathpy ------------

_SCALAR = st.one_of(st.text(min_size=1, max_size=3), st.integers(), st.booleans())
_VALUE = st.one_of(st.none(), _SCALAR, st.just([]), st.lists(_SCALAR, min_size=1, max_size=2),
                   st.dictionaries(st.sampled_from(["code", "unit"]), _SCALAR, min_size=1, max_size=2),
                   st.lists(st.dictionaries(st.sampled_from(["code"]), _SCALAR, min_size=1), min_size=1, max_size=2))
_KEYS = ["value", "valueString", "valueQuantity", "valueSet", "_value", "start", "_start", "status", "other"]


@settings(max_examples=600, deadline=None)
@given(item=st.dictionaries(st.sampled_from(_KEYS), _VALUE, max_size=4),
       name=st.sampled_from(["value", "start", "status"]), fn=st.sampled_from(["exists", "empty", "hasValue"]),
       negated=st.booleans(), base=st.sampled_from(["Observation", "Period", "Extension", "ElementDefinition.binding"]))
def test_native_atoms_agree_with_fhirpathpy(item: dict[str, Any], name: str, fn: str, negated: bool,
                                            base: str) -> None:
    expression = f"{name}.{fn}()" + (".not()" if negated else "")
    compiled = _compile(expression)
    term = compiled.logic.term
    assert term.atom == (name, fn, negated)
    native = _atom(term.atom, item, base)
    if native is None:
        return  # left to fhirpathpy
    engine = _run(_Term(term.tree, None), item, base, {"resource": item, "rootResource": item})
    assert native == engine, (expression, item, base)


def test_or_and_implies_follow_three_valued_logic_with_the_cheap_side_first() -> None:
    item = {"status": "final"}
    run = functools.partial(evaluate, item=item, base_path="Observation", resource=item, root=item)
    assert run("status.where(false) implies status.exists()") == [True]  # {} implies true = true
    assert run("status.where(false) implies code.exists()") == []  # {} implies false = {}
    assert run("(status = 'final') implies code.exists()") == [False]
    assert run("(status = 'x') or code.exists()") == [False]
    assert run("(status = 'final') or code.exists()") == [True]
    assert run("status.where(false) or code.exists()") == []  # {} or false = {}


@settings(max_examples=300, deadline=None)
@given(a=st.datetimes(), b=st.datetimes(), shape=st.sampled_from(["%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ",
                                                                   "%Y-%m-%dT%H:%M:%S+01:00", "%Y-%m-%dT%H:%M:%S.%fZ"]))
def test_same_shape_dates_order_as_fhirpathpy_does(a: Any, b: Any, shape: str) -> None:
    """The text-order fast path for alike dates agrees with FP_DateTime's comparison."""
    if a.year < 1000 or b.year < 1000:
        return
    x, y = a.strftime(shape), b.strftime(shape)
    quick = _same_shape_order(x, y)
    assert quick is not None
    order = FP_DateTime(x).compare(FP_DateTime(y))
    assert order is not None and (quick > 0) == (order > 0) and (quick < 0) == (order < 0), (x, y, order)


# ---- operands memoised on the element's own properties agree with a fresh fhirpathpy evaluation --------

_CODING = st.fixed_dictionaries({"system": st.sampled_from(["s", "t"]), "code": st.sampled_from(["a", "b"])})
_CONCEPT = st.fixed_dictionaries({"coding": st.lists(_CODING, min_size=1, max_size=2)})
_OPERANDS = ["status.coding.where(system = 's' and code = 'a').exists()",
             "status.coding.where(code = 'b').empty()", "code.exists() and status.coding.exists(code = 'a')",
             "status.coding.select(code).count() = 1", "system.empty() or system = %ucum"]


def test_names_inside_an_iterating_function_are_not_the_elements_own() -> None:
    """where()'s `code` is each coding's, so two elements that differ only in their own `code` share a
    memo entry; %ucum is a constant, %resource is not."""
    def names(expression: str) -> list[frozenset[str] | None]:
        return [t.names for t in _compile(expression).logic.leaves()]

    assert names(_OPERANDS[0]) == [frozenset({"status", "coding"})]
    assert names(_OPERANDS[2]) == [frozenset({"code"}), frozenset({"status", "coding"})]
    assert names(_OPERANDS[4]) == [frozenset({"system"}), frozenset({"system"})]
    assert names("code = %resource.code") == [None]


@settings(max_examples=300, deadline=None)
@given(items=st.lists(st.fixed_dictionaries({}, optional={"status": _CONCEPT, "code": _CONCEPT,
                                                           "system": st.sampled_from(["http://unitsofmeasure.org",
                                                                                      "x"])}),
                      min_size=2, max_size=4),
       expression=st.sampled_from(_OPERANDS))
def test_memoised_operands_agree_with_fhirpathpy(items: list[dict[str, Any]], expression: str) -> None:
    from conformance.fhirval import invariants

    invariants._MEMO.clear()
    for item in items:  # later items can hit the entries earlier ones made
        ours = evaluate(expression, item, "Condition", item, item)
        engine = fhirpathpy_evaluate(item, expression, {"resource": item, "rootResource": item})
        assert ours == engine, (expression, item)


# ---- and / or / implies applied outside fhirpathpy agree with fhirpathpy evaluating the whole ----------

_LEAVES = ["status.exists()", "code.empty()", "value > 2", "status = 'a'", "code.coding.where(code = 'x').exists()",
           "value.hasValue().not()", "status", "code.coding.code", "{}", "true", "false"]
_EXPRESSIONS = st.recursive(st.sampled_from(_LEAVES),
                            lambda inner: st.tuples(inner, st.sampled_from(["and", "or", "implies", "xor"]), inner,
                                                    st.booleans()).map(
                                lambda t: f"({t[0]} {t[1]} {t[2]})" if t[3] else f"{t[0]} {t[1]} {t[2]}"),
                            max_leaves=5)
_ITEMS = st.fixed_dictionaries({}, optional={"status": st.sampled_from(["a", "b"]), "value": st.integers(0, 4),
                                             "code": st.fixed_dictionaries({"coding": st.lists(
                                                 st.fixed_dictionaries({"code": st.sampled_from(["x", "y"])}),
                                                 min_size=1, max_size=2)})})


@settings(max_examples=400, deadline=None)
@given(expression=_EXPRESSIONS, item=_ITEMS)
def test_connectives_agree_with_fhirpathpy_on_the_whole_expression(expression: str, item: dict[str, Any]) -> None:
    from fhirpathpy.parser import parse

    env = {"resource": item, "rootResource": item}
    try:
        whole = engine(parse(expression)["children"][0], item, "Basic", env)
    except Exception:
        return
    assert evaluate(expression, item, "Basic", item, item) == whole, (expression, item)
