"""fhirpath_semantics.py: each deviation of fhirpathpy from FHIRPath (found by the official R4 suite,
bench/fhirpath_suite.py) with fhirpathpy's own answer beside ours, on small inline resources."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate
from fhirpathpy.models import models

from conformance.fhirval.invariants import evaluate

PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "gender": "male", "birthDate": "1974-12-25", "active": True,
    "name": [{"given": ["Peter", "James"]}, {"given": ["Peter", "Jim"]}],
}
VALUE_SET: dict[str, Any] = {"resourceType": "ValueSet", "version": "20150622", "status": "draft"}


def ours(expression: str, resource: dict[str, Any] = PATIENT) -> list[Any]:
    return evaluate(expression, resource, resource["resourceType"], resource, resource)


def theirs(expression: str, resource: dict[str, Any] = PATIENT) -> list[Any]:
    return list(fhirpathpy_evaluate(resource, expression))


def test_equality_compares_every_item_of_two_collections() -> None:
    """FHIRPath 6.1.1: collections are equal when each item is, in order; fhirpathpy looked at the first only."""
    assert theirs("name[0].given = name[1].given") == [True]
    assert ours("name[0].given = name[1].given") == [False]
    assert ours("name[0].given != name[1].given") == [True]
    assert ours("name[0].given = name[0].given") == [True]
    assert ours("(1 | 2) = (1 | 3)") == [False]
    assert ours("name.given = 'Peter'") == [False]  # four items against one
    assert ours("gender = 'male'") == [True]


@pytest.mark.parametrize(("expression", "expected"), [
    ("birthDate = @1974-12-25T12:34:00Z", []),  # a date and a zoned dateTime of that day: unknown
    ("birthDate != @1974-12-25T12:34:00+10:00", []),
    ("birthDate = @1975-01-02T12:34:00Z", [False]),  # not the same day wherever you are
    ("birthDate = @1974-12", []),  # equal as far as the month goes
    ("birthDate = @1974-11", [False]),
    ("birthDate = @1974-12-25", [True]),
    ("@2012-04-15T15:00:00Z = @2012-04-15T10:00:00", []),  # one zoned, one not
    ("@2012-04-15T15:00:00Z = @2012-04-15T17:00:00+02:00", [True]),  # the same instant
    ("@2012-04-15T15:00:00Z = @2012-04-15T15:00:00.000Z", [True]),  # seconds and milliseconds compare
    ("@2012-04-15T15:00Z = @2012-04-15T15:00:00Z", []),
])
def test_date_equality_follows_hl7s_equals_using_fhirpath_rules(expression: str, expected: list[Any]) -> None:
    """BaseDateTimeType.equalsUsingFhirPathRules (suite: testDateNotEqualUTC, testEquality23)."""
    assert ours(expression) == expected


def test_date_equality_was_false_in_fhirpathpy() -> None:
    assert theirs("birthDate = @1974-12-25T12:34:00Z") == [False]
    assert theirs("birthDate != @1974-12-25T12:34:00Z") == [True]  # an invariant `!=` passed where HL7's fails


def test_to_string_writes_booleans_and_decimals_as_fhirpath() -> None:
    assert theirs("active.toString()") == ["True"]
    assert ours("active.toString()") == ["true"]
    assert ours("active.toString() = 'true'") == [True]
    assert ours("1.0.toString()") == ["1.0"]
    assert ours("0.0.toString() = '0.0'") == [True]
    assert ours("1.0.is(Decimal)") == [True]
    assert ours("1.is(Integer)") == [True]
    assert ours("1.0 = 1") == [True]
    assert ours("1.0.convertsToBoolean() and 1.0.toBoolean() and 0.0.toBoolean().not()") == [True]


def test_as_and_of_type_take_a_primitives_own_type_only() -> None:
    """FHIRPathEngine.funcAs/funcOfType stop the type walk at a primitive type: ``gender`` (a code) is a string
    to ``is`` but not to ``as``; complex types still match their ancestors (Age as Quantity)."""
    assert theirs("gender.as(string)") == ["male"]
    assert ours("gender.as(string)") == []
    assert ours("gender.ofType(string)") == []
    assert ours("gender.as(code)") == ["male"]
    assert ours("(gender as code) = 'male'") == [True]
    assert ours("gender.is(string)") == [True]
    assert ours("version.as(string)", VALUE_SET) == ["20150622"]
    assert ours("version.ofType(code)", VALUE_SET) == []
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                   "valueQuantity": {"value": 3, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"}}
    assert len(ours("value.as(Quantity)", observation)) == 1
    with pytest.raises(ValueError, match="unknown type"):
        ours("gender.as(string1)")


def test_contains_and_starts_with_an_empty_string() -> None:
    """FHIRPathEngine.funcContains / funcStartsWith: an empty argument is contained; no input is empty (the
    validator's earlier contains() wrap answered false to both, fhirpathpy's startsWith answers false on '')."""
    assert theirs("''.startsWith('')") == [False]
    assert ours("''.startsWith('')") == [True]
    assert ours("gender.contains('')") == [True]
    assert ours("gender.startsWith('')") == [True]
    assert ours("gender.contains('al')") == [True]
    assert ours("deceasedString.contains('a')") == []
    assert ours("deceasedString.startsWith('a')") == []


def test_hl7s_named_environment_variables() -> None:
    """FHIRPathEngine.resolveConstant: %sct, %loinc, %`vs-name`, %`ext-name`."""
    assert ours("%sct = 'http://snomed.info/sct' and %loinc = 'http://loinc.org'") == [True]
    assert ours("%`vs-administrative-gender`") == ["http://hl7.org/fhir/ValueSet/administrative-gender"]
    assert ours("%`ext-patient-birthTime`") == ["http://hl7.org/fhir/StructureDefinition/patient-birthTime"]
    # any other name goes to the validator's host services, whose resolveConstant answers an empty list
    # (InstanceValidator.ValidatorHostServices; fhirpathpy raised "undefined environment variable")
    assert ours("%nothing") == []
    # HL7's lexer reads %us-zip as one name (FHIRLexer takes '-' and ':' in a constant), fhirpathpy's grammar as
    # %us - zip; HL7 matches "%us-zip" without backticks only, so %`us-zip` is empty there too
    assert ours("%`us-zip`") == []


OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation", "status": "final", "code": {"text": "weight"},
    "valueQuantity": {"value": 185, "unit": "lbs", "system": "http://unitsofmeasure.org", "code": "[lb_av]"},
}


def test_a_resources_quantity_orders_against_a_literal_in_other_units() -> None:
    """fhirpath_quantities.py (FHIRPathEngine.opLessThan): fhirpathpy raised "did not match type" for a
    resource's Quantity and TypeError for two literals, so such a constraint was never evaluated."""
    with pytest.raises(Exception, match="did not match type"):
        fhirpathpy_evaluate(OBSERVATION, "Observation.value < 200 '[lb_av]'", model=models["r4"])
    assert ours("value < 200 '[lb_av]'", OBSERVATION) == [True]
    assert ours("value > 80 'kg'", OBSERVATION) == [True]  # 185 lb is about 84 kg
    assert ours("value < 80 'kg'", OBSERVATION) == [False]
    assert ours("6 days < 1 week") == [True]
    assert ours("1 'kg' >= 1000 'g'") == [True]
    with pytest.raises(ValueError, match="cannot order"):
        ours("value < 2 'm'", OBSERVATION)  # not evaluated, never failed


