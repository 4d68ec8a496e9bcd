"""fhirpath_dates.py: date / time arithmetic as HL7's FHIRPathEngine.dateAdd / timeAdd, with fhirpathpy's answer
beside ours."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate

from conformance.fhirval.invariants import evaluate

PATIENT: dict[str, Any] = {"resourceType": "Patient", "birthDate": "2000-02-29"}


def ours(expression: str) -> list[str]:
    return [str(getattr(v, "asStr", v)) for v in evaluate(expression, PATIENT, "Patient", PATIENT, PATIENT)]


@pytest.mark.parametrize(("expression", "expected"), [
    ("@1973-12-25T00:00:00.000+10:00 + 7 days", "1974-01-01T00:00:00.000+10:00"),  # the value's own zone
    ("@1973-12-25T00:00:00.000+10:00 + 0.1 's'", "1973-12-25T00:00:00.100+10:00"),  # a second's fraction as ms
    ("@1973-12-25T00:00:00.000+10:00 + 1 'h'", "1973-12-25T01:00:00.000+10:00"),
    ("@1974-12-25 - 1 'month'", "1974-11-25"),  # HL7's case label "month", not UCUM
    ("birthDate + 1 year", "2001-02-28"),  # Calendar.add clamps the day
    ("@2015-01-01 + 25 hours", "2015-01-02"),  # the precision is kept
    ("@T23:00:00 + 2 hours", "01:00:00"),  # a time wraps at midnight
    ("@T00:30:00 - 1 hour", "23:30:00"),
])
def test_date_arithmetic(expression: str, expected: str) -> None:
    assert ours(expression) == [expected]


@pytest.mark.parametrize("expression", ["@2015-01-01 + 1 'a'", "@2015-01-01 + 1 'mo'", "@2015-01-01 + 1 'kg'"])
def test_ucum_years_months_and_other_units_raise(expression: str) -> None:
    """dateAdd throws FHIRPATH_ARITHMETIC_QTY for UCUM a / mo and FHIRPATH_ARITHMETIC_UNIT for anything else."""
    with pytest.raises(ValueError):
        ours(expression)


def test_fhirpathpy_wrote_utc_and_failed_on_times() -> None:
    assert [str(v) for v in fhirpathpy_evaluate({}, "@1973-12-25T00:00:00.000+10:00 + 7 days")] == [
        "1973-12-31T14:00:00.000+00:00"]
    with pytest.raises(TypeError):
        fhirpathpy_evaluate({}, "@T23:00:00 + 2 hours")
