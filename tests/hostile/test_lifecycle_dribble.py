"""A dribbling server (headers at once, then a byte every fraction of a second, never tripping the read
timeout): each exchange is cut at the exchange deadline and the check errors in those words; the run
ends (bounded by the deadline, not by the 60 s per check) and, the server being alive, is not aborted."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import serve_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dribbler() -> Iterator[str]:
    stop = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/fhir+json")]})
        for _ in range(400):  # bounded, and ended early when the test is done
            if stop.is_set():
                break
            await send({"type": "http.response.body", "body": b" ", "more_body": True})
            await asyncio.sleep(0.1)
        await send({"type": "http.response.body", "body": b"{}"})

    with serve_app(app) as url:
        try:
            yield url
        finally:
            stop.set()


def test_dribbling_server_is_cut_at_the_exchange_deadline(tmp_path: Path, dribbler: str) -> None:
    target = tmp_path / "target.toml"
    target.write_text(f'name = "dribbler"\n[endpoints]\nfhir = "{dribbler}/fhir"\n'
                      "[http]\nexchange_timeout = 1\nread_timeout = 10\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", "run",
                           "--target", str(target), "--suite", "fhir-rest",
                           "--store", f"sqlite:///{tmp_path / 'store.db'}", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # errors, not an aborted run: the server does answer
    assert "Traceback" not in proc.stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert "status" not in data["run"]
    metadata = next(r for r in data["results"] if r["id"] == "fhir-rest.capability.metadata")
    assert metadata["status"] == "error"
    assert "did not complete its response within the 1 s exchange deadline" in metadata["message"]
    assert all(r["status"] in ("error", "skip") for r in data["results"])  # never a pass on a dribble
