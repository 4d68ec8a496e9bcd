"""Several runners writing to one store lose nothing; a run killed with SIGKILL leaves the store
consistent and the partial run marked incomplete (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conformance.evidence.store import EvidenceStore

ROOT = Path(__file__).resolve().parents[2]


def demo(store: str, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "conformance.cli", "demo", "--store", store, "--out", str(out),
                             *extra], cwd=out.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_concurrent_runners_lose_nothing(store_url: str, tmp_path: Path) -> None:
    EvidenceStore(store_url).close()  # created once; the runners then race on writes, not on the schema
    procs = [demo(store_url, tmp_path / f"r{n}", "--suite", "hl7v2-sender") for n in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    store = EvidenceStore(store_url)
    runs = store.list_runs()
    assert len(runs) == 4 and {r["status"] for r in runs} == {"complete"}
    assert all(r["summary"]["pass"] == 6 for r in runs)
    assert store.verify() == (4, [])  # one unbroken chain for the demo organisation, 4 links


def test_sigkill_mid_run_leaves_the_store_consistent(store_url: str, tmp_path: Path) -> None:
    first = demo(store_url, tmp_path / "before", "--suite", "hl7v2-sender")
    assert first.wait(timeout=120) == 0
    # A slow run (every ACK is withheld, so each receiver check waits for its timeout): killed mid-way.
    slow = demo(store_url, tmp_path / "killed", "--suite", "hl7v2-receiver", "--fault", "hl7v2-ack-never")
    deadline = time.monotonic() + 60
    store = EvidenceStore(store_url)
    try:
        while len(store.list_runs()) < 2:
            assert slow.poll() is None and time.monotonic() < deadline, "the slow run ended or never started"
            time.sleep(0.05)
        time.sleep(0.5)
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=30)
    finally:
        if slow.poll() is None:
            slow.kill()
    store.close()
    store = EvidenceStore(store_url)
    runs = {r["id"]: r for r in store.list_runs()}
    statuses = sorted(r["status"] for r in runs.values())
    assert statuses == ["complete", "incomplete"]
    killed = next(r for r in runs.values() if r["status"] == "incomplete")
    assert store.get_run(killed["id"])["results"] == []  # nothing half-written
    assert store.verify() == (1, [])
