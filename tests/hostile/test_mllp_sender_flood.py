"""A sender that floods the harness's MLLP listener: what the harness keeps is bounded, and the run
still ends in verdicts. The peer runs in its own process, so the traced peak is the harness's own."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

from conformance.model import CheckResult, RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import Hl7v2Settings, Target
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
PEAK_BOUND = 150 * 1024 * 1024  # the kept messages and their evidence; a 3 s flood is gigabytes


async def sender_run(behaviour: str, sends: str, wait: float) -> tuple[list[CheckResult], int]:
    """The hl7v2-sender suite listening while an MLLP peer process (``behaviour``) sends to it: its
    results and the traced peak memory of the run; the peer is stopped by pid."""
    port = free_port()
    peer = subprocess.Popen([sys.executable, "-m", "tests.hostile.mllp_peer", behaviour, f"127.0.0.1:{port}"],
                            cwd=ROOT)
    target = Target(name=behaviour, source="test", endpoints={}, sandbox=True,
                    hl7v2=Hl7v2Settings(sends=[sends], listen=f"127.0.0.1:{port}", wait=wait))
    registry = load_suites()
    info = RunInfo(id=behaviour, started="", target=target.to_dict(), harness_version="test")
    tracemalloc.start()
    try:
        result = await Runner(registry, check_timeout=120).run(build_plan(registry, ["hl7v2-sender"]), target, info)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        peer.kill()
        peer.wait(timeout=30)
    return result.results, peak


async def test_a_flooding_sender_is_cut_off_with_bounded_memory() -> None:
    results, peak = await sender_run("send-flood", "ADT^A03", 3)
    assert peak < PEAK_BOUND, f"peak {peak:,} bytes while a sender flooded the listener"
    outcomes = {r.id: r for r in results}
    arrives = outcomes["hl7v2-sender.delivery.arrives"]
    assert arrives.status is Status.PASS, arrives.message
    claimed = outcomes["hl7v2-sender.delivery.claimed-types"]
    assert claimed.status is Status.FAIL and "ADT^A03" in claimed.message
    assert all(r.status is not Status.ERROR for r in results), [
        (r.id, r.message) for r in results if r.status is Status.ERROR]
    said = " ".join(e.summary + str(e.data) for r in results for e in r.evidence)
    assert "kept the first" in said, "the evidence says the harness stopped keeping what the sender sent"


async def test_a_sender_opening_hundreds_of_connections_is_held_to_a_few() -> None:
    # 300 connections, each with a 900 KB frame never ended: every one buffered at once is 270 MB.
    results, peak = await sender_run("send-many", "ADT^A01", 4)
    assert peak < PEAK_BOUND, f"peak {peak:,} bytes while a sender held 300 connections open"
    arrives = next(r for r in results if r.id == "hl7v2-sender.delivery.arrives")
    assert arrives.status is Status.FAIL and "connections at once" in arrives.message, arrives.message
