"""The broker (a real redis-server) stopped and started again mid-campaign, workers as subprocesses,
results in a real PostgreSQL: every target still ends with exactly one complete or aborted run.

Redis runs with its append-only file (as a broker that must survive a restart is deployed), so the
queued chunks and the unacknowledged ones come back with it; the workers and `campaign run`
reconnect on their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from conformance.campaign import ledger
from conformance.evidence.store import EvidenceStore
from conformance.sandbox.faults import Faults
from conformance.sandbox.server import SandboxServer
from tests.campaign.helpers import Broker, running_soon, stop, write_campaign, write_targets
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parents[2]


def test_broker_restart_mid_campaign_loses_nothing_and_keeps_nothing_twice(tmp_path: Path, pg_server: str) -> None:
    store_url = fresh_database(pg_server, "campaign_broker_" + uuid.uuid4().hex[:8])
    cli = [sys.executable, "-m", "conformance.cli"]
    env = {**os.environ, "CONFORMANCE_VISIBILITY_TIMEOUT": "30"}
    broker = Broker(tmp_path / "redis")
    broker.start()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        with SandboxServer(Faults()) as sandbox:
            keys = write_targets(tmp_path / "targets", [sandbox.base_url] * 6)
            campaign = write_campaign(tmp_path / "campaign.toml", "broker-test", ["fhir-rest"], attempts=2,
                                      backoff=0.1)
            workers = [subprocess.Popen([*cli, "worker", "--broker", broker.url, "--store", store_url],
                                        cwd=ROOT, env=env) for _ in range(2)]
            run = subprocess.Popen([*cli, "campaign", "run", str(campaign), "--broker", broker.url,
                                    "--store", store_url, "--chunk", "2", "--timeout", "240"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            restarted = _restart_while_running(broker, store_url)
            _out, err = run.communicate(timeout=300)
    finally:
        for proc in workers:
            stop(proc)
        broker.stop()
    assert restarted, "no target was running when the broker was to be restarted"
    with EvidenceStore(store_url) as store:
        entries = {e.target: e for e in ledger.entries(store, "broker-test")}
        runs = store.list_runs()
        count, problems = store.verify()
    assert set(entries) == set(keys), err.decode()
    assert {entries[k].status for k in keys} <= {ledger.COMPLETE, ledger.ABORTED}, err.decode()
    for key in keys:  # exactly one stored run per target, and it is the one the ledger names
        prefix = ledger.run_id("broker-test", key, 1).rsplit("-a", 1)[0]
        mine = [r for r in runs if r["id"].rsplit("-a", 1)[0] == prefix]
        assert [r["id"] for r in mine] == [entries[key].run_id], key
        assert mine[0]["status"] == entries[key].status
    assert problems == [] and count == len(keys)
    assert run.returncode in (0, 1), err.decode()  # 1: some target ended aborted, which is still settled


def _restart_while_running(broker: Broker, store_url: str) -> bool:
    """Stop the broker while a target is running, start it again on the same data; whether it was."""
    if not running_soon(store_url, "broker-test", 150):
        return False
    broker.stop()
    time.sleep(2)  # workers and the campaign see the connection refused
    broker.start()
    return True
