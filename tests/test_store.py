"""The evidence store: round trips, incomplete runs, atomic finish, and one-line errors."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import Registry, check, fail, suite
from conformance.evidence.capture import record
from conformance.evidence.store import (
    COMPLETE,
    INCOMPLETE,
    EvidenceStore,
    RunNotFound,
    StoreError,
    default_store_url,
    evidence_sha256,
)
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.runner.events import CheckFinished, RunFinished, RunStarted
from conformance.runner.execute import Runner
from conformance.runner.plan import build_plan


def _evidence(status: int = 200, body: str = '{"resourceType":"Patient"}') -> Evidence:
    return Evidence(
        kind="http",
        summary=f"GET http://fhir.example.test/Patient/1 -> {status}",
        data={
            "request": {"method": "GET", "url": "http://fhir.example.test/Patient/1", "headers": {}},
            "response": {
                "status": status,
                "headers": {"content-type": "application/fhir+json"},
                "body": body,
            },
            "timing": {"total_ms": 4.5},
        },
    )


def _result(run_id: str = "run-1") -> RunResult:
    info = RunInfo(
        id=run_id,
        started="2024-01-01T10:00:00.000Z",
        finished="2024-01-01T10:00:02.000Z",
        target={"name": "Trust EPR", "organisation": {"ods_code": "RXX", "name": "Trust"}},
        harness_version="0.1.0",
        suites=["fhir-rest"],
    )

    def outcome(id: str, status: Status, evidence: list[Evidence], **extra: Any) -> CheckResult:
        return CheckResult(
            id=id,
            suite="fhir-rest",
            group=".".join(id.split(".")[:2]),
            title=f"Title {id}",
            status=status,
            required=extra.pop("required", True),
            requirements=["FHIR-R4:http.html#read"],
            capabilities=["open-api"],
            duration_ms=12.25,
            evidence=evidence,
            **extra,
        )

    return RunResult(
        run=info,
        results=[
            outcome("fhir-rest.read.ok", Status.PASS, [_evidence(), _evidence(304, "")]),
            outcome(
                "fhir-rest.read.missing",
                Status.FAIL,
                [_evidence(200, "<script>alert(1)</script> é \x00")],
                message="expected 404, got 200",
            ),
            outcome(
                "fhir-rest.search.latency",
                Status.PASS,
                [],
                required=False,
                metrics={"latency_ms": {"p50": 1.5, "p95": 2.5, "p99": 3.5, "max": 4.0}},
            ),
            outcome("fhir-rest.search.count", Status.SKIP, [], message="not claimed"),
        ],
    )


@pytest.fixture
def url(store_url: str) -> str:
    return store_url


def test_round_trip_through_the_event_sink(url: str) -> None:
    result = _result()
    store = EvidenceStore(url)
    store.on_event(RunStarted(run=result.run, total=len(result.results)))
    [listed] = store.list_runs()
    assert listed["status"] == INCOMPLETE and listed["ods_code"] == "RXX"
    for item in result.results:
        store.on_event(CheckFinished(result=item))
    store.on_event(RunFinished(result=result))
    store.close()

    reopened = EvidenceStore(url)  # a new engine: nothing is served from a session cache
    data = reopened.get_run("run-1")
    assert data["run"].pop("status") == COMPLETE
    assert data == json.loads(json.dumps(result.to_dict()))
    [listed] = reopened.list_runs()
    assert listed["status"] == COMPLETE
    assert listed["summary"] == {"pass": 2, "fail": 1, "skip": 1, "error": 0}
    assert listed["target_name"] == "Trust EPR"
    again, status = reopened.get_result("run-1")
    assert status == COMPLETE and again.results[2].metrics["latency_ms"]["p99"] == 3.5


def test_a_run_that_never_finishes_stays_incomplete(url: str) -> None:
    result = _result()
    store = EvidenceStore(url)
    store.on_event(RunStarted(run=result.run, total=4))
    store.on_event(CheckFinished(result=result.results[0]))  # then the process dies
    store.close()
    data = EvidenceStore(url).get_run("run-1")
    assert data["run"]["status"] == INCOMPLETE
    assert data["results"] == []


def test_finish_is_one_transaction(url: str) -> None:
    result = _result()
    store = EvidenceStore(url)
    store.start_run(result.run)
    broken = _result()
    broken.results.append(broken.results[0])  # the same check twice violates (run_id, check_id)
    with pytest.raises(StoreError):
        store.finish_run(broken)
    data = store.get_run("run-1")
    assert data["run"]["status"] == INCOMPLETE and data["results"] == []
    store.finish_run(result)
    with pytest.raises(StoreError, match="sealed"):
        store.finish_run(result)  # a sealed run is never rewritten
    assert len(store.get_run("run-1")["results"]) == 4


def test_evidence_is_stored_once_by_the_digest_of_its_canonical_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store' / 'conformance.db'}"
    result = _result()
    EvidenceStore(url).finish_run(result)
    db = sqlite3.connect(tmp_path / "store" / "conformance.db")
    rows = db.execute("SELECT e.kind, e.summary, e.sha256, b.content, b.size FROM evidence e "
                      "JOIN evidence_blobs b ON b.sha256 = e.sha256 ORDER BY e.id").fetchall()
    assert len(rows) == 3
    for kind, summary, digest, content, size in rows:
        item = json.loads(zlib.decompress(content))
        assert digest == evidence_sha256(kind, summary, item["data"]) and size == len(zlib.decompress(content))
    first = result.results[0].evidence[0]
    assert rows[0][2] == evidence_sha256(first.kind, first.summary, first.data)
    assert db.execute("SELECT status FROM runs").fetchone() == ("complete",)
    # The same evidence cited by another run is not stored twice.
    again = _result("run-2")
    EvidenceStore(url).finish_run(again)
    assert db.execute("SELECT count(*) FROM evidence").fetchone() == (6,)
    assert db.execute("SELECT count(*) FROM evidence_blobs").fetchone() == (3,)
    db.close()


def test_starting_the_same_run_twice_is_refused(url: str) -> None:
    store = EvidenceStore(url)
    store.start_run(_result().run)
    with pytest.raises(StoreError, match="already in the store"):
        store.start_run(_result().run)


def test_unknown_run(url: str) -> None:
    with pytest.raises(RunNotFound, match="no run 'nope'"):
        EvidenceStore(url).get_run("nope")


def _one_line_store_error(url: str) -> str:
    with pytest.raises(StoreError) as caught:
        EvidenceStore(url)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and "sqlalche.me" not in message
    assert caught.value.__cause__ is None
    return message


def test_corrupt_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database, just some bytes " * 200)
    message = _one_line_store_error(f"sqlite:///{path}")
    assert str(path) in message and "not a database" in message


def test_bad_urls(tmp_path: Path) -> None:
    assert "not a database URL" in _one_line_store_error("definitely not a url")
    assert "cannot use this database" in _one_line_store_error("nosuchdialect://host/db")
    assert "***" in _one_line_store_error("nosuchdialect://user:s3cret@host/db")
    assert "is a directory" in _one_line_store_error(f"sqlite:///{tmp_path}")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert "cannot create" in _one_line_store_error(f"sqlite:///{blocker / 'sub' / 'x.db'}")


def test_unreachable_server() -> None:
    # Port 1 on loopback: refused at once, or the driver is not installed; a StoreError either way,
    # and the password never appears in it.
    message = _one_line_store_error("postgresql://user:pw@127.0.0.1:1/conformance")
    assert "pw" not in message


def test_foreign_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE runs (id TEXT PRIMARY KEY, something TEXT)")
    db.commit()
    db.close()
    assert "not this version's schema" in _one_line_store_error(f"sqlite:///{path}")


def test_default_url_is_under_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_store_url() == f"sqlite:///{tmp_path / 'reports' / 'conformance.db'}"
    with EvidenceStore() as store:
        assert store.list_runs() == []
    assert (tmp_path / "reports" / "conformance.db").is_file()


def test_event_sink_with_the_real_runner(url: str) -> None:
    registry = Registry()

    async def context(runtime: Any) -> None:
        return None

    suite(id="demo", title="Demo", context=context, registry=registry)

    @check(id="demo.basic.ok", title="passes", registry=registry)
    async def ok(ctx: Any) -> None:
        record(Evidence(kind="note", summary="looked", data={"n": 1}))

    @check(id="demo.basic.broken", title="fails", registry=registry)
    async def broken(ctx: Any) -> None:
        fail("broken on purpose")

    store = EvidenceStore(url)
    info = RunInfo(id="run-real", started="2024-01-01T00:00:00Z", target={"name": "t"}, harness_version="0")
    runner = Runner(registry, sinks=[store])
    result = asyncio.run(runner.run(build_plan(registry), target=None, info=info))
    data = store.get_run("run-real")
    assert data["run"].pop("status") == COMPLETE
    assert data == result.to_dict()
    assert {r["id"]: r["status"] for r in data["results"]} == {
        "demo.basic.ok": "pass",
        "demo.basic.broken": "fail",
    }
