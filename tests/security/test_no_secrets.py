"""The sandbox's client secret, private key, expired token and every access token it issues never reach
a report, the console or the evidence store, even when the API echoes the caller's token back."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from conformance.checks import Links
from conformance.sandbox.api import EXPIRED_ENV, KEY_ENV, SECRET_ENV
from conformance.sandbox.api.oauth import keys
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.target import sandbox_target
from conformance.session import RunOptions, execute

ISSUED = re.compile(rb"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}")


def test_no_secret_or_token_in_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.sandbox.fhir import create_app

    monkeypatch.chdir(tmp_path)
    target = sandbox_target("https://sandbox.test/fhir", mllp=None)
    secrets = [os.environ[SECRET_ENV], os.environ[EXPIRED_ENV], *os.environ[KEY_ENV].splitlines()[1:-1]]
    assert keys().client_secret in secrets
    buffer = io.StringIO()
    app = create_app(parse_faults(["api-echoes-token-in-error"]))  # the API repeats the token in a 400
    options = RunOptions(suites=["openapi", "security"], out_dir=tmp_path / "out",
                         store_url=f"sqlite:///{tmp_path / 'store.db'}", verbose=True,
                         links=Links(http_transport=httpx.ASGITransport(app=app)))
    outcome = execute(target, options, Console(file=buffer, width=200))
    by_id = {r.id: r for r in outcome.result.results}
    assert by_id["security.token.not-echoed"].status.value == "fail"  # the echo happened and was caught
    assert by_id["security.token.client-secret"].status.value == "pass"
    files = [*(tmp_path / "out").iterdir(), tmp_path / "store.db"]
    assert len(files) >= 4
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, (path, secret[:6])
        assert not ISSUED.search(data), (path, "an issued JWT access token")
    text = buffer.getvalue()
    assert not any(s in text for s in secrets)
    assert not ISSUED.search(text.encode())
