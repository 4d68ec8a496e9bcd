"""``conformance run`` against hostile MLLP receivers, each in its own process: a frame never ended, a
100 MB frame, a flood of acknowledgements, a slow drip, endless junk. Outcomes asserted, never times:
exit 1 with verdicts (the receiver misbehaved), no traceback, the run stored complete, the harness's
peak resident memory bounded (the 100 MB frame is never buffered)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.evidence.store import COMPLETE, EvidenceStore
from tests.hostile.measured import MEASURED

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
# Peak resident memory of the harness process (measured.py): about 130 MB on its own;
# a buffered 100 MB frame is far above.
RSS_BOUND_KB = 220 * 1024


@pytest.fixture
def peer(request: pytest.FixtureRequest) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.hostile.mllp_peer", request.param],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    try:
        yield address
    finally:
        proc.kill()
        proc.wait(timeout=30)


# A frame past the harness's own limit is not judged (error, naming the setting that raises it); what
# HL7 v2 and MLLP forbid (no end block, bytes outside a frame, a wrong MSA-2) fails the receiver.
@pytest.mark.parametrize(("peer", "status", "words"), [
    ("noend", "fail", "no end block"),
    ("giant", "error", "raise [hl7v2] max_message_bytes"),
    ("flood", "fail", "MSA-2"),
    ("drip", "fail", "no end block"),
    ("junk", "fail", "not an MLLP frame"),
], indirect=["peer"])
def test_a_hostile_receiver_gets_verdicts_a_complete_run_and_bounded_memory(tmp_path: Path, peer: str,
                                                                             status: str, words: str) -> None:
    target = tmp_path / "target.toml"
    target.write_text(f'name = "hostile"\nsandbox = true\n[endpoints]\nmllp = "{peer}"\n'
                      "[hl7v2]\nack_within = 0.5\n")
    rss = tmp_path / "rss"
    store = f"sqlite:///{tmp_path / 'store.db'}"
    done = subprocess.run([sys.executable, "-c", MEASURED, str(rss), "run", "--target", str(target),
                           "--suite", "hl7v2-receiver", "--store", store, "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=300)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr + done.stdout
    assert int(rss.read_text()) < RSS_BOUND_KB, f"peak RSS {rss.read_text()} kB"
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    statuses = {r["status"] for r in report["results"]}
    assert statuses <= {"pass", "fail", "skip", status}, [(r["id"], r["message"]) for r in report["results"]
                                                          if r["status"] == "error"]
    assert any(r["status"] == status and words in r["message"] for r in report["results"]), [
        r["message"] for r in report["results"]]
    if status == "error":  # the harness's limit never counts against the receiver
        assert not any(r["status"] == "fail" and "byte limit" in r["message"] for r in report["results"])
    with EvidenceStore(store) as opened:
        (run,) = opened.list_runs()
        _, status = opened.get_result(str(run["id"]))
    assert status == COMPLETE
