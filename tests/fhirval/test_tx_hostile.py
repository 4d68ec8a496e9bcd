"""A terminology service that fails, lies or floods, and a damaged txCache folder: each gives a warning that the
code was not checked, or no answer, never a traceback and never a verdict on the code (review10's findings).
Servers are respx mocks on loopback: no real network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from click.testing import CliRunner

from conformance.cli import main
from conformance.fhirval.base import base_source
from conformance.fhirval.options import Options
from conformance.fhirval.tx_cache import ENTRY_MARKER, TxCache
from conformance.fhirval.tx_client import TxServer, server_base
from conformance.fhirval.tx_service import TxCoding, TxRequest, answer_from
from conformance.fhirval.validate import validate_resource

BASE = "http://127.0.0.1:9/fhir"
SCT = "http://snomed.info/sct"
REQUEST = TxRequest((TxCoding(SCT, "38341003"),))


def _observation() -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "subject": {"display": "x"},
            "code": {"coding": [{"system": SCT, "code": "38341003"}]}}


@pytest.mark.parametrize("body", [
    {"resourceType": "Parameters", "parameter": 5},
    {"resourceType": "Parameters", "parameter": [{"name": "issues", "resource": {"issue": 7}}]},
    {"resourceType": "Parameters", "parameter": [{"name": "issues", "resource": {"issue": [
        {"severity": "error", "expression": 3, "details": {"coding": 3}, "extension": 3}]}}]},
    {"resourceType": "Parameters", "parameter": [{"name": "issues", "resource": {"issue": [
        {"severity": "error", "expression": {"a": 1}}, {"severity": "error", "expression": [3]}]}}]},
])
@respx.mock
def test_a_malformed_answer_is_read_without_raising(respx_mock: respx.MockRouter, body: dict[str, Any]) -> None:
    respx_mock.post(url__regex=r"/CodeSystem/\$validate-code$").mock(return_value=httpx.Response(200, json=body))
    issues = validate_resource(_observation(), base_source(), options=Options(tx_server=BASE + "/m" + str(id(body))))
    assert all(i.defect != "internal" for i in issues)  # the run went through (an exception would have raised)


@pytest.mark.parametrize("response", [
    httpx.Response(500, text="down"),
    httpx.Response(404, json={"resourceType": "OperationOutcome"}),
    httpx.Response(200, text="[" * 100_000 + "]" * 100_000),
    httpx.Response(200, json={"resourceType": "Bundle"}),
])
@respx.mock
def test_a_failing_server_is_a_warning_on_the_code_never_silence_nor_an_error(
        respx_mock: respx.MockRouter, response: httpx.Response) -> None:
    route = respx_mock.post(url__regex=r"/CodeSystem/\$validate-code$").mock(return_value=response)
    issues = validate_resource(_observation(), base_source(),
                               options=Options(tx_server=f"{BASE}/f{route.call_count}{id(response)}"))
    warned = [i for i in issues if "terminology server" in i.message and "not checked" in i.message]
    assert warned and all(i.severity == "warning" for i in warned)
    assert not [i for i in issues if i.severity == "error"]


@respx.mock
def test_a_request_is_sent_once_and_a_dead_server_is_left_after_three_failures(
        respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(f"{BASE}/CodeSystem/$validate-code").mock(side_effect=httpx.ConnectError("refused"))
    server = TxServer(BASE)
    first = server.validate(REQUEST)
    assert first is not None and first.error_class == "SERVER_ERROR" and "could not be reached" in (first.message or "")
    assert server.validate(REQUEST) == first and route.call_count == 1  # kept: not asked again
    for code in ("1", "2", "3", "4", "5"):
        server.validate(TxRequest((TxCoding(SCT, code),)))
    assert route.call_count == 3  # three failures in a row: the server is down for the process


@respx.mock
def test_an_answer_larger_than_the_limit_is_not_read(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(f"{BASE}/CodeSystem/$validate-code").mock(
        return_value=httpx.Response(200, content=b" " * (5 * 1024 * 1024)))
    answer = TxServer(BASE).validate(REQUEST)
    assert answer is not None and answer.error_class == "SERVER_ERROR" and "MB" in (answer.message or "")


def test_the_server_url_is_made_secure_and_credentials_are_refused() -> None:
    assert server_base("http://tx.example.org/r4/") == "https://tx.example.org/r4"
    assert server_base("http://127.0.0.1:8080/fhir") == "http://127.0.0.1:8080/fhir"  # loopback: as given
    for bad in ("tx.fhir.org/r4", "ftp://tx.example.org", "https://user:secret@tx.example.org/r4"):
        with pytest.raises(ValueError):
            server_base(bad)
    result = CliRunner().invoke(main, ["validate", "fhir", "--tx-server", "https://u:secret@tx.example.org",
                                       "x.json"])
    assert result.exit_code == 2 and "credentials" in result.output and "secret" not in result.output


def _cache(tmp_path: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return tmp_path


def test_a_damaged_cache_folder_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    good_request = json.dumps({"code": {"system": SCT, "code": "38341003"}, "langs": "en-US"})
    good = f"{ENTRY_MARKER}\n{good_request}####\nv: {json.dumps({'severity': 'error', 'error': 'bad'})}\n"
    bad_entries = [
        "{not json####\nv: {}",
        f"{good_request}####\nv: " + "[" * 50_000,
        json.dumps({"code": {"system": SCT, "code": "1"}, "profile": {"parameter": [{"name": {"x": 1}}]}})
        + "####\nv: {}",
        json.dumps({"code": {"system": SCT, "code": "2"}}) + "####\nv: " + json.dumps(
            {"severity": "error", "issues": {"issue": [{"expression": 5}, {"extension": 3, "details": 4}]}}),
    ]
    folder = _cache(tmp_path, {
        "binary.cache": bytes(range(256)) * 4,
        "servers.ini": b"\xff\xfe[servers]\n",
        "bad.cache": "".join(f"{ENTRY_MARKER}\n{e}\n" for e in bad_entries).encode(),
        "good.cache": good.encode(),
    })
    (folder / "dir.cache").mkdir()
    cache = TxCache.load(folder)
    found = cache.validate(TxRequest((TxCoding(SCT, "38341003"),)))
    assert found is not None and found.message == "bad"
    odd = cache.validate(TxRequest((TxCoding(SCT, "2"),)))
    assert odd is not None and odd.issues and odd.issues[0].expression is None


def test_answer_from_takes_any_json() -> None:
    for record in ({"issues": {"issue": 5}}, {"issues": {"issue": [{"details": {"coding": "x"}}]}},
                   {"severity": 3, "error": ["x"], "class": {}}):
        answer = answer_from(record)
        assert answer.severity is None or isinstance(answer.severity, str)


def test_one_cache_folder_named_two_ways_is_one_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """review10: the process's services were keyed by the folder's text, so ``./tx`` after a change of directory
    served another folder's answers, and one folder named two ways was loaded twice."""
    from conformance.fhirval.tx_issues import service_for

    (tmp_path / "tx").mkdir()
    monkeypatch.chdir(tmp_path)
    relative = service_for(Options(tx_cache="tx"))
    absolute = service_for(Options(tx_cache=str(tmp_path / "tx")))
    assert relative is not None and relative is absolute
