"""Start and stop the third-party servers (Medplum's fhir-router and hl7 MLLP server, Asymmetrik's
node-fhir-server-core, fhirsnake, python-hl7's and hl7apy's MLLP receivers, and the HL7 v2 senders; see
tests/realserver/NOTES.md)."""

from __future__ import annotations

import re
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1] / "realserver"


def stop(proc: subprocess.Popen[Any]) -> None:
    """Stop a server this module started, by its pid: SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def medplum_server() -> Iterator[str]:
    """Yield the base URL of a fresh in-memory server on 127.0.0.1; stop it by its pid afterwards.

    The server must have been installed (``bash tests/realserver/install.sh``, which .ci/run does):
    a missing install is a test failure with that instruction, never a silent skip.
    """
    node = shutil.which("node")
    if node is None or not (HERE / ".node" / "node_modules" / "@medplum" / "fhir-router").is_dir():
        raise RuntimeError("third-party FHIR server not installed: run `bash tests/realserver/install.sh`")
    proc = subprocess.Popen(
        [node, str(HERE / "server.js"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        match = re.search(r"ready at (\S+)", line)
        if not match:
            raise RuntimeError(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        yield match.group(1)
    finally:
        stop(proc)


@contextmanager
def asymmetrik_server() -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:N/4_0_1``) of Asymmetrik's node-fhir-server-core with the
    in-memory service of tests/realserver/asymmetrik_server.js, fresh and empty; stop it by its pid."""
    node = shutil.which("node")
    core = HERE / ".node-asymmetrik" / "node_modules" / "@asymmetrik" / "node-fhir-server-core"
    if node is None or not core.is_dir():
        raise RuntimeError("node-fhir-server-core not installed: run `bash tests/realserver/install.sh`")
    proc = subprocess.Popen([node, str(HERE / "asymmetrik_server.js"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if ready else ""
        match = re.search(r"ready at (\S+)", line)
        if not match:
            raise RuntimeError(f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        yield match.group(1)
    finally:
        stop(proc)


def node_script(name: str) -> list[str]:
    """The command running one of tests/realserver's node scripts, or a clear instruction to install."""
    node = shutil.which("node")
    if node is None or not (HERE / ".node" / "node_modules" / "@medplum" / "hl7").is_dir():
        raise RuntimeError("third-party MLLP peer not installed: run `bash tests/realserver/install.sh`")
    return [node, str(HERE / name)]


@contextmanager
def medplum_mllp(*flags: str) -> Iterator[tuple[str, int]]:
    """Yield (host, port) of Medplum's Hl7Server (tests/realserver/mllp_server.js); stop it by its pid."""
    with mllp_receiver([*node_script("mllp_server.js"), *flags]) as address:
        yield address


@contextmanager
def python_hl7_mllp() -> Iterator[tuple[str, int]]:
    """python-hl7's asyncio MLLP server (tests/realserver/python_hl7_receiver.py)."""
    with mllp_receiver([sys.executable, str(HERE / "python_hl7_receiver.py")]) as address:
        yield address


@contextmanager
def hl7apy_mllp() -> Iterator[tuple[str, int]]:
    """hl7apy's MLLPServer (tests/realserver/hl7apy_receiver.py)."""
    with mllp_receiver([sys.executable, str(HERE / "hl7apy_receiver.py")]) as address:
        yield address


@contextmanager
def mllp_receiver(command: list[str]) -> Iterator[tuple[str, int]]:
    """Start ``command --port 0``, read its ready line for the port, and stop it by its pid afterwards."""
    proc = subprocess.Popen([*command, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        match = re.search(r"ready at ([0-9.]+):(\d+)", line)
        if not match:
            raise RuntimeError(f"MLLP receiver did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        yield match.group(1), int(match.group(2))
    finally:
        stop(proc)


@contextmanager
def fhirsnake_server(workdir: Path) -> Iterator[str]:
    """Yield the base URL of fhirsnake (PyPI; a second server nobody here wrote) on 127.0.0.1, serving
    the synthetic files under ``workdir/resources``; stop it by its pid afterwards."""
    import socket
    import time
    import urllib.request

    python = HERE / ".pyvenv" / "bin" / "python"
    apps = sorted((HERE / ".pyvenv" / "lib").glob("python3*/site-packages/fhirsnake"))
    if not python.exists() or not apps:
        raise RuntimeError("fhirsnake not installed: run `bash tests/realserver/install.sh`")
    with socket.socket() as probe:  # a free loopback port (uvicorn's --port 0 does not say which it took)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [str(python), "-m", "uvicorn", "main:app", "--app-dir", str(apps[0]), "--host", "127.0.0.1",
         "--port", str(port)], cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):  # bounded: up to ~30 s for the interpreter and FastAPI to come up
            if proc.poll() is not None:
                raise RuntimeError(f"fhirsnake exited with {proc.returncode} before answering")
            try:
                with urllib.request.urlopen(f"{base}/", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("fhirsnake did not answer on 127.0.0.1 within 30 s")
        yield base
    finally:
        stop(proc)
