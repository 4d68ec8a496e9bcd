"""A MeasureReport group's populations and score against its Measure, as HL7's MeasureValidator
(MEASURE_MR_GRP_POP_UNK_CODE / _DUPL_CODE / _MISSING_BY_CODE / _NO_CODE, MEASURE_MR_SCORE_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

M_URL = "http://example.org/Measure/synthetic-scored"
POP = "http://terminology.hl7.org/CodeSystem/measure-population"


def code(c: str) -> dict[str, Any]:
    return {"coding": [{"system": POP, "code": c}]}


def measure(scoring: str) -> dict[str, Any]:
    return {"resourceType": "Measure", "url": M_URL, "status": "draft",
            "scoring": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-scoring",
                                    "code": scoring}]},
            "group": [{"population": [{"code": code(c), "criteria": {"language": "text/cql", "expression": c}}
                                      for c in ("initial-population", "denominator", "numerator",
                                                "measure-observation")]}]}


def report(populations: list[dict[str, Any]], score: dict[str, Any] | None,
           report_type: str = "summary") -> dict[str, Any]:
    group: dict[str, Any] = {"population": populations}
    if score is not None:
        group["measureScore"] = score
    return {"resourceType": "MeasureReport", "status": "complete", "type": report_type, "measure": M_URL,
            "period": {"start": "2020-01-01", "end": "2020-12-31"}, "group": [group]}


FULL = [{"code": code(c), "count": 1} for c in ("initial-population", "denominator", "numerator")]


def test_a_complete_proportion_report_is_accepted(tmp_path: Path) -> None:
    assert errors(report(FULL, {"value": 0.5}), definitions(tmp_path, measure("proportion"))) == []


def test_populations_unknown_repeated_missing_or_without_code(tmp_path: Path) -> None:
    source = definitions(tmp_path, measure("proportion"))
    pops = [FULL[0], FULL[0], {"code": code("denominator-exclusion")}, {"count": 1}]
    assert errors(report(pops, {"value": 0.5}), source) == [
        ("measure-report", "MeasureReport.group[0].population[1]"),
        ("measure-report", "MeasureReport.group[0].population[2]"),
        ("measure-report", "MeasureReport.group[0].population[3]"),
        ("measure-report", "MeasureReport.group[0]"), ("measure-report", "MeasureReport.group[0]")]


def test_proportion_score_required_unitless_and_within_0_to_1(tmp_path: Path) -> None:
    source = definitions(tmp_path, measure("proportion"))
    assert errors(report(FULL, None), source) == [("measure-report", "MeasureReport.group[0]")]
    assert errors(report(FULL, {"unit": "%"}), source) == [  # the unit is said before the value is looked for
        ("measure-report", "MeasureReport.group[0].measureScore.unit"),
        ("measure-report", "MeasureReport.group[0].measureScore")]
    assert errors(report(FULL, {"value": 50, "unit": "%"}), source) == [
        ("measure-report", "MeasureReport.group[0].measureScore.unit"),
        ("measure-report", "MeasureReport.group[0].measureScore.value")]


def test_no_score_for_a_cohort_or_in_a_data_collection(tmp_path: Path) -> None:
    cohort = definitions(tmp_path, measure("cohort"))
    assert errors(report(FULL, None), cohort) == []
    assert errors(report(FULL, {"value": 3}), cohort) == [("measure-report", "MeasureReport.group[0].measureScore")]
    (tmp_path / "ratio").mkdir()
    ratio = definitions(tmp_path / "ratio", measure("ratio"))
    assert errors(report(FULL, {"value": 3, "unit": "1"}), ratio) == []
    assert errors(report(FULL, {"value": 3}, "data-collection"), ratio) == [  # R4's mrp-1 says so too
        ("invariant", "MeasureReport"), ("measure-report", "MeasureReport.group[0].measureScore")]