def test_quantity_equality_converts_ucum_units() -> None:
    assert theirs("1 'kg' = 1000 'g'") == [False]
    assert ours("1 'kg' = 1000 'g'") == [True]
    assert ours("1 'kg' = 2 'm'") == [False]
    assert ours("value = 185 '[lb_av]'", OBSERVATION) == [True]
    assert ours("7 days = 1 week") == [True]  # calendar durations keep fhirpathpy's rules


def test_this_is_the_focus_again_after_an_iteration() -> None:
    """fhirpath_scope.py: fhirpathpy left ``$this`` at the last item a where() iterated, and evaluated a later
    argument against it (suite: testSubSetOf3); a top-level ``$this`` raised KeyError."""
    patient = {"resourceType": "Patient", "gender": "male",
               "name": [{"use": "official", "family": "A"}, {"use": "usual", "family": "B"}]}
    assert theirs("name.where(use = 'usual').family.subsetOf(name.family)", patient) == [False]
    assert ours("name.where(use = 'usual').family.subsetOf(name.family)", patient) == [True]
    assert ours("name.where(use = 'usual').family.subsetOf($this.name.family)", patient) == [True]
    assert ours("$this.gender") == ["male"]
    assert ours("name.where(family.where($this = 'B').exists()).use", patient) == ["usual"]


