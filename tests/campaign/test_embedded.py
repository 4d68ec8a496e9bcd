"""The embedded campaign pool against a real sandbox on loopback: settled once, resumed, never writing
to a target not marked as a sandbox, and a bad campaign file refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.campaign import execute, ledger
from conformance.campaign.spec import CampaignError, load_campaign
from conformance.cli import main
from conformance.evidence.store import EvidenceStore
from conformance.sandbox.faults import Faults
from conformance.sandbox.server import SandboxServer
from tests.campaign.helpers import free_port, write_campaign, write_targets


@pytest.fixture(scope="module")
def sandbox() -> SandboxServer:
    with SandboxServer(Faults()) as server:
        yield server


def test_campaign_settles_each_target_once_and_resumes(tmp_path: Path, sandbox: SandboxServer) -> None:
    keys = write_targets(tmp_path / "targets", [sandbox.base_url] * 3)
    dead = write_targets(tmp_path / "targets", [f"http://127.0.0.1:{free_port()}/fhir"], prefix="d")
    path = write_campaign(tmp_path / "c.toml", "embedded", ["fhir-rest"], attempts=2, backoff=0.05)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with EvidenceStore(url, find_key=False) as store:
        # A worker "killed" on keys[0] before: its attempt 1 is left running, nothing stored for it.
        ledger.enrol(store, "embedded", [keys[0]])
        assert ledger.claim(store, "embedded", keys[0]) == 1
        seen: list[tuple[str, str]] = []
        timings = execute.run_embedded(store, load_campaign(path), progress=lambda k, s: seen.append((k, s)))
        assert sorted(seen) == sorted([(k, ledger.COMPLETE) for k in keys] + [(dead[0], ledger.ABORTED)])
        assert timings.backoff > 0 and timings.checks > 0
        again = execute.run_embedded(store, load_campaign(path))  # a resumed, finished campaign: nothing to do
        entries = {e.target: e for e in ledger.entries(store, "embedded")}
        runs = {r["id"]: r for r in store.list_runs()}
        assert store.verify()[1] == []
    assert sum(again.counts.values()) == 0
    assert entries[keys[0]].attempt == 2 and entries[keys[0]].run_id == ledger.run_id("embedded", keys[0], 2)
    assert sorted(runs) == sorted(e.run_id for e in entries.values())  # one run per target, no more
    assert runs[entries[dead[0]].run_id]["status"] == "aborted"
    assert "unreachable after 2 attempt(s)" in entries[dead[0]].reason
    assert all(runs[entries[k].run_id]["summary"]["fail"] == 0 for k in keys)


def test_a_second_attempt_finishing_late_is_discarded(tmp_path: Path, sandbox: SandboxServer) -> None:
    keys = write_targets(tmp_path / "targets", [sandbox.base_url])
    url = f"sqlite:///{tmp_path / 'store.db'}"
    from conformance.model import RunInfo, RunResult

    with EvidenceStore(url, find_key=False) as store:
        ledger.enrol(store, "race", keys)
        first, second = ledger.claim(store, "race", keys[0]), ledger.claim(store, "race", keys[0])
        assert (first, second) == (1, 2)
        for attempt in (2, 1):  # the newer attempt settles first; the older one, still running, loses
            info = RunInfo(id=ledger.run_id("race", keys[0], attempt), started="2026-01-01T00:00:00.000Z",
                           target={"name": "x", "organisation": {"ods_code": "TT000"}}, harness_version="t")
            guard = ledger.settle_guard(store, "race", keys[0], attempt, ledger.COMPLETE)
            if attempt == 1:
                with pytest.raises(ledger.AlreadySettled):
                    store.finish_run(RunResult(run=info), guard)
            else:
                store.finish_run(RunResult(run=info), guard)
        assert [r["id"] for r in store.list_runs()] == [ledger.run_id("race", keys[0], 2)]


def test_campaign_never_writes_to_a_target_not_marked_sandbox(tmp_path: Path, sandbox: SandboxServer) -> None:
    write_targets(tmp_path / "targets", [sandbox.base_url], sandbox=False)
    path = write_campaign(tmp_path / "c.toml", "readonly", ["fhir-rest"])
    with EvidenceStore(f"sqlite:///{tmp_path / 'store.db'}", find_key=False) as store:
        execute.run_embedded(store, load_campaign(path))
        (run,) = store.list_runs()
        result, _ = store.get_result(run["id"])
    writes = [e for r in result.results for e in r.evidence
              if e.kind == "http" and str(e.data.get("request", {}).get("method", "GET")) not in ("GET", "HEAD")]
    skipped = [r for r in result.results if r.status.value == "skip" and "sandbox" in r.message]
    assert writes == [] and skipped, "write checks must be skipped on a target not marked as a sandbox"


def test_cli_run_status_report_and_a_bad_campaign_file(tmp_path: Path, sandbox: SandboxServer) -> None:
    write_targets(tmp_path / "targets", [sandbox.base_url])
    path = write_campaign(tmp_path / "c.toml", "cli", ["fhir-rest"])
    store = f"sqlite:///{tmp_path / 'store.db'}"
    cli = CliRunner()
    ran = cli.invoke(main, ["campaign", "run", str(path), "--store", store])
    assert ran.exit_code == 0, ran.output
    status = cli.invoke(main, ["campaign", "status", str(path), "--store", store, "--json"])
    assert '"status": "complete"' in status.output
    report = cli.invoke(main, ["campaign", "report", str(path), "--store", store])
    assert report.exit_code == 0 and "0 target(s) not settled" in report.output
    (tmp_path / "bad.toml").write_text('name = "x"\n[limits]\nper_host = 0\n')
    bad = cli.invoke(main, ["campaign", "run", str(tmp_path / "bad.toml"), "--store", store])
    assert bad.exit_code == 2 and "limits.per_host" in bad.output and "Traceback" not in bad.output
    (tmp_path / "targets").rename(tmp_path / "gone")
    with pytest.raises(CampaignError, match="names no target file"):
        load_campaign(path)


def test_beat_schedule_comes_from_the_campaign_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     sandbox: SandboxServer) -> None:
    from celery.schedules import crontab

    from conformance.campaign.worker import make_app

    write_targets(tmp_path / "targets", [sandbox.base_url])
    path = write_campaign(tmp_path / "c.toml", "nightly", ["fhir-rest"])
    path.write_text(path.read_text().replace('targets = ', 'schedule = "30 1 * * *"\ntargets = '))
    monkeypatch.setenv("CONFORMANCE_CAMPAIGNS", str(path))
    app = make_app("redis://127.0.0.1:1/0", "sqlite:///unused.db")
    entry = app.conf.beat_schedule["nightly"]
    assert entry["task"] == "conformance.campaign.scheduled" and entry["args"] == (str(path),)
    assert entry["schedule"] == crontab(minute="30", hour="1")
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost and app.conf.worker_prefetch_multiplier == 1
    assert "unused.db" not in repr(entry)  # the store URL (maybe with a password) never goes through the broker


def test_a_run_the_store_refuses_is_kept_as_aborted_and_the_others_go_on(tmp_path: Path, sandbox: SandboxServer,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """One target's results the database cannot hold (here: refused for the first target's run) must not take
    its chunk down: that target is stored aborted with the store's reason, never as evidence."""
    from conformance.evidence.store import StoreError

    keys = write_targets(tmp_path / "targets", [sandbox.base_url] * 3)
    path = write_campaign(tmp_path / "c.toml", "refused", ["fhir-rest"], select=["fhir-rest.capability.*"])
    real = EvidenceStore.finish_run

    def finish_run(self: EvidenceStore, result, guard=None):  # type: ignore[no-untyped-def]
        if result.results and result.run.id == ledger.run_id("refused", keys[0], 1):
            raise StoreError("the evidence store refused the run: a value it cannot hold (test)")
        return real(self, result, guard)

    monkeypatch.setattr(EvidenceStore, "finish_run", finish_run)
    with EvidenceStore(f"sqlite:///{tmp_path / 'store.db'}", find_key=False) as store:
        seen: dict[str, str] = {}
        execute.run_embedded(store, load_campaign(path), progress=lambda k, s: seen.__setitem__(k, s))
        entries = {e.target: e for e in ledger.entries(store, "refused")}
        runs = {r["id"]: r for r in store.list_runs()}
    assert seen == {keys[0]: ledger.ABORTED, keys[1]: ledger.COMPLETE, keys[2]: ledger.COMPLETE}
    assert runs[entries[keys[0]].run_id]["status"] == "aborted"
    assert "refused this run's results" in entries[keys[0]].reason
    assert all(runs[entries[k].run_id]["status"] == "complete" for k in keys[1:])
