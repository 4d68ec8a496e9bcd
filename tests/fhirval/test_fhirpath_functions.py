"""fhirpath_functions.py: FHIRPath functions fhirpathpy lacks or answers otherwise than HL7's FHIRPathEngine, each
from the function's semantics on small inline resources, with fhirpathpy's own answer beside ours."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate

from conformance.fhirval.invariants import evaluate

PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "birthDate": "1974-12-25", "active": True,
    "name": [{"use": "usual", "family": "Beta", "given": ["Jim"]}, {"use": "official", "family": "Alpha",
                                                                     "given": ["Peter", "James"]}],
}
QTY: dict[str, Any] = {"resourceType": "Observation", "status": "final", "code": {"text": "w"},
                       "valueQuantity": {"value": 70, "system": "http://unitsofmeasure.org", "code": "kg"}}


def ours(expression: str, resource: dict[str, Any] = PATIENT) -> list[Any]:
    return evaluate(expression, resource, resource["resourceType"], resource, resource)


def test_fhirpathpy_lacks_them() -> None:
    for expression in ("name.sort(family)", "birthDate.precision()", "1 'cm'.comparable(1 'm')"):
        with pytest.raises(Exception, match="Not implemented"):
            fhirpathpy_evaluate(PATIENT, expression)


@pytest.mark.parametrize(("expression", "expected"), [
    ("name.sort(family).use", ["official", "usual"]),  # by a key
    ("name.sort(-family).use", ["usual", "official"]),  # a leading minus: descending (FHIRPathBaseSorter)
    ("name.given.sort()", ["James", "Jim", "Peter"]),  # by value
    ("(3 | 1 | 2).sort(-$this)", [3, 2, 1]),
    ("name.sort(use, -given.first()).family", ["Alpha", "Beta"]),
    ("name.sort(period.start).family", ["Beta", "Alpha"]),  # no key on either: order kept
    ("(true | false).sort()", [True, False]),  # HL7 compares "true"/"false" reversed on purpose
])
def test_sort(expression: str, expected: list[Any]) -> None:
    assert ours(expression) == expected


@pytest.mark.parametrize("expression", ["(1 | 'a').sort()", "name.sort(given)"])
def test_sort_of_values_that_do_not_compare_or_of_a_key_with_several_values_is_an_error(expression: str) -> None:
    with pytest.raises(ValueError):
        ours(expression)


@pytest.mark.parametrize(("expression", "expected"), [
    ("1.58700.precision()", [5]), ("birthDate.precision()", [8]), ("@2014.precision()", [4]),
    ("@2014-01-05T10:30:00.000+10:00.precision()", [17]), ("@T10:30.precision()", [4]), ("{}.precision()", []),
])
def test_precision(expression: str, expected: list[Any]) -> None:
    """funcPrecision: a decimal's digits after the point, a date's or time's digits (the zone not counted)."""
    assert ours(expression) == expected


@pytest.mark.parametrize(("expression", "expected"), [
    ("1 'cm'.comparable(1 '[in_i]')", [True]), ("1 'cm'.comparable(1 's')", [False]),
    ("value.comparable(1 'g')", [True]), ("value.comparable(1 'mL')", [False]),
    ("value.comparable(1 week)", [False]),  # a calendar duration has no UCUM code
])
def test_comparable(expression: str, expected: list[Any]) -> None:
    assert ours(expression, QTY) == expected


def test_round_without_places_and_string_functions_with_an_empty_argument() -> None:
    with pytest.raises(Exception, match="arity"):
        fhirpathpy_evaluate(PATIENT, "3.7.round()")
    assert ours("3.7.round()") == [4]
    assert ours("3.14159.round(3)") == [Decimal("3.142")]
    with pytest.raises(TypeError):
        fhirpathpy_evaluate(PATIENT, "'abc'.indexOf({})")
    assert ours("'abc'.indexOf({})") == []
    assert ours("'123'.replace('2', {})") == []
    assert ours("'abc'.replaceMatches('', 'x')") == ["abc"]  # an empty regex is no pattern (funcReplaceMatches)
    assert ours("'abc'.replaceMatches('b', 'x')") == ["axc"]
    # several items: funcReplaceMatches gives the first back unreplaced (its else branch)
    assert ours("name.family.replaceMatches('a', 'x')") == ["Beta"]


@pytest.mark.parametrize(("expression", "expected"), [
    ("(-5.5 'mg').abs() = 5.5 'mg'", [True]),  # HL7: unary minus is 0 - x, and funcAbs takes a Quantity
    ("(-5).abs()", [5]),
    ("'1 \\'mo\\''.toQuantity() = 1 month", []),  # a calendar month has no UCUM code in HL7's parser: qtyEqual empty
    ("1 'a' = 1 year", []),
    ("1 'wk' = 1 week", [True]),  # a week is UCUM wk there
])
def test_quantity_negation_abs_and_calendar_years_and_months(expression: str, expected: list[Any]) -> None:
    assert ours(expression) == expected