def test_equivalence_of_collections_ignores_order() -> None:
    """FHIRPath 6.1.3: ``~`` on collections is order-free (suite: testEquivalent21/23); fhirpathpy went in order."""
    assert theirs("(1 | 2 | 3) ~ (3 | 2 | 1)") == [False]
    assert ours("(1 | 2 | 3) ~ (3 | 2 | 1)") == [True]
    assert ours("(1 | 2 | 3) !~ (3 | 2 | 1)") == [False]
    assert ours("name[0].given ~ name[0].given.tail() | name[0].given.first()") == [True]
    assert ours("(1 | 2) ~ (1 | 3)") == [False]
    assert ours("deceasedString ~ {}") == [True]
    assert ours("gender ~ {}") == [False]


def test_matches_full_is_a_whole_string_match_and_matches_a_search() -> None:
    """FHIRPathEngine.funcMatchesFull (fhirpathpy: "Not implemented"); funcMatches finds, as fhirpathpy does."""
    assert ours("gender.matchesFull('mal')") == [False]
    assert ours("gender.matchesFull('m.*e')") == [True]
    assert ours("gender.matches('mal')") == [True]
    assert ours("deceasedString.matchesFull('x')") == [False]  # not one item: false in funcMatchesFull


@pytest.mark.parametrize(("expression", "expected"), [
    ("1.587.lowBoundary()", "1.58650000"), ("1.587.highBoundary(2)", "1.59"), ("(-1.587).lowBoundary(2)", "-1.59"),
    ("120.lowBoundary(2)", "119.50"), ("1.highBoundary(0)", "2"), ("0.0034.lowBoundary(1)", "0.0"),
])
def test_decimal_boundaries_as_hl7_computes_them(expression: str, expected: str) -> None:
    """fhirpath_boundaries.py, ported from HL7's Utilities.lowBoundaryForDecimal (fhirpathpy: "Not implemented")."""
    assert [str(v) for v in ours(expression)] == [expected]


def test_date_boundaries_and_r5s_period_invariant() -> None:
    """R5's per-1 is ``start.lowBoundary() < end.highBoundary()``: a Period within one day passes, a reversed one
    fails; a missing zone is +14:00 (low) or -12:00 (high), as in HL7's DateTimeUtil."""
    assert [v.asStr for v in ours("@2014.lowBoundary(6) | @2014.highBoundary(6)")] == ["2014-01", "2014-12"]
    assert [v.asStr for v in ours("@2014-01-01T08.highBoundary(17)")] == ["2014-01-01T08:00:59.999-12:00"]
    per1 = "start.empty() or end.empty() or (start.lowBoundary() < end.highBoundary())"
    ok = {"start": "2014-01-01", "end": "2014-01-01T10:00:00Z"}
    reversed_ = {"start": "2014-01-03T10:00:00Z", "end": "2014-01-01"}  # the 2nd would pass: end may be -12:00
    assert evaluate(per1, ok, "Period", PATIENT, PATIENT) == [True]
    assert evaluate(per1, reversed_, "Period", PATIENT, PATIENT) == [False]
    assert ours("1.587.lowBoundary(39)") == []


def test_matches_as_hl7s_func_matches() -> None:
    """funcMatches: several items are false (fhirpathpy raised, so the invariant went unevaluated), a date is no
    string (empty: no implicit conversion), a regex of no text is false; one string is a DOTALL search."""
    with pytest.raises(Exception, match="Expected string"):
        theirs("name.given.matches('P')")
    assert ours("name.given.matches('P')") == [False]
    assert theirs("birthDate.matches('19')") == [True]
    assert ours("birthDate.matches('19')") == []
    assert ours("birthDate.toString().matches('19')") == [True]
    assert theirs("gender.matches('')") == []
    assert ours("gender.matches('')") == [False]
    assert ours("gender.matches('^m')") == [True] and ours("gender.matches({})") == []
