"""Celery workers over a real redis-server, results in a real PostgreSQL, a worker's pool process
SIGKILLed mid-campaign: every target still ends with exactly one complete or aborted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from conformance.campaign import ledger
from conformance.evidence.store import EvidenceStore
from conformance.sandbox.faults import Faults
from conformance.sandbox.server import SandboxServer
from tests.campaign.helpers import free_port, redis_server, stop, write_campaign, write_targets
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(p) for p in text)
    return found


def test_worker_killed_mid_campaign_loses_nothing_and_keeps_nothing_twice(tmp_path: Path, pg_server: str) -> None:
    store_url = fresh_database(pg_server, "campaign_kill_" + uuid.uuid4().hex[:8])
    cli = [sys.executable, "-m", "conformance.cli"]
    env = {**os.environ, "CONFORMANCE_VISIBILITY_TIMEOUT": "60"}
    with SandboxServer(Faults()) as sandbox, redis_server(tmp_path) as broker:
        keys = write_targets(tmp_path / "targets", [sandbox.base_url] * 6)
        dead = write_targets(tmp_path / "targets", [f"http://127.0.0.1:{free_port()}/fhir"], prefix="d")
        campaign = write_campaign(tmp_path / "campaign.toml", "kill-test", ["fhir-rest"], attempts=2, backoff=0.1)
        workers = [subprocess.Popen([*cli, "worker", "--broker", broker, "--store", store_url], cwd=ROOT, env=env)
                   for _ in range(2)]
        try:
            run = subprocess.Popen([*cli, "campaign", "run", str(campaign), "--broker", broker, "--store", store_url,
                                    "--chunk", "2", "--timeout", "150"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            killed = _kill_a_busy_pool_process(store_url, workers[0].pid)
            _out, err = run.communicate(timeout=200)
        finally:
            for proc in workers:
                stop(proc)
    assert killed, "no worker pool process was busy with a target to kill"
    assert run.returncode == 1, err.decode()  # one target is unreachable: aborted, so not all complete
    with EvidenceStore(store_url) as store:
        entries = {e.target: e for e in ledger.entries(store, "kill-test")}
        runs = store.list_runs()
        count, problems = store.verify()
    assert set(entries) == set(keys + dead)
    assert {entries[k].status for k in keys} == {ledger.COMPLETE}
    assert entries[dead[0]].status == ledger.ABORTED and "unreachable" in entries[dead[0]].reason
    for key in keys + dead:  # exactly one stored run per target, and it is the one the ledger names
        mine = [r for r in runs if r["id"].rsplit("-a", 1)[0] == ledger.run_id("kill-test", key, 1).rsplit("-a", 1)[0]]
        assert [r["id"] for r in mine] == [entries[key].run_id], key
        assert mine[0]["status"] == entries[key].status
    assert max(e.attempt for e in entries.values()) >= 2  # the killed chunk's targets were claimed again
    assert problems == [] and count == len(keys) + 1


def _kill_a_busy_pool_process(store_url: str, worker_pid: int) -> bool:
    """SIGKILL worker 0's pool process while it holds a running target; whether one was killed."""
    deadline = time.monotonic() + 120
    with EvidenceStore(store_url) as store:
        while time.monotonic() < deadline:
            try:
                running = [e for e in ledger.entries(store, "kill-test") if e.status == ledger.RUNNING]
            except Exception:  # the ledger table appears when the campaign enrols its targets
                running = []
            children = _children(worker_pid)
            if running and children:
                time.sleep(0.5)  # well into the chunk
                for child in _children(worker_pid):
                    os.kill(child, signal.SIGKILL)
                return True
            time.sleep(0.1)
    return False
