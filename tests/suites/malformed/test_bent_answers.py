"""Malformed-but-plausible answers are verdicts: never an ``error`` carrying a Python exception name.

Each run bends a share of the sandbox's answers (tests/suites/malformed/twin.py) from a fixed seed, so
a failure is replayable: the assertion message names the seed and the answers that were bent. A check
that met a bent answer must end ``fail`` quoting it, or ``skip``/``pass`` where the bend did not touch
what it judges; an ``error`` is allowed only when its message is a sentence of the harness (a transport
broke, the harness cannot read something), never ``KeyError: 'id'``.
"""

from __future__ import annotations

import re

import httpx
import pytest

from conformance.model import RunResult, Status
from tests.integration.conftest import run_against_sandbox
from tests.suites.malformed.twin import Bend, BentTransport, bend_value

PYTHON_EXCEPTION = re.compile(r"^[A-Z][A-Za-z]*(Error|Exception|Exit)\b|Traceback|\bobject has no attribute\b")


async def bent_run(suites: list[str], bend: Bend) -> RunResult:
    return await run_against_sandbox(suites=suites, wrap_http=lambda inner: BentTransport(inner, bend))


def crashes(result: RunResult) -> list[str]:
    return [f"{r.id}: {r.message}" for r in result.results
            if r.status is Status.ERROR and PYTHON_EXCEPTION.search(r.message)]


CASES = [(["fhir-rest"], seed, 0.4) for seed in range(10)] + [
    (["fhir-profiles"], seed, 0.5) for seed in range(10)] + [
    (["realtime"], seed, 0.3) for seed in range(4)] + [
    (["openapi", "security"], seed, 0.4) for seed in range(4)]


@pytest.mark.parametrize(("suites", "seed", "rate"), CASES,
                         ids=[f"{'+'.join(s)}-seed{n}" for s, n, _ in CASES])
async def test_bent_answers_never_crash_a_check(suites: list[str], seed: int, rate: float) -> None:
    bend = Bend(seed=seed, rate=rate)
    result = await bent_run(suites, bend)
    assert bend.log, "the twin bent nothing: the test would prove nothing"
    found = crashes(result)
    assert not found, f"seed {seed}: " + "\n".join(found) + "\nbent answers:\n" + "\n".join(bend.log[:30])


def only(method: str, path_end: str) -> Bend:
    """Every answer to ``method`` on a URL path ending ``path_end``, and no other."""
    return Bend(seed=0, rate=1.0, picks=lambda r: r.method == method and r.url.path.endswith(path_end))


class Rewrite(httpx.AsyncBaseTransport):
    """The sandbox, with one answer rewritten by ``change`` (the issue's named cases)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, change: object) -> None:
        self.inner, self.change = inner, change

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
        out = self.change(request, response.status_code, headers, body)  # type: ignore[operator]
        return out if isinstance(out, httpx.Response) else httpx.Response(response.status_code, headers=headers,
                                                                          content=body)


def _create_200_without_id(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                           body: bytes) -> httpx.Response | None:
    if request.method == "POST" and status == 201:
        kept = [(k, v) for k, v in headers if k.lower() not in ("location", "etag")]
        return httpx.Response(200, headers=kept, content=b'{"resourceType": "Patient"}')
    return None


def _rest_not_a_list(request: httpx.Request, status: int, headers: list[tuple[str, str]],
                     body: bytes) -> httpx.Response | None:
    if request.url.path.endswith("/metadata"):
        import json

        data = json.loads(body)
        data["rest"] = data["rest"][0]  # an object where R4 has a list
        return httpx.Response(status, headers=headers, content=json.dumps(data).encode())
    return None


async def test_a_create_answered_200_without_an_id_is_a_fail_quoting_it() -> None:
    result = await run_against_sandbox(suites=["fhir-profiles"],
                                       wrap_http=lambda inner: Rewrite(inner, _create_200_without_id))
    got = {r.id: r for r in result.results}
    collect = got["fhir-profiles.sample.collect"]
    assert collect.status is Status.FAIL, (collect.status, collect.message)
    assert "no id" in collect.message and "200" in collect.message and "Patient" in collect.message
    assert collect.evidence


async def test_a_capability_statement_whose_rest_is_not_a_list_is_a_fail_quoting_it() -> None:
    result = await run_against_sandbox(suites=["realtime", "fhir-rest", "security"],
                                       wrap_http=lambda inner: Rewrite(inner, _rest_not_a_list))
    assert not crashes(result), crashes(result)
    got = {r.id: r for r in result.results}
    declared = got["realtime.subscription.declared"]
    assert declared.status is Status.FAIL and "rest" in declared.message and "not a list" in declared.message
    assert got["fhir-rest.capability.metadata"].status is Status.FAIL  # R4 structure: rest is 0..*


def test_the_twin_bends_what_it_is_given() -> None:
    import random

    original = {"resourceType": "Bundle", "entry": [{"resource": {"id": "a"}}]}
    bent = [bend_value({"resourceType": "Bundle", "entry": [{"resource": {"id": "a"}}]}, random.Random(n))
            for n in range(20)]
    assert any(b != original for b in bent)