def test_fhirpathpy_could_not_negate_a_quantity_and_equated_calendar_months() -> None:
    with pytest.raises(Exception, match="Unary - can only be applied to a number"):
        fhirpathpy_evaluate({}, "(-5.5 'mg').abs()")
    assert fhirpathpy_evaluate({}, "1 'a' = 1 year") == [True]


@pytest.mark.parametrize(("expression", "expected"), [
    ("@2015.is(Date)", [True]),  # a date literal is a System Date (funcIs) ...
    ("@2015-02-04 is DateTime", [True]),  # ... and a Date is a DateTime there
    ("@2015-02-04T10:00.is(Date)", [False]),
    ("name.is(HumanName)", []),  # funcIs: several items are empty
    ("name is HumanName", [False]),  # opIs: several items are false
    ("name.first() is HumanName", [True]),
])
def test_is_on_date_literals_and_on_several_items(expression: str, expected: list[Any]) -> None:
    assert ours(expression) == expected


def test_fhirpathpy_typed_date_literals_datetime_and_raised_on_several_items() -> None:
    assert fhirpathpy_evaluate({}, "@2015.is(Date)") == [False]
    with pytest.raises(ValueError, match="Expected singleton"):
        fhirpathpy_evaluate(PATIENT, "Patient.name.is(HumanName)")


@pytest.mark.parametrize(("expression", "expected"), [
    ("2.0 'cm' * 2.0 'm' = 0.040 'm2'", [True]),  # opTimes through UCUM: cm.m is 0.0001 m2
    ("4.0 'g' / 2.0 'm' = 2 'g/m'", [True]),
    ("1.0 'm' / 1.0 'm' = 1 '1'", [True]),
    ("1 'm' / 0 'm'", []),  # a division UCUM cannot make: nothing
    ("7 / 2", [Decimal("3.5")]),
])
def test_quantities_multiply_and_divide(expression: str, expected: list[Any]) -> None:
    assert ours(expression) == expected


def test_fhirpathpy_multiplied_numbers_only() -> None:
    with pytest.raises(TypeError):
        fhirpathpy_evaluate({}, "2.0 'cm' * 2.0 'm'")


@pytest.mark.parametrize(("expression", "theirs", "expected"), [
    ("'+5'.toInteger()", [5], []),  # Utilities.isInteger: an optional '-' and digits only
    ("'true'.toInteger()", [], [1]),  # funcToInteger reads the text true / false too
    ("'12345678901'.toInteger()", [12345678901], []),  # more than ten digits
    ("'2147483648'.toInteger()", [2147483648], []),  # past Java's int
    ("5.0.toInteger()", [5], []),  # a decimal's text '5.0' is no integer
    ("'-12'.toInteger()", [-12], [-12]),
    ("active.toInteger()", [1], [1]),
])
def test_to_integer_as_hl7s_func_to_integer(expression: str, theirs: list[Any], expected: list[Any]) -> None:
    assert list(fhirpathpy_evaluate(PATIENT, expression)) == theirs
    assert ours(expression) == expected


def test_substring_as_hl7s_func_substring() -> None:
    """One item of a FHIR string type, no implicit conversion (a date is not cut), an empty cut is no item."""
    assert list(fhirpathpy_evaluate(PATIENT, "birthDate.substring(0, 4)")) == ["1974"]
    assert ours("birthDate.substring(0, 4)") == []
    assert ours("birthDate.toString().substring(0, 4)") == ["1974"]
    assert list(fhirpathpy_evaluate(PATIENT, "'abc'.substring(1, 0).exists()")) == [True]
    assert ours("'abc'.substring(1, 0).exists()") == [False]
    with pytest.raises(Exception, match="Expected string"):
        fhirpathpy_evaluate(PATIENT, "name.given.substring(0, 1)")
    assert ours("name.given.substring(0, 1)") == []  # several items: empty, not an error
    assert ours("name[0].family.substring(1, 2)") == ["et"]
    assert ours("'abc'.substring(3)") == [] and ours("'abc'.substring(1)") == ["bc"]


def test_length_as_hl7s_func_length() -> None:
    """funcLength: one string-typed item, in UTF-16 units; several items or none are empty (fhirpathpy raised)."""
    with pytest.raises(Exception, match="Expected string"):
        fhirpathpy_evaluate(PATIENT, "name.given.length()")
    assert ours("name.given.length()") == []
    assert ours("name[1].given[0].length()") == [5]
    assert ours("birthDate.length()") == [] and ours("birthDate.toString().length()") == [10]
    assert ours("'\U0001F600'.length()") == [2]
