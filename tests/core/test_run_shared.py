"""RunShared: what several suites of one run need is made once (the CapabilityStatement's GET above all)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from conformance.checks import RunShared
from tests.integration.conftest import run_against_sandbox


def test_once_makes_a_value_once_for_concurrent_callers() -> None:
    made: list[int] = []

    async def make() -> int:
        made.append(1)
        await asyncio.sleep(0.01)
        return 42

    async def main() -> list[int]:
        shared = RunShared()
        values = await asyncio.gather(*(shared.once("k", make) for _ in range(5)))
        await shared.aclose()
        return list(values)

    assert asyncio.run(main()) == [42] * 5
    assert made == [1]


def test_a_failure_reaches_every_caller_and_a_cancelled_caller_cancels_no_one() -> None:
    async def broken() -> int:
        await asyncio.sleep(0.01)
        raise ValueError("no statement")

    async def main() -> tuple[BaseException | None, bool]:
        shared = RunShared()
        first = asyncio.ensure_future(shared.once("k", broken))
        await asyncio.sleep(0)
        first.cancel()  # the first caller is cancelled (its check stopped); the making goes on
        with pytest.raises(ValueError, match="no statement"):
            await shared.once("k", broken)
        await shared.aclose()
        return None, first.cancelled()

    assert asyncio.run(main()) == (None, True)


class Counting(httpx.AsyncBaseTransport):
    """Counts the GET metadata requests that reach the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.metadata = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/fhir/metadata":
            self.metadata += 1
        return await self.inner.handle_async_request(request)


def test_a_run_of_the_four_fhir_suites_gets_metadata_once_and_each_keeps_it_as_evidence() -> None:
    seen: list[Counting] = []

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        seen.append(Counting(inner))
        return seen[0]

    ids = ["fhir-rest.capability.metadata", "fhir-profiles.capability.metadata", "gs1.capability.metadata",
           "gs1-bedside.capability.metadata"]
    result: Any = asyncio.run(run_against_sandbox(select=ids, wrap_http=wrap))
    by_id = {r.id: r for r in result.results}
    assert {i: by_id[i].status.value for i in ids} == dict.fromkeys(ids, "pass")
    assert seen[0].metadata == 1
    for i in ids:  # the one exchange, as each verdict's evidence
        assert [e.summary for e in by_id[i].evidence if e.kind == "http"], i
