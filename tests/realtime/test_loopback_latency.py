"""Over real loopback sockets: the sandbox (uvicorn, its own thread) notifies the harness's receiver
(uvicorn in the test's event loop). The reported latency must account for an injected delay: a check
of the measurement's correctness, not of anyone's speed. Only what cannot depend on the machine's
load is asserted: a notification sent at least ``INJECTED_MS`` after its write is never reported
faster than that, and the delay is not counted twice."""

from __future__ import annotations

import socket

from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.realtime.settings import SANDBOX_P95_MS, sandbox_realtime_settings
from conformance.sandbox.realtime_faults import DEFAULT_DELAY_MS
from conformance.sandbox.server import SandboxServer
from conformance.targets import from_url

INJECTED_MS = 250


async def run_realtime(faults: list[str], select: list[str] | None = None, listen: str = "127.0.0.1:0") -> dict:
    registry = load_suites()
    with SandboxServer(parse_faults(faults)) as server:
        target = from_url(server.base_url, sandbox=True)
        target.realtime = sandbox_realtime_settings(server.base_url)
        target.realtime.listen = listen
        runner = Runner(registry, concurrency=4, check_timeout=60)
        info = RunInfo(id="rt-loopback", started="", target=target.to_dict(), harness_version="test")
        result = await runner.run(build_plan(registry, ["realtime"], select), target, info)
    return {r.id: r for r in result.results}


async def test_reported_latency_accounts_for_an_injected_delay() -> None:
    # The path's own latency (write, deliver, receive: a few ms, more on a loaded machine) is measured in
    # the same test without the fault; what the delay adds is at least the injected delay (the sandbox
    # sleeps at least that long) and less than twice it (a delay counted twice, or from the wrong stamp).
    baseline = (await run_realtime([], ["realtime.exchange"]))["realtime.exchange.observed"]
    assert baseline.status is Status.PASS, baseline.message
    results = await run_realtime([f"notification-delay={INJECTED_MS}"], ["realtime.exchange"])
    observed = results["realtime.exchange.observed"]
    assert observed.status is Status.PASS, observed.message
    latency = observed.metrics["latency_ms"]
    assert set(latency) == {"p50", "p95", "p99", "max"}
    assert latency["p50"] >= INJECTED_MS, latency
    added = latency["p50"] - baseline.metrics["latency_ms"]["p50"]
    assert added < 2 * INJECTED_MS, (latency, baseline.metrics["latency_ms"])
    assert observed.metrics["observed"] == observed.metrics["events"] == 20
    # 250 ms is under the sandbox's p95 threshold: the latency check passes and reports the figures.
    assert INJECTED_MS < SANDBOX_P95_MS
    assert results["realtime.exchange.latency"].status is Status.PASS
    assert results["realtime.exchange.latency"].metrics["threshold_p95_ms"] == SANDBOX_P95_MS


async def test_the_default_delay_fault_is_over_the_threshold_and_fails_the_latency_check() -> None:
    results = await run_realtime(["notification-delay"], ["realtime.exchange"])
    assert results["realtime.exchange.observed"].metrics["latency_ms"]["p50"] >= float(DEFAULT_DELAY_MS)
    assert float(DEFAULT_DELAY_MS) > SANDBOX_P95_MS
    latency = results["realtime.exchange.latency"]
    assert latency.status is Status.FAIL
    assert f"over the {SANDBOX_P95_MS:g} ms threshold" in latency.message
    assert results["realtime.exchange.loss"].status is Status.PASS  # settle outlasts the delay


async def test_clean_loopback_run_passes_every_check() -> None:
    results = await run_realtime([])
    bad = {i: (r.status.value, r.message) for i, r in results.items() if r.status is not Status.PASS}
    assert bad == {}


async def test_a_taken_receiver_port_is_a_one_sentence_error_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        results = await run_realtime([], ["realtime.subscription.create"], listen=f"127.0.0.1:{port}")
    create = results["realtime.subscription.create"]
    assert create.status is Status.ERROR
    assert create.message.startswith(f"the notification receiver cannot listen on 127.0.0.1:{port}")
    assert "Traceback" not in create.message
