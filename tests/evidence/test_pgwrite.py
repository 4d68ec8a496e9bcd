"""The PostgreSQL write path (pgwrite.py: fixed SQL in pipeline mode) must store exactly what the SQLite
path (the ORM and bulk.write_run) stores for the same runs: the same rows read back, the same seals,
digests, chain, log and signatures, byte for byte."""

from __future__ import annotations

import json
import math
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from conformance.evidence import store as store_module
from conformance.evidence.keys import Signer, init_key
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from tests.pg import fresh_database


def awkward(n: int, ods: str = "RODD") -> RunResult:
    """A run with what the JSON and text columns find hard: NaN, int keys, escapes, non-ASCII, shared blobs."""
    info = RunInfo(id=f"odd-{n}", started="2026-01-01T00:00:00.000Z", finished="2026-01-01T00:01:00.000Z",
                   harness_version="h", suites=["a", "b"], aborted="target died" if n == 2 else "",
                   target={"name": "Odd \u2603", "organisation": {"ods_code": ods, "name": "Odd", "kind": "trust"},
                           "system": {"vendor": "V", "product": "P", "version": str(n % 2)},
                           "endpoints": {"fhir": "https://x.test/fhir", "mllp": "mllp://x:1"}})
    results = [CheckResult(id=f"c.{k}", suite="s", group="g", title='t \u00e9\n"q"', status=Status.FAIL,
                           required=bool(k % 2), requirements=["R1", "R2"] if k else [], capabilities=["cap"],
                           message="m\\x", duration_ms=math.nan if k == 1 else 1.0 / 3,
                           metrics={"n": k, "f": 0.1, 3: "int key", "x": [1, {"y": None}]},
                           evidence=[Evidence("http", "GET /", {"body": "a" * 50, 10: 1, 2: 2, "u": "\U0001F600"}),
                                     Evidence("note", "same", {"shared": True})])
               for k in range(4)]
    return RunResult(run=info, results=[*results, CheckResult(id="c.none", suite="s", group="g", title="",
                                                              status=Status.SKIP, required=False, requirements=[],
                                                              capabilities=[])])


def stored(url: str, signer: Signer) -> dict[str, Any]:
    runs = [awkward(n) for n in range(3)] + [awkward(3, ods="ROTHER")]
    with EvidenceStore(url, signer=signer) as store:
        store.start_run(runs[1].run)  # started here: registered at the start, not again at the end
        for run in runs:
            store.finish_run(run)
        with pytest.raises(StoreError, match="is sealed; it cannot be stored again"):
            store.finish_run(runs[0])
        with store.engine.connect() as conn:
            seals = conn.execute(text("SELECT run_id, ods_code, sequence, previous_digest, digest, items, sealed_at, "
                                      "log_index FROM seals ORDER BY log_index")).all()
            signatures = conn.execute(text("SELECT * FROM signatures ORDER BY run_id")).all()
            blobs = [(sha, size, zlib.decompress(content)) for sha, size, content in
                     conn.execute(text("SELECT sha256, size, content FROM evidence_blobs ORDER BY sha256"))]
            systems = conn.execute(text("SELECT r.id, s.vendor, s.version, e.kind, e.address FROM runs r "
                                        "LEFT JOIN systems s ON s.id = r.system_id LEFT JOIN system_endpoints e "
                                        "ON e.system_id = s.id ORDER BY 1, 4")).all()
            orgs = conn.execute(text("SELECT * FROM organisations ORDER BY 1")).all()
        return {"runs": {r.run.id: store.get_run(r.run.id) for r in runs}, "list": store.list_runs(),
                "verify": store.verify_signed(signer.fingerprint)[1:],
                "seals": [(*s[:5], json.loads(s[5]) if isinstance(s[5], str) else s[5], *s[6:]) for s in seals],
                "signatures": [tuple(s) for s in signatures], "blobs": blobs, "systems": [tuple(s) for s in systems],
                "orgs": [tuple(o) for o in orgs]}


def test_postgresql_stores_what_sqlite_stores(pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "now_iso", lambda: "2026-02-02T02:02:02.000Z")  # the seal's time is sealed
    signer = init_key(tmp_path / "key.pem")
    on_sqlite = stored(f"sqlite:///{tmp_path / 's.db'}", signer)
    on_postgresql = stored(fresh_database(pg_server, "t_pgwrite_same"), signer)
    assert on_sqlite["verify"][0] == [] and len(on_sqlite["seals"]) == 4
    assert on_sqlite["runs"]["odd-2"]["run"]["status"] == "aborted"
    for key in on_sqlite:
        assert on_postgresql[key] == on_sqlite[key], key
    assert re.fullmatch(r"[0-9a-f]{64}", on_postgresql["seals"][-1][4])


def test_a_row_the_server_refuses_stores_nothing_says_why_and_the_store_goes_on(pg_server: str) -> None:
    """A NUL in a metric (PostgreSQL's JSON cannot hold it) fails inside the pipeline: one-line StoreError,
    the run's transaction rolled back whole, and the next run is stored on the same connection."""
    bad = awkward(0)
    bad.results[0].metrics = {"note": "nul \x00 here"}
    with EvidenceStore(fresh_database(pg_server, "t_pgwrite_refused"), find_key=False) as store:
        with pytest.raises(StoreError, match=r"could not store run odd-0: unsupported Unicode escape") as caught:
            store.finish_run(bad)
        assert "\n" not in str(caught.value)
        assert store.list_runs() == []
        store.finish_run(awkward(1))
        assert [r["id"] for r in store.list_runs()] == ["odd-1"] and store.verify() == (1, [])


def test_a_nul_a_server_put_in_a_message_is_stored_on_both_backends_alike(pg_server: str, tmp_path: Path) -> None:
    """PostgreSQL text cannot hold NUL: a system under test that answers one (quoted in a check's message or
    an evidence summary) must not make its run unstorable there, so unjudged. Both stores keep U+FFFD."""
    kept = {}
    urls = (("sqlite", f"sqlite:///{tmp_path / 'nul.db'}"), ("postgresql", fresh_database(pg_server, "t_nul")))
    for name, url in urls:
        run = awkward(0)
        run.results[0].message = "the server said \x00 here"
        run.results[0].title = "title \x00"
        with EvidenceStore(url, find_key=False) as store:
            store.finish_run(run)
            result, _ = store.get_result("odd-0")
            assert store.verify() == (1, [])
        kept[name] = (result.results[0].message, result.results[0].title)
    assert kept["sqlite"] == kept["postgresql"] == ("the server said \ufffd here", "title \ufffd")


def test_what_a_guard_writes_is_committed_with_the_run_or_not_at_all(pg_server: str) -> None:
    """pgwrite commits in the seal's round trip: a guard's pending ORM rows go in that transaction, and a
    run refused (already sealed) takes them back with it."""
    from conformance.evidence.schema import OrganisationRow

    def guard(code: str) -> Any:
        return lambda session: session.add(OrganisationRow(ods_code=code, name="guard", kind=""))

    with EvidenceStore(fresh_database(pg_server, "t_pgwrite_guard"), find_key=False) as store:
        store.finish_run(awkward(0), guard("GUARD1"))
        with pytest.raises(StoreError, match="is sealed"):
            store.finish_run(awkward(0), guard("GUARD2"))
        with store.engine.connect() as conn:
            codes = {c for (c,) in conn.execute(text("SELECT ods_code FROM organisations"))}
        assert "GUARD1" in codes and "GUARD2" not in codes and store.verify() == (1, [])
