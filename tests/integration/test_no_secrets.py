"""Credentials never reach a report, a log or the evidence store, even when the server echoes them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from conformance.checks import Links
from conformance.session import RunOptions, execute
from conformance.targets import Auth, from_url

SECRET = "Zs3cr3t-T0ken-4242-abcdef"


class EchoAuth:
    """ASGI middleware: a careless server that echoes the caller's credentials back in headers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        auth = b""
        for key, value in scope.get("headers", []):
            if key == b"authorization":
                auth = value

        async def echo(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-debug-authorization", auth),
                    (b"set-cookie", b"session=" + auth.split(b" ")[-1]),
                ]
            await send(message)

        await self.app(scope, receive, echo)


def test_no_secret_in_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.sandbox.faults import parse_faults
    from conformance.sandbox.fhir import create_app

    monkeypatch.setenv("SANDBOX_TOKEN", SECRET)
    monkeypatch.chdir(tmp_path)
    target = from_url("http://sandbox.test/fhir", sandbox=True)
    target.auth = Auth(type="bearer", token_env="SANDBOX_TOKEN")
    buffer = io.StringIO()
    options = RunOptions(
        suites=["fhir-rest"],
        out_dir=tmp_path / "out",
        store_url=f"sqlite:///{tmp_path / 'store.db'}",
        verbose=True,
        links=Links(http_transport=httpx.ASGITransport(app=EchoAuth(create_app(parse_faults([]))))),
    )
    outcome = execute(target, options, Console(file=buffer, width=200))
    assert outcome.result.summary()["pass"] > 50
    # the echo really happened, so the scrubbing was exercised:
    http = [e for r in outcome.result.results for e in r.evidence if e.kind == "http"]
    echoed = [e.data["response"]["headers"]["x-debug-authorization"] for e in http if "response" in e.data]
    assert echoed and all(v == "Bearer [redacted]" for v in echoed)
    files = [*(tmp_path / "out").iterdir(), tmp_path / "store.db"]
    assert len(files) >= 4
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in buffer.getvalue()
