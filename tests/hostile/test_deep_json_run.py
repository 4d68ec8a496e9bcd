"""A whole ``conformance run`` against a peer whose every body is JSON past the harness's limits (issue 18):
the run ends (exit 0 or 1), its reports are written, its store record is complete, and the checks that
needed a body end in ``error`` with a sentence saying it was not read, never ``fail`` and never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.evidence.store import EvidenceStore
from tests.servers import serve_app

BODIES = {
    "deep": b"[" * 1200 + b"]" * 1200,
    "deep-object": b'{"resourceType":' * 300 + b"1" + b"}" * 300,
    "bigint": b'{"resourceType":"CapabilityStatement","count":' + b"9" * 5000 + b"}",
}
LIMIT_WORDS = ("nested", "digits")


def always(body: bytes) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/fhir+json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture(params=sorted(BODIES))
def peer(request: pytest.FixtureRequest) -> Iterator[str]:
    with serve_app(always(BODIES[request.param])) as url:
        yield url


def test_a_run_against_deep_json_ends_with_errors_that_say_why(peer: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "target.toml"
    target.write_text(f'name = "deep"\n\n[organisation]\nods_code = "DEEP1"\nname = "Deep"\nkind = "provider"\n\n'
                      f'[endpoints]\nfhir = "{peer}/fhir"\nopenapi = "{peer}/openapi.json"\napi = "{peer}"\n\n'
                      f'[api]\nmax_cases = 1\ntime_budget = 2\n\n[oauth]\nsmart_fhir = "{peer}/fhir"\n')
    store = f"sqlite:///{tmp_path / 'store.db'}"
    result = CliRunner().invoke(main, ["run", "--target", str(target), "--suite", "fhir-rest", "--suite", "openapi",
                                       "--suite", "security", "--out", str(tmp_path / "out"), "--store", store])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {"report.json", "junit.xml", "report.html"} <= {p.name for p in (tmp_path / "out").iterdir()}
    by_id = {r["id"]: r for r in report["results"]}
    for check_id in ("fhir-rest.capability.metadata", "openapi.document.reachable"):
        check = by_id[check_id]
        assert check["status"] == "error", check
        assert any(w in check["message"] for w in LIMIT_WORDS) and "not read" in check["message"], check["message"]
        assert not check["message"].startswith("RuntimeError"), check["message"]
    for check in report["results"]:  # a body the harness did not read is never held against the server
        if check["status"] == "fail":
            assert not any(w in check["message"] for w in LIMIT_WORDS), check
    with EvidenceStore(store) as opened:
        stored = opened.get_run(report["run"]["id"])
    assert stored["run"]["status"] == "complete"
    assert len(stored["results"]) == len(report["results"])
