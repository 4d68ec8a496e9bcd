"""An unreachable target: exit 3, one sentence naming the endpoint, nothing stored."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(tmp_path: Path, target: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", "run", "--target", target],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


def test_closed_fhir_port_exits_3_and_stores_nothing(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    proc = _run(tmp_path, url)
    assert proc.returncode == 3, proc.stderr
    assert url in proc.stderr and "unreachable" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "reports").exists()


def test_closed_mllp_port_in_target_file_exits_3(tmp_path: Path) -> None:
    port = _closed_port()
    target = tmp_path / "target.toml"
    target.write_text(f'name = "t"\n[endpoints]\nmllp = "127.0.0.1:{port}"\n')
    proc = _run(tmp_path, str(target))
    assert proc.returncode == 3, proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr and "mllp" in proc.stderr


def test_closed_port_marked_sandbox_is_probed_too(tmp_path: Path) -> None:
    """A sandbox target is no exception: without the probe, its run would be stored as 122 errors."""
    url = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-c", "from conformance.cli import main; main()", "run", "--target", url,
                           "--sandbox"], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "unreachable" in proc.stderr and not (tmp_path / "reports").exists()


def test_a_target_dribbling_its_headers_fails_the_probe_instead_of_hanging(monkeypatch: Any) -> None:
    # Each byte comes well within the read timeout, so only a bound on the whole answer ends the probe
    # (before, `conformance run` against it hung for ever, --deadline or not: the run had not started).
    import threading

    from conformance.runner import probe as probing
    from conformance.targets import from_url

    peer = subprocess.Popen([sys.executable, "-m", "tests.hostile.http_peer", "dribble"], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[2])
    assert peer.stdout is not None
    url = peer.stdout.readline().strip()
    monkeypatch.setattr(probing, "PROBE_TIMEOUT", 1.5)
    said: list[str] = []

    def attempt() -> None:
        try:
            probing.probe(from_url(url))
        except probing.UnreachableError as exc:
            said.append(str(exc))

    worker = threading.Thread(target=attempt, daemon=True)
    try:
        worker.start()
        worker.join(timeout=60)  # a bound for the test, not a timing assertion: before the fix it never ended
        assert not worker.is_alive(), "the probe never ended"
    finally:
        peer.kill()
        peer.wait(timeout=30)
    assert said and "did not answer GET metadata" in said[0] and url in said[0]
