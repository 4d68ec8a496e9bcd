from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from reporting_data import make_check

from conformance.model import RunResult, Status
from conformance.reporting.junit import write_junit


def _load(result: RunResult, tmp_path: Path) -> ET.Element:
    path = tmp_path / "junit.xml"
    write_junit(result, path)
    assert path.read_bytes().startswith(b"<?xml")
    return ET.parse(path).getroot()  # raises on anything that is not well-formed XML 1.0


def test_counts_match_the_run(result: RunResult, tmp_path: Path) -> None:
    root = _load(result, tmp_path)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "6",
        "2",
        "1",
        "1",
    )
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["fhir-rest", "gs1"]
    fhir = suites["fhir-rest"]
    assert (fhir.get("tests"), fhir.get("failures"), fhir.get("errors"), fhir.get("skipped")) == (
        "5",
        "2",
        "1",
        "1",
    )
    assert len(fhir.findall("testcase")) == 5
    assert len(root.findall(".//testcase/failure")) == 2
    assert len(root.findall(".//testcase/error")) == 1
    assert len(root.findall(".//testcase/skipped")) == 1


def test_testcase_shape(result: RunResult, tmp_path: Path) -> None:
    root = _load(result, tmp_path)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {r.id for r in result.results}
    case = cases["fhir-rest.search.by-identifier"]
    assert case.get("classname") == "fhir-rest.search"
    assert case.get("time") == "0.123"
    error = case.find("error")
    assert error is not None
    assert "connection refused" in (error.get("message") or "")
    assert error.get("type") == "required"
    props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
    assert ("requirement", "FHIR-R4:http.html#read") in props
    assert ("capability", "open-api") in props
    assert ("required", "true") in props
    out = case.findtext("system-out") or ""
    assert "GET http://fhir.example.test/Patient/1 -> no response" in out
    assert "error: connection refused" in out
    assert cases["fhir-rest.read.patient"].find("failure") is None
    skipped = cases["fhir-rest.search.count"].find("skipped")
    assert skipped is not None and skipped.get("message") == "server does not claim _count"
    optional = cases["fhir-rest.search.big"].find("failure")
    assert optional is not None and optional.get("type") == "optional"


def test_run_properties_name_the_target(result: RunResult, tmp_path: Path) -> None:
    root = _load(result, tmp_path)
    suite = root.find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.findall("properties/property")}
    assert props["run.id"] == "run-20240101-abc"
    assert props["organisation.ods_code"] == "RXX"
    assert props["target.name"] == "Trust EPR <test> é"


def test_control_characters_and_cdata_end_survive(result: RunResult, tmp_path: Path) -> None:
    root = _load(result, tmp_path)
    case = next(c for c in root.iter("testcase") if c.get("name") == "fhir-rest.read.not-found")
    failure = case.find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert "]]>" in message
    assert "\\x00" in message and "\\x1b" in message and "\\x07" in message
    assert "\x00" not in message and "\x1b" not in message
    assert "[bold]red[/bold] <b>bold</b>" in (failure.text or "")
    assert "\n" not in message  # the attribute is one line; the text keeps it all


def test_hostile_text_everywhere_still_parses(tmp_path: Path) -> None:
    nasty = "a\x00b\x0bc\x1fd\x7fe\ud800f\ufffeg]]>h<i>&j\u202ek"
    check = make_check(f"evil.group.{'x'}", Status.ERROR, message=nasty, title=nasty)
    check.requirements = [nasty]
    check.evidence[0].summary = nasty
    check.evidence[0].data["error"] = nasty
    from conformance.model import RunInfo

    result = RunResult(
        run=RunInfo(id=nasty, started="", target={"name": nasty}, harness_version=nasty), results=[check]
    )
    root = _load(result, tmp_path)
    error = root.find(".//error")
    assert error is not None
    assert error.text is not None and "]]>h<i>&j" in error.text
    assert "\\ud800" in error.text and "\\u202e" in error.text


def test_empty_run_is_valid(tmp_path: Path) -> None:
    from conformance.model import RunInfo

    root = _load(RunResult(run=RunInfo(id="r", started="", target={}, harness_version="0")), tmp_path)
    assert root.get("tests") == "0"
    assert root.findall("testsuite") == []
