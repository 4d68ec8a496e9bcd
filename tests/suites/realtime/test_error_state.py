"""``realtime.subscription.error-state`` judges the delivery-error path itself: an endpoint that worked
(handshake delivered, Subscription active) and then answers 500. A server that sets ``error`` for another
reason (a filter it refuses, a failed handshake only) must not pass it; the honest sandbox must."""

from __future__ import annotations

import json

import httpx

from conformance.model import CheckResult, Status
from tests.integration.conftest import run_against_sandbox
from tests.suites.malformed.test_bent_answers import Rewrite

CHECK = "realtime.subscription.error-state"


async def _error_state(faults: list[str] | None = None, wrap: object = None) -> CheckResult:
    result = await run_against_sandbox(faults=faults, suites=["realtime"], select=[CHECK],
                                       wrap_http=(lambda inner: Rewrite(inner, wrap)) if wrap else None)
    return next(r for r in result.results if r.id == CHECK)


def _derived(result: CheckResult) -> dict[str, object]:
    return next(e.data for e in result.evidence if e.kind == "derived" and "failed_attempts" in e.data)


async def test_the_honest_sandbox_passes_after_a_working_endpoint_breaks() -> None:
    result = await _error_state()
    assert result.status is Status.PASS, result.message
    seen = _derived(result)
    # The handshake was delivered before the endpoint broke; the error came from a failed delivery after.
    assert seen["delivered_before"] == 1 and isinstance(seen["failed_attempts"], int) and seen["failed_attempts"] >= 1
    assert seen["status"] == "error" and "delivery" in str(seen["error"])


async def test_error_only_for_a_failed_handshake_does_not_pass() -> None:
    """The old way of judging (a failing endpoint from the start) passed this server: its handshake failed and
    it set error, with a refused-filter reason. Once active, its failed deliveries leave it active."""
    result = await _error_state(["subscription-error-only-on-handshake"])
    assert result.status is Status.FAIL, result.message
    assert "'active', not error" in result.message and _derived(result)["failed_attempts"]


def _refuses_filter_on_read(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                            body: bytes) -> httpx.Response | None:
    """Subscription/{id} of the error-state check reads back as error, with a refused-filter reason."""
    path = request.url.path
    if request.method == "GET" and "/Subscription/" in path and "$" not in path and status == 200:
        data = json.loads(body)
        if "-err-" in json.dumps(data.get("meta", {})):
            data.update(status="error", error="filter criteria refused: _tag is not a canFilterBy parameter")
            return httpx.Response(200, headers=headers, content=json.dumps(data).encode())
    return None


async def test_error_set_for_a_refused_filter_is_not_judged() -> None:
    result = await _error_state(wrap=_refuses_filter_on_read)
    assert result.status is Status.SKIP, result.message
    assert "before any delivery failed" in result.message and "filter criteria refused" in result.message
