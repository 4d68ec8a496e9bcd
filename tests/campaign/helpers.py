"""Campaign test helpers: target files for a sandbox, a campaign file, and a redis-server on loopback
(temp dir, free port, stopped by its pid; skipped with a sentence when redis-server is not installed)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import free_port

TARGET = """name = "{name}"
sandbox = {sandbox}
footprint = "Test Footprint"
[organisation]
ods_code = "{ods}"
name = "Org {name}"
kind = "provider"
[system]
vendor = "Test"
product = "EPR"
version = "1"
[endpoints]
fhir = "{url}"
"""


def write_targets(folder: Path, urls: list[str], sandbox: bool = True, prefix: str = "t") -> list[str]:
    """One target file per URL (each its own organisation); the campaign's keys for them."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for n, url in enumerate(urls):
        name = f"{prefix}{n:03d}"
        (folder / f"{name}.toml").write_text(TARGET.format(name=name, sandbox=str(sandbox).lower(),
                                                           ods=f"T{prefix.upper()}{n:03d}", url=url))
        keys.append(f"{folder.name}/{name}.toml")
    return keys


# A few checks, reads and writes: enough to settle a target in a fraction of the whole suite's time.
QUICK = ["fhir-rest.capability.*", "fhir-rest.crud.patient.*"]


def write_campaign(path: Path, name: str, suites: list[str], select: list[str] | None = None,
                   **limits: float) -> Path:
    lines = [f'name = "{name}"', f"suites = {suites!r}".replace("'", '"'), 'targets = ["targets/*.toml"]',
             f"select = {select if select is not None else QUICK!r}".replace("'", '"'),
             "[limits]", *(f"{k} = {v}" for k, v in limits.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def running_soon(store_url: str, campaign: str, seconds: float, also: Callable[[], bool] = lambda: True) -> bool:
    """Whether, within ``seconds``, the ledger shows a target of ``campaign`` running (and ``also()`` holds):
    the moment a test kills a worker or restarts the broker."""
    from conformance.campaign import ledger
    from conformance.evidence.store import EvidenceStore

    deadline = time.monotonic() + seconds
    with EvidenceStore(store_url) as store:
        while time.monotonic() < deadline:
            try:
                running = any(e.status == ledger.RUNNING for e in ledger.entries(store, campaign))
            except Exception:  # the ledger table appears when the campaign enrols its targets
                running = False
            if running and also():
                return True
            time.sleep(0.1)
    return False


class Broker:
    """A redis-server on a fixed loopback port that can be stopped and started again: on its data
    (append-only, as a broker is deployed), or empty (``appendonly=False``)."""

    def __init__(self, folder: Path, appendonly: bool = True) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed: `apt-get install redis-server` (as .ci/run does)")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.appendonly = appendonly  # False: a restart comes back empty (the limiter's keys all gone)
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", str(self.folder), "--save", "",
                                      "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "always"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # a clean shutdown: the append-only file is complete
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


@contextmanager
def redis_server(tmp: Path) -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of a throwaway redis-server; skip when it is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: `apt-get install redis-server` (as .ci/run does)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp),
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process a test or bench started, by its pid: SIGTERM, then SIGKILL after 30 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
