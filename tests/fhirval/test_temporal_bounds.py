"""temporal_bounds.check_temporal_bounds on its own, with a fixed ``now``: the edges of HL7's checkMinMaxValueDate /
checkMinMaxValueDateTime that a review (review19b) probed (each failed or raised before its mend)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conformance.fhirval.issues import Sink
from conformance.fhirval.temporal_bounds import check_temporal_bounds

NOW = dt.datetime(2026, 6, 25, 12, 0, tzinfo=dt.UTC)
UCUM = "http://unitsofmeasure.org"


def judged(value: str, tcode: str, **bounds: Any) -> list[tuple[str, str]]:
    sink = Sink()
    check_temporal_bounds(value, tcode, bounds, "X.v", sink, now=NOW)
    return [(i.severity, i.defect) for i in sink.issues]


def test_a_bound_with_an_impossible_zone_is_no_instant_and_no_crash() -> None:
    assert judged("2020-01-01T11:00:00Z", "instant", minValueInstant="2020-01-01T10:00:00+30:00") == []


def test_a_leap_second_is_the_next_minute_and_milliseconds_are_what_java_keeps() -> None:
    assert judged("2020-01-01T10:00:60Z", "instant", minValueInstant="2020-01-01T10:01:00Z") == []
    assert judged("2020-01-01T10:00:00.0005Z", "instant", minValueInstant="2020-01-01T10:00:00.0009Z") == []
    assert judged("2020-01-01T10:00:00.001Z", "instant", minValueInstant="2020-01-01T10:00:00.002Z") == [
        ("error", "min-value")]


def test_with_one_side_zoned_only_a_value_out_of_bounds_in_every_zone_is_an_error() -> None:
    """Java reads the side without a zone in its machine's zone, unknown here."""
    assert judged("2020-01-01", "dateTime", minValueDateTime="2020-01-01T00:00:00Z") == []
    assert judged("2019-12-31T23:30:00-05:00", "dateTime", minValueDate="2020-01-01") == []
    assert judged("2019-12-30", "dateTime", minValueDateTime="2020-01-01T00:00:00Z") == [("error", "min-value")]


@pytest.mark.parametrize(("value", "bound", "expected"), [
    ("0001", {"value": 2026, "system": UCUM, "code": "a"}, []),  # now minus 2026 years is before year 1
    ("2026-06-25", {"value": -1, "system": UCUM, "code": "a"}, [("error", "min-value")]),  # "must be non-negative"
    ("2026-06-25", {"value": 10**10, "system": UCUM, "code": "a"}, [("error", "min-value")]),  # Math.toIntExact
    ("2026-06-25", {"value": 1.0005, "system": UCUM, "code": "s"}, [("error", "min-value")]),  # not whole ms
    ("2026-06-26", {"value": 1.5, "system": UCUM, "code": "s"}, []),  # 1500 ms
    ("2026-06-24", {"value": 1.5, "system": UCUM, "code": "s"}, [("error", "min-value")]),
])
def test_a_duration_minimum_as_applyUcumDelta_applies_it(value: str, bound: dict[str, Any],
                                                         expected: list[tuple[str, str]]) -> None:
    assert judged(value, "date", minValueQuantity=bound) == expected


def test_calendar_years_clamp_the_day() -> None:
    leap = dt.datetime(2024, 2, 29, tzinfo=dt.UTC)
    sink = Sink()
    check_temporal_bounds("2025-03-01", "date", {"maxValueQuantity": {"value": 1, "system": UCUM, "code": "a"}},
                          "X.v", sink, now=leap)
    assert [i.defect for i in sink.issues] == ["max-value"]  # 2025-02-28 is the limit
    assert judged("2027-06-25", "date", maxValueQuantity={"value": 1, "system": UCUM, "code": "a"}) == []


def test_a_bound_of_another_type_is_java_s_type_mismatch() -> None:
    """The methods' last branch names getMaxValueDateType(): a maximum that is not a date throws there, and the catch
    reports the value (TYPE_SPECIFIC_CHECKS_DT_DATE_VALID); a minimum of another type throws only beside such a
    maximum."""
    assert judged("1990-01-01", "date", maxValueDateTime="2000-01-01T00:00:00Z") == [("error", "max-value")]
    assert judged("1990-01-01", "date", minValueDateTime="2000-01-01T00:00:00Z") == []
    assert judged("1990-01-01", "date", minValueDateTime="2000-01-01T00:00:00Z", maxValueDate="2030-01-01") == []
    assert judged("1990-01-01T00:00:00Z", "dateTime", minValueTime="10:00:00",
                  maxValueDateTime="2030-01-01T00:00:00Z") == [("error", "min-value")]
