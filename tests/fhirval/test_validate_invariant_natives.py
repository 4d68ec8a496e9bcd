"""The native answers of invariant_natives.py agree with fhirpathpy's, and are what the walk uses.

Each property test compares a native answer (where it gives one) with a fresh fhirpathpy evaluation of the same
operand on the same JSON: a shape it gets wrong would change a verdict, so none may differ.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fhirpathpy.engine.nodes import FP_DateTime
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.fhirval import invariants
from conformance.fhirval.fhirpath import _instant_order
from conformance.fhirval.invariant_natives import Comparison, Contains, Counts, Equality, PathAtom, answer
from conformance.fhirval.invariants import _compile, _run, _Term, evaluate


def _engine(expression: str, item: Any, base: str) -> list[Any]:
    term = _compile(expression).logic.term
    return _run(_Term(term.tree, None), item, base, {"resource": item, "rootResource": item})


def _native(expression: str, kind: type | tuple[type, ...]) -> Any:
    native = _compile(expression).logic.term.native
    assert isinstance(native, kind), expression
    return native


_ZONES = st.sampled_from(["Z", "+00:00", "-00:00", "+01:00", "-05:00", "+05:30", "+14:00", "-12:00"])


def _zone(text: str) -> timezone:
    return UTC if text in ("Z", "+00:00", "-00:00") else datetime.strptime(text, "%z").tzinfo  # type: ignore[return-value]


@settings(max_examples=400, deadline=None)
@given(a=st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9000, 1, 1)),
       shift=st.sampled_from([0, 1, 59, 3600, 5400, 86400, -1, -3600]), zone_a=_ZONES, zone_b=_ZONES,
       fraction=st.sampled_from(["", ".5", ".123", ".000", ".999999"]), same=st.booleans())
def test_moments_in_different_zones_order_as_fp_datetime_does(a: datetime, shift: int, zone_a: str, zone_b: str,
                                                              fraction: str, same: bool) -> None:
    b = a + timedelta(seconds=shift)
    if same:  # the same moment, give or take the shift, written in the other zone
        b = (a.replace(tzinfo=_zone(zone_a)) + timedelta(seconds=shift)).astimezone(_zone(zone_b)).replace(tzinfo=None)
    x = a.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone_a
    y = b.strftime("%Y-%m-%dT%H:%M:%S") + fraction + zone_b
    quick = _instant_order(x, y)
    assert quick is not None
    assert quick == FP_DateTime(x).compare(FP_DateTime(y)), (x, y)  # type: ignore[no-untyped-call]


def test_moments_not_alike_are_left_to_fp_datetime() -> None:
    assert _instant_order("2020-01-01T10:00:00Z", "2020-01-01T10:00:00.5Z") is None  # fractions differ
    assert _instant_order("2020-01-01T10:00Z", "2020-01-01T10:00:00Z") is None  # no seconds
    assert _instant_order("2020-01-01T10:00:00", "2020-01-01T10:00:00Z") is None  # no zone
    assert _instant_order("2020-02-30T10:00:00Z", "2020-01-01T10:00:00+01:00") is None  # no such day


_SCALAR = st.one_of(st.sampled_from(["home", "work", "c", "x", "", "2020", "http://x", "http://unitsofmeasure.org",
                                     "a/_history/1"]), st.integers(0, 2),
                    st.booleans(), st.none())
_CODING = st.dictionaries(st.sampled_from(["system", "code", "_code", "display"]), _SCALAR, max_size=3)
_CODINGS = st.one_of(_CODING, st.lists(st.one_of(_CODING, st.none()), max_size=3), st.none())
_CONCEPT = st.dictionaries(st.sampled_from(["coding", "text", "_coding"]), _CODINGS, max_size=2)
_ENTRY = st.dictionaries(st.sampled_from(["deleted", "date", "_date", "flag", "item"]),
                         st.one_of(_SCALAR, _CONCEPT), max_size=3)
_ITEM: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries({}, optional={
    "verificationStatus": st.one_of(_CONCEPT, st.lists(_CONCEPT, max_size=2)),
    "entry": st.one_of(_ENTRY, st.lists(st.one_of(_ENTRY, st.none()), max_size=3)),
    "use": _SCALAR, "_use": st.just({"extension": []}), "system": _SCALAR, "code": _SCALAR,
    "value": _SCALAR, "valueString": _SCALAR, "coding": _CODINGS})
_PATH_EXPRESSIONS = [
    "verificationStatus.coding.where(system = 'http://x' and code = 'c').exists()",
    "verificationStatus.coding.where(system='http://x' and code='c').empty()",
    "entry.deleted.empty()", "entry.date.exists()", "entry.item.coding.exists().not()",
    "where(use = 'home').empty()", "where(use = 'home' and system = 'c').exists()",
    "coding.where(code = 'c').exists()", "coding.where(code = 'x').empty().not()",
]


@settings(max_examples=800, deadline=None)
@given(item=_ITEM, expression=st.sampled_from(_PATH_EXPRESSIONS),
       base=st.sampled_from(["AllergyIntolerance", "List", "ContactPoint", "CodeableConcept", "Observation"]))
def test_paths_and_where_agree_with_fhirpathpy(item: dict[str, Any], expression: str, base: str) -> None:
    native = answer(_native(expression, PathAtom), item, base)
    if native is not None:
        assert native == _engine(expression, item, base), (expression, item, base)


def test_a_choice_on_the_way_is_left_to_fhirpathpy() -> None:
    atom = _native("value.where(code = 'c').exists()", PathAtom)
    assert answer(atom, {"valueCodeableConcept": {"code": "c"}}, "Observation") is None
    assert answer(atom, {"value": {"code": "c"}}, "CodeableConcept") == [True]  # not a choice there


_ORDERED = st.one_of(st.sampled_from(["2020-01-01T10:00:00Z", "2020-01-01T11:00:00+01:00", "2020-01-01T12:00:00+00:00",
                                      "2020-01-01", "2020", "2020-01-02", "x", ""]),
                     st.integers(-2, 2), st.floats(-2, 2, allow_nan=False), st.booleans(), st.none())


@settings(max_examples=600, deadline=None)
@given(item=st.fixed_dictionaries({}, optional={"start": _ORDERED, "end": _ORDERED, "period": _ORDERED,
                                                "_end": st.just({"extension": []}), "value": _ORDERED,
                                                "valueInteger": _ORDERED}),
       expression=st.sampled_from(["start <= end", "end > start", "period >= 0", "0 < period", "value > 0"]),
       base=st.sampled_from(["Period", "Timing.repeat", "Quantity", "Observation"]))
def test_comparisons_agree_with_fhirpathpy(item: dict[str, Any], expression: str, base: str) -> None:
    native = answer(_native(expression, Comparison), item, base)
    if native is not None:
        assert native == _engine(expression, item, base), (expression, item, base)


@settings(max_examples=500, deadline=None)
@given(item=st.fixed_dictionaries({}, optional={"type": _SCALAR, "_type": st.just({"extension": []}),
                                                "value": _SCALAR, "valueString": _SCALAR,
                                                "mode": st.one_of(_SCALAR, st.lists(_SCALAR, max_size=2))}),
       expression=st.sampled_from(["type = 'home'", "type != 'home'", "mode = 'x'", "mode != 'c'", "value = 'c'",
                                   "type = %ucum", "mode != %ucum"]),
       base=st.sampled_from(["Bundle", "List", "Observation", "Coding"]))
def test_string_equalities_agree_with_fhirpathpy(item: dict[str, Any], expression: str, base: str) -> None:
    native = answer(_native(expression, Equality), item, base)
    if native is not None:
        assert native == _engine(expression, item, base), (expression, item, base)


_LISTED: st.SearchStrategy[Any] = st.one_of(_SCALAR, st.lists(st.one_of(_SCALAR, st.just({"use": "x"})), max_size=3),
                   st.just({"text": "n"}), st.just({}))


@settings(max_examples=500, deadline=None)
@given(item=st.fixed_dictionaries({}, optional={"fullUrl": _LISTED, "_fullUrl": st.just({"extension": []}),
                                                "identifier": _LISTED, "name": _LISTED, "value": _LISTED,
                                                "valueString": _LISTED}),
       expression=st.sampled_from(["fullUrl.contains('/_history/')", "fullUrl.contains('/_history/').not()",
                                   "name.contains('')", "(identifier.count() + name.count()) > 0",
                                   "(name.count()) >= 2", "(value.count() + fullUrl.count()) < 1"]),
       base=st.sampled_from(["Bundle.entry", "Organization", "Observation", "Extension"]))
def test_contains_and_counts_agree_with_fhirpathpy(item: dict[str, Any], expression: str, base: str) -> None:
    native = answer(_native(expression, (Contains, Counts)), item, base)
    if native is not None:
        assert native == _engine(expression, item, base), (expression, item, base)


def test_the_walk_answers_the_commonest_operands_without_fhirpathpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """per-1 on a Period in two zones, ait-2's where(), lst-1's path: no call of the engine."""
    def refuse(*args: Any, **kwargs: Any) -> list[Any]:
        raise AssertionError("fhirpathpy was asked")
    monkeypatch.setattr(invariants, "engine", refuse)
    per1 = "start.hasValue().not() or end.hasValue().not() or (start <= end)"
    later = {"start": "2021-10-13T13:20:00+07:00", "end": "2021-10-13T05:00:00Z"}  # 06:20Z, after 05:00Z
    assert evaluate(per1, later, "Period", {}, {}) == [False]
    assert evaluate(per1, {**later, "end": "2021-10-13T08:00:00+01:00"}, "Period", {}, {}) == [True]  # 07:00Z
    ait2 = ("verificationStatus.coding.where(system = 'http://terminology.hl7.org/CodeSystem/"
            "allergyintolerance-verification' and code = 'entered-in-error').empty() or clinicalStatus.empty()")
    erroneous = {"verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                    "allergyintolerance-verification", "code": "entered-in-error"}]},
                 "clinicalStatus": {"text": "active"}}
    assert evaluate(ait2, erroneous, "AllergyIntolerance", {}, {}) == [False]
    org = {"identifier": [{"value": "1"}], "name": "N"}
    assert evaluate("(identifier.count() + name.count()) > 0", org, "Organization", {}, {}) == [True]  # org-1
    assert evaluate("fullUrl.contains('/_history/').not()", {"fullUrl": "urn:uuid:1"}, "Bundle.entry", {}, {}) \
        == [True]  # bdl-8
    entries = {"mode": "working", "entry": [{"deleted": True}, {"item": {"reference": "#a"}}]}
    assert evaluate("mode = 'changes' or entry.deleted.empty()", entries, "List", {}, {}) == [False]  # lst-1
