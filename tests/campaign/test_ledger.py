"""The ledger's statements on both backends: targets claimed together in one statement (settled ones
skipped, unknown ones added), a settle that only the first attempt wins, even when two race for it."""

from __future__ import annotations

import asyncio
import threading

import pytest

from conformance.campaign import ledger
from conformance.campaign.claims import Claims, gate_for
from conformance.evidence.store import EvidenceStore
from conformance.model import RunInfo, RunResult


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
