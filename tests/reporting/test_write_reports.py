from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.model import RunResult
from conformance.reporting import ReportError, write_reports


def test_writes_the_standard_set_into_a_new_directory(result: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "reports" / result.run.id
    written = write_reports(result, out)
    assert written == {"json": out / "report.json", "junit": out / "junit.xml", "html": out / "report.html"}
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["run"]["id"] == result.run.id
    ET.parse(out / "junit.xml")
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in out.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.json",
    ]  # no temp files


def test_extra_paths_are_written_with_their_parents(result: RunResult, tmp_path: Path) -> None:
    out = tmp_path / "run"
    written = write_reports(
        result,
        out,
        json_path=tmp_path / "ci" / "a" / "out.json",
        junit_path=tmp_path / "ci" / "b" / "junit.xml",
        html_path=out / "report.html",  # the same file as the standard one: written once
    )
    assert written["json_path"] == tmp_path / "ci" / "a" / "out.json"
    assert written["junit_path"] == tmp_path / "ci" / "b" / "junit.xml"
    assert "html_path" not in written
    assert (tmp_path / "ci" / "a" / "out.json").read_bytes() == (out / "report.json").read_bytes()


def test_unwritable_places_raise_report_error(result: RunResult, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ReportError, match="is a file, not a directory"):
        write_reports(result, blocker)
    with pytest.raises(ReportError, match="cannot write"):
        write_reports(result, tmp_path / "ok", json_path=blocker / "under-a-file.json")
    with pytest.raises(ReportError, match="is a directory"):
        write_reports(result, tmp_path / "ok", html_path=tmp_path)
