"""The ledger's statements on both backends: targets claimed together in one statement (settled ones
skipped, unknown ones added), a settle that only the first attempt wins, even when two race for it."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import sqlalchemy

from conformance.campaign import ledger
from conformance.campaign.claims import Claims, gate_for
from conformance.errors import ConfigError
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.model import RunInfo, RunResult
from tests.pg import fresh_database


def _run(campaign: str, target: str, attempt: int) -> RunResult:
    return RunResult(run=RunInfo(id=ledger.run_id(campaign, target, attempt), started="2026-01-01T00:00:00.000Z",
                                 target={"name": target, "organisation": {"ods_code": "TL001"}}, harness_version="t"))


def test_claim_many_skips_settled_targets_and_adds_unknown_ones(store_url: str) -> None:
    with EvidenceStore(store_url, find_key=False) as store:
        ledger.enrol(store, "c", ["a", "b", "s"])
        assert ledger.claim(store, "c", "a") == 1
        store.finish_run(_run("c", "s", 1), ledger.settle_guard(store, "c", "s", 1, ledger.COMPLETE))
        claimed = ledger.claim_many(store, "c", ["a", "b", "s", "new", "a"])
        entries = {e.target: e for e in ledger.entries(store, "c")}
        assert sorted(ledger.unsettled(store, "c")) == ["a", "b", "new"]
    assert claimed == {"a": 2, "b": 1, "new": 1}  # "s" is settled: not claimed again
    assert {t: (e.status, e.run_id) for t, e in entries.items()} == {
        "a": (ledger.RUNNING, ledger.run_id("c", "a", 2)), "b": (ledger.RUNNING, ledger.run_id("c", "b", 1)),
        "new": (ledger.RUNNING, ledger.run_id("c", "new", 1)), "s": (ledger.COMPLETE, ledger.run_id("c", "s", 1))}


def test_an_older_attempt_settling_late_is_refused(store_url: str) -> None:
    with EvidenceStore(store_url, find_key=False) as store:
        assert [ledger.claim(store, "c", "t") for _ in range(2)] == [1, 2]
        store.finish_run(_run("c", "t", 2), ledger.settle_guard(store, "c", "t", 2, ledger.ABORTED, "gone"))
        with pytest.raises(ledger.AlreadySettled, match=ledger.run_id("c", "t", 2)):
            store.finish_run(_run("c", "t", 1), ledger.settle_guard(store, "c", "t", 1, ledger.COMPLETE))
        (entry,) = ledger.entries(store, "c")
        runs = [r["id"] for r in store.list_runs()]
    assert (entry.status, entry.attempt, entry.reason) == (ledger.ABORTED, 2, "gone")
    assert runs == [ledger.run_id("c", "t", 2)]


def test_two_attempts_settling_at_once_keep_one_run(store_url: str) -> None:
    """Two workers' attempts of one target store at the same moment: one run is kept, the other refused."""
    with EvidenceStore(store_url, find_key=False) as store:
        attempts = [ledger.claim(store, "c", "t") for _ in range(2)]
        outcomes: list[str] = []
        start = threading.Barrier(2)

        def settle(attempt: int) -> None:
            start.wait()
            try:
                guard = ledger.settle_guard(store, "c", "t", attempt, ledger.COMPLETE)
                store.finish_run(_run("c", "t", attempt), guard)
                outcomes.append("stored")
            except ledger.AlreadySettled:
                outcomes.append("refused")

        threads = [threading.Thread(target=settle, args=(a,)) for a in attempts if a is not None]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        runs = store.list_runs()
    assert sorted(outcomes) == ["refused", "stored"]
    assert len(runs) == 1


async def test_targets_starting_together_are_claimed_in_one_statement(tmp_path: object) -> None:
    with EvidenceStore(f"sqlite:///{tmp_path}/store.db", find_key=False) as store:
        claims = Claims(store, "c", gate_for(store))
        got = await asyncio.gather(*(claims.claim(k) for k in ["a", "b", "c", "a"]))
        later = await claims.claim("d")
    assert got == [1, 1, 1, 2]  # "a" asked twice: its second claim is the next attempt, as before
    assert later == 1
    assert claims.statements == 3  # a, b, c (and a's first) together; a's second; d


def test_a_sqlite_without_returning_stops_with_one_line(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite before 3.35 has no RETURNING: a ConfigError naming the version needed, not a SQL traceback."""
    with EvidenceStore(f"sqlite:///{tmp_path}/store.db", find_key=False) as store:
        ledger.require_returning(store, "3.35.0")  # new enough: nothing said
        monkeypatch.setattr(ledger.sqlite3, "sqlite_version", "3.31.1")
        for call in (lambda: ledger.enrol(store, "c", ["a"]), lambda: ledger.claim(store, "c", "a"),
                     lambda: ledger.settle_guard(store, "c", "a", 1, ledger.COMPLETE)):
            with pytest.raises(ConfigError, match=r"SQLite >= 3\.35\.0 .*built with 3\.31\.1"):
                call()


def test_overlapping_claims_in_opposite_orders_do_not_deadlock(pg_server: str) -> None:
    """Two processes claim the same targets listed in opposite orders, at once, round after round: rows
    locked in the list's order deadlocked on PostgreSQL (one claim failed); sorted, both go through."""
    url = fresh_database(pg_server, "t_claim_order_" + uuid.uuid4().hex[:8])
    targets = [f"t{n:04d}" for n in range(3000)]
    errors: list[BaseException] = []
    with EvidenceStore(url, find_key=False) as store:
        ledger.enrol(store, "c", targets)
        start = threading.Barrier(2)

        def claim(order: list[str]) -> None:
            for _ in range(4):
                start.wait()
                try:
                    ledger.claim_many(store, "c", order)
                except Exception as exc:  # collected for the assertion
                    errors.append(exc)

        threads = [threading.Thread(target=claim, args=(o,)) for o in (targets, targets[::-1])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        attempts = {e.attempt for e in ledger.entries(store, "c")}
    assert errors == []
    assert attempts == {8}  # every target claimed by all eight calls


async def test_one_target_failing_its_claim_fails_only_itself(pg_server: str) -> None:
    """A claim batch that fails is claimed again target by target: the others of the chunk still run."""
    url = fresh_database(pg_server, "t_claim_alone_" + uuid.uuid4().hex[:8])
    with EvidenceStore(url, find_key=False) as store:
        claims = Claims(store, "c", gate_for(store))
        got = await asyncio.gather(*(claims.claim(k) for k in ["a", "x" * 300, "b"]), return_exceptions=True)
    assert got[0] == 1 and got[2] == 1
    assert isinstance(got[1], StoreError)  # too long for the column: that target's claim alone fails


def test_a_deadlock_is_retried_and_other_errors_are_not() -> None:
    class Orig(Exception):
        def __init__(self, sqlstate: str) -> None:
            self.sqlstate = sqlstate

    def store_error(sqlstate: str) -> StoreError:
        try:
            try:
                raise sqlalchemy.exc.OperationalError("claim", {}, Orig(sqlstate))
            except sqlalchemy.exc.OperationalError:
                raise StoreError("could not claim") from None
        except StoreError as exc:
            return exc

    assert ledger.retryable(store_error("40P01")) and ledger.retryable(store_error("40001"))
    assert not ledger.retryable(store_error("22001"))
