"""``conformance run`` against hostile HTTP servers, each in its own process: a reset after the headers,
a 1 GB chunked body, a gzip bomb (3 MB inflating to 1 GB), 200 and junk to everything. Outcomes asserted,
never times: exit 1, every check an outcome with its reason, no traceback, the run stored complete, the
harness's peak resident memory bounded (no body is held past the 5 MB limit)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.measured import measured_run, peer_process


@pytest.fixture
def peer(request: pytest.FixtureRequest) -> Iterator[str]:
    with peer_process("tests.hostile.http_peer", request.param) as url:
        yield url


@pytest.mark.parametrize(("peer", "status", "words"), [
    ("reset", "error", "closed or reset the connection mid-exchange"),
    ("chunked", "error", "larger than the 5,000,000-byte limit"),
    ("gzip", "error", "larger than the 5,000,000-byte limit"),
    ("garbage", "fail", "not JSON"),
], indirect=["peer"])
def test_a_hostile_http_server_gets_outcomes_a_complete_run_and_bounded_memory(tmp_path: Path, peer: str,
                                                                               status: str, words: str) -> None:
    results = measured_run(tmp_path, "--target", peer, "--sandbox", "--suite", "fhir-rest")
    assert results and all(r["status"] == "pass" or r["message"] for r in results)  # every outcome says why
    assert any(r["status"] == status and words in r["message"] for r in results), [r["message"] for r in results]
