"""FHIR TestReport output: valid against the official R4 JSON Schema, outcomes kept apart."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.model import RunResult, Status
from conformance.reporting.testreport import build_testreports, write_testreport
from tests.shared_data import SHARED_DATA

SCHEMA = SHARED_DATA / "fhir-r4" / "fhir.schema.json"


@cache
def validator() -> Any:
    if not SCHEMA.exists():
        pytest.fail(f"the official FHIR R4 JSON Schema is expected at {SCHEMA}: "
                    "set CONFORMANCE_SHARED_DATA to the shared data folder")
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft6Validator(schema)


def test_every_testreport_is_valid_r4(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "testreport.json"
    write_testreport(result, path)
    bundle = json.loads(path.read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:200] for e in validator().iter_errors(bundle)]
    assert errors == []
    assert all(e["resource"]["resourceType"] == "TestReport" for e in bundle["entry"])


def test_outcomes_map_one_to_one(result: RunResult) -> None:
    reports = [e["resource"] for e in build_testreports(result)["entry"]]
    asserted = {t["name"]: t["action"][0]["assert"]["result"] for r in reports for t in r["test"]}
    assert asserted == {c.id: c.status.value for c in result.results}
    required_bad = any(c.required and c.status in (Status.FAIL, Status.ERROR) for c in result.results)
    assert any(r["result"] == "fail" for r in reports) is required_bad


def test_an_unfinished_run_is_in_progress(result: RunResult) -> None:
    result.run.finished = ""
    report = build_testreports(result)["entry"][0]["resource"]
    assert report["status"] == "in-progress" and "issued" not in report


def test_an_aborted_run_is_stopped_with_no_verdict(result: RunResult) -> None:
    result.run.aborted = "interrupted by the user"
    reports = [e["resource"] for e in build_testreports(result)["entry"]]
    assert reports and all(r["status"] == "stopped" and r["result"] == "pending" for r in reports)
    assert validator().is_valid(build_testreports(result))
