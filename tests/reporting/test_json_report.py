from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.model import RunResult
from conformance.reporting import ReportError
from conformance.reporting.json_report import (
    RESULT_KEYS,
    RUN_KEYS,
    SUMMARY_KEYS,
    read_json,
    write_json,
)


def _strict_load(path: Path) -> object:
    def reject(token: str) -> object:
        raise ValueError(f"non-standard JSON constant {token}")

    return json.loads(path.read_bytes().decode("utf-8"), parse_constant=reject)


def test_json_follows_the_run_output_contract(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(result, path)
    data = _strict_load(path)
    assert isinstance(data, dict)
    assert set(data) == {"run", "results", "summary"}
    assert set(RUN_KEYS) <= set(data["run"])
    assert data["run"]["id"] == "run-20240101-abc"
    assert len(data["results"]) == len(result.results)
    for item in data["results"]:
        assert set(RESULT_KEYS) <= set(item)
        assert item["status"] in {"pass", "fail", "skip", "error"}
        assert isinstance(item["required"], bool)
        assert isinstance(item["evidence"], list)
    assert set(data["summary"]) == set(SUMMARY_KEYS)
    assert data["summary"] == {"pass": 2, "fail": 2, "skip": 1, "error": 1}


def test_json_is_utf8_indented_and_keeps_text(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(result, path)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert "Trust EPR <test> é" in text  # not \u-escaped
    assert text.splitlines()[1].startswith('  "run"')
    assert text.endswith("}\n")


def test_nan_metrics_become_null_not_invalid_json(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(result, path)
    data = _strict_load(path)
    assert isinstance(data, dict)
    big = next(r for r in data["results"] if r["id"] == "fhir-rest.search.big")
    assert big["metrics"]["latency_ms"]["p95"] is None
    assert big["metrics"]["latency_ms"]["p99"] == 3.0


def test_json_reads_back_to_the_same_result(result: RunResult, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    result.results[4].metrics = {}  # NaN does not compare equal to itself
    write_json(result, path)
    again = read_json(path).to_dict()
    expected = json.loads(json.dumps(result.to_dict()).replace("\\ud800", "\\ufffd"))
    assert again == expected
    body = again["results"][1]["evidence"][0]["response"]["body"]
    assert body.startswith("<script>alert(1)</script>\x00\x1b[2J]]>")  # kept as sent
    assert "\ufffd" in body and "\ud800" not in body


def test_reading_a_non_report_says_why(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ReportError, match="not a conformance run report"):
        read_json(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ReportError, match="not a JSON report"):
        read_json(path)
