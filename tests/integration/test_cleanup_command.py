"""``conformance cleanup`` against a loopback sandbox: a SIGKILLed run leaves things; cleanup removes them.

The sandbox runs in this process (a uvicorn thread on 127.0.0.1) so its state is read directly; the
run is a real ``conformance run`` in a child process, killed with SIGKILL while it has FHIR resources
and API bookings on the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cleanup.ledger import Ledger
from conformance.cli import main
from conformance.fhir.tags import harness_tags
from conformance.sandbox.api import sandbox_credentials
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from tests.integration.test_leftovers import harness_bookings, live_harness_resources
from tests.servers import serve_app

ROOT = Path(__file__).resolve().parents[2]


class HoldDeletes:
    """Holds every DELETE while ``hold`` is set, so a run reaches its clean-up and stalls there: the kill
    lands where the test chooses instead of racing a run that may finish first on a busy machine. A
    held DELETE never reaches the sandbox (it is answered 503 once released), so what the killed run
    meant to delete stays, as it would had the process died before sending it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.hold = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE" and self.hold.is_set():
            for _ in range(1200):  # at most 120 s, then answer as if the server had gone
                if not self.hold.is_set():
                    break
                await asyncio.sleep(0.1)
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def target_file(path: Path, root: str, sandbox: bool = True) -> Path:
    path.write_text(f"""sandbox = {str(sandbox).lower()}
[endpoints]
fhir = "{root}/fhir"
openapi = "{root}/api/openapi.json"
api = "{root}/api"
[api]
max_cases = 60
time_budget = 200
[realtime]
b = "{root}/fhir-b"
heartbeat = 1.0
wait = 3.0
[oauth]
client_id = "conformance-harness"
client_secret_env = "CONFORMANCE_SANDBOX_CLIENT_SECRET"
token_endpoint = "{root}/oauth/token"
scopes = "appointments.read appointments.write"
""")
    return path


def journalled(ledger: Path) -> set[str]:
    return {e["url"].rsplit("/", 1)[1] for entries in Ledger(ledger).pending().values() for e in entries}


def test_refuses_a_target_not_marked_sandbox(tmp_path: Path) -> None:
    code, out, err = invoke("cleanup", "--target", "http://127.0.0.1:9/fhir")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "deletes data" in err
    plain = target_file(tmp_path / "t.toml", "http://127.0.0.1:9", sandbox=False)
    code, _, err = invoke("cleanup", "--target", str(plain), "--dry-run")
    assert code == 2 and "not marked sandbox = true" in err and "Traceback" not in err


def run_and_kill(tmp_path: Path, target: Path, env: dict[str, str], suites: list[str],
                 ready: Callable[[], bool]) -> None:
    """A real ``conformance run`` in a child process, SIGKILLed as soon as ``ready()`` holds while it is frozen."""
    args = [a for s in suites for a in ("--suite", s)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", "--target", str(target), *args,
         "--out", str(tmp_path / "r"), "--store", f"sqlite:///{tmp_path / 'c.db'}"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed = False
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)
            if not ready():  # seen to hold while the run goes on; then hold it still and look again
                continue
            # Freeze the run, let the sandbox finish any request already sent, and kill only if it still
            # holds (an API call in flight at the moment of a SIGKILL cannot be journalled).
            os.kill(proc.pid, signal.SIGSTOP)
            time.sleep(0.3)
            if ready():
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
            os.kill(proc.pid, signal.SIGCONT)
    finally:
        if not killed and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        err = proc.stderr.read()[-1500:] if proc.stderr else b""
        if proc.stderr:
            proc.stderr.close()
    assert killed, f"the run of {suites} ended before it was killed: {err!r}"


def test_a_killed_run_leaves_things_and_cleanup_removes_them_all(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    creds = sandbox_credentials()
    for key, value in creds.items():
        monkeypatch.setenv(key, value)
    app = create_app(parse_faults([]))
    ledger = tmp_path / "reports" / "created"
    held = HoldDeletes(app)
    with serve_app(held) as root:
        target = target_file(tmp_path / "sandbox.toml", root)
        env = {**os.environ, **creds, "PYTHONPATH": str(ROOT)}
        held.hold.set()
        run_and_kill(tmp_path, target, env, ["fhir-rest", "realtime"], lambda: len(live_harness_resources(app)) >= 3)
        left_fhir = live_harness_resources(app)
        run_and_kill(tmp_path, target, env, ["openapi"],
                     lambda: bool(harness_bookings(app)) and set(harness_bookings(app)) <= journalled(ledger))
        left_api = harness_bookings(app)
        held.hold.clear()  # cleanup's own DELETEs go through
        assert len(left_fhir) >= 3 and left_api  # the kills left things behind
        fhir_run = next(c for c in harness_tags(app.state.sandbox.store.current(*left_fhir[0].split("/")).resource)
                        if c.count("-") == 2).removeprefix("run-")

        # --dry-run finds them all and deletes nothing
        code, out, _ = invoke("cleanup", "--target", str(target), "--ledger", str(ledger), "--dry-run", "--json")
        report = json.loads(out)
        assert code == 1 and report["dry_run"] and not report["ok"]
        assert sum(t["found"] for t in report["types"]) >= len(left_fhir) + len(left_api)
        assert all(t["deleted"] == 0 for t in report["types"])
        assert live_harness_resources(app) == left_fhir and harness_bookings(app) == left_api

        # --run narrows to one run: another id finds nothing; the FHIR run's id removes its resources only
        code, out, _ = invoke("cleanup", "--target", str(target), "--ledger", str(ledger), "--dry-run",
                              "--run", "19990101T000000Z-000000")
        assert code == 0 and "nothing of the harness's found" in out, out
        code, out, err = invoke("cleanup", "--target", str(target), "--ledger", str(ledger), "--run", fhir_run)
        assert code == 0, out + err
        assert "Patient: found" in out and live_harness_resources(app) == [] and harness_bookings(app) == left_api

        code, out, err = invoke("cleanup", "--target", str(target), "--ledger", str(ledger))
        assert code == 0, out + err
        assert harness_bookings(app) == [] and "/appointments" in out
        assert not list(ledger.glob("*.jsonl"))  # the journal of a cleaned run is removed

        code, out, _ = invoke("cleanup", "--target", str(target), "--ledger", str(ledger))
        assert code == 0 and "nothing of the harness's found" in out
