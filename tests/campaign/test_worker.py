"""Celery workers over a real redis-server, results in a real PostgreSQL, a worker process SIGKILLed
mid-campaign (no parent left to hand its chunks back: Redis does, after the visibility timeout): every
target still ends with exactly one complete or aborted run."""

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
from tests.campaign.helpers import free_port, redis_server, running_soon, stop, write_campaign, write_targets
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parents[2]


def test_worker_killed_mid_campaign_loses_nothing_and_keeps_nothing_twice(tmp_path: Path, pg_server: str) -> None:
    store_url = fresh_database(pg_server, "campaign_kill_" + uuid.uuid4().hex[:8])
    cli = [sys.executable, "-m", "conformance.cli"]
    # A chunk of the killed worker comes back after this (plus the 10 s sweep); above a chunk's running time.
    env = {**os.environ, "CONFORMANCE_VISIBILITY_TIMEOUT": "30"}
    with SandboxServer(Faults()) as sandbox, redis_server(tmp_path) as broker:
        keys = write_targets(tmp_path / "targets", [sandbox.base_url] * 6)
        dead = write_targets(tmp_path / "targets", [f"http://127.0.0.1:{free_port()}/fhir"], prefix="d")
        campaign = write_campaign(tmp_path / "campaign.toml", "kill-test", ["fhir-rest"], attempts=2, backoff=0.1)
        worker = [*cli, "worker", "--broker", broker, "--store", store_url]
        workers = [subprocess.Popen(worker, cwd=ROOT, env=env)]
        try:
            run = subprocess.Popen([*cli, "campaign", "run", str(campaign), "--broker", broker, "--store", store_url,
                                    "--chunk", "2", "--timeout", "150"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            killed = _kill_a_busy_worker(store_url, workers[0])
            # The second worker takes what is still queued, and the killed one's chunks once Redis gives them back.
            workers.append(subprocess.Popen(worker, cwd=ROOT, env=env))
            _out, err = run.communicate(timeout=200)
        finally:
            for proc in workers:
                stop(proc)
    assert killed, "no worker process was busy with a target to kill"
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


def _kill_a_busy_worker(store_url: str, worker: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the only worker while it runs targets; whether it was killed."""
    if not running_soon(store_url, "kill-test", 120, also=lambda: worker.poll() is None):
        return False
    time.sleep(0.5)  # well into its chunks
    os.kill(worker.pid, signal.SIGKILL)
    return True
