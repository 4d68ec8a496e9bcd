"""Against a real third-party OpenAPI-described service (psf/httpbin, started on loopback): our openapi
verdicts agree with schemathesis's own CLI on the same operations, and each failure we report is what
the service really does (re-observed with a plain request, independently of the suite)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

pytestmark = pytest.mark.skipif(importlib.util.find_spec("flasgger") is None or
                                importlib.util.find_spec("httpbin") is None,
                                reason="httpbin[mainapp] and flasgger are not installed (pip install -e .[test])")


def test_verdicts_agree_with_schemathesis_cli() -> None:
    from openapi_security import compare  # type: ignore[import-not-found]

    table, cli_text = compare(max_cases=10)
    disagree = {k: v for k, v in table.items() if (v[0] == "fail") != v[1]}
    assert disagree == {}, cli_text[-2000:]
    assert table["openapi.cases.content-types"] == ("fail", True)  # /bearer and /cache, both tools


def test_the_content_type_failures_are_real() -> None:
    from openapi_security import start_httpbin  # type: ignore[import-not-found]

    proc, base = start_httpbin()
    try:
        bearer = httpx.get(f"{base}/bearer")  # documented: application/json only
        cache = httpx.get(f"{base}/cache", headers={"If-Modified-Since": "null"})
        spec = httpx.get(f"{base}/spec.json").json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert spec["paths"]["/bearer"]["get"]["produces"] == ["application/json"]
    assert bearer.status_code == 401 and bearer.headers["content-type"].startswith("text/html")
    assert cache.status_code == 304 and "content-type" not in cache.headers
