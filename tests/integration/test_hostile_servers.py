"""Bad input from the server: the run completes, reports are written, exit 1, and no traceback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tests.servers import serve_app

CAPABILITY = json.dumps({"resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01",
                         "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"],
                         "rest": [{"mode": "server"}]})


def hostile_app(mode: str) -> Starlette:
    async def endpoint(request: Request) -> Response:
        if mode == "html":
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, media_type="text/html")
        if mode == "badjson":
            return Response('{"resourceType": "CapabilityStatement", "rest": [', 200,
                            media_type="application/fhir+json")
        if mode == "wrongtype":
            return Response(CAPABILITY, 200, media_type="text/plain")
        if mode == "huge":
            return Response(b" " * 10_000_000 + CAPABILITY.encode(), 200, media_type="application/fhir+json")
        if mode == "redirect":
            return RedirectResponse(str(request.url), status_code=302)
        raise AssertionError(mode)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE"])])


@pytest.fixture
def raw_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """Accepts connections, then resets them or never answers."""
    mode = request.param
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            held.append(conn)
            if mode == "reset":
                try:
                    conn.recv(65536)
                except OSError:
                    pass
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    sock.close()


def run_cli(tmp_path: Path, base: str) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    target = tmp_path / "target.toml"
    target.write_text(f'[endpoints]\nfhir = "{base}/fhir"\n[http]\nread_timeout = 0.5\nconnect_timeout = 0.5\n'
                      'max_body_bytes = 1000000\n')
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", str(target), "--out", str(out),
         "--store", f"sqlite:///{tmp_path / 'store.db'}", "--suite", "fhir-rest", "--timeout", "10"],
        capture_output=True, text=True, timeout=120,
    )
    report = json.loads((out / "report.json").read_text())
    assert (out / "junit.xml").exists() and (out / "report.html").exists()
    return proc, report


def assert_clear_verdict(
    proc: subprocess.CompletedProcess[str],
    report: dict[str, object],
    words: tuple[str, ...],
    check_id: str = "fhir-rest.capability.metadata",
) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    results = {r["id"]: r for r in report["results"]}  # type: ignore[attr-defined]
    verdict = results[check_id]
    assert verdict["status"] in ("fail", "error")
    assert any(w in verdict["message"].lower() for w in words), verdict["message"]
    assert verdict["evidence"], "the verdict must carry the exchange it was judged on"


@pytest.mark.parametrize(
    ("mode", "words", "check_id"),
    [
        ("html", ("502", "html", "json"), "fhir-rest.capability.metadata"),
        ("badjson", ("json",), "fhir-rest.capability.metadata"),
        ("wrongtype", ("text/plain",), "fhir-rest.format.accept-json"),
        ("huge", ("limit",), "fhir-rest.capability.metadata"),
        ("redirect", ("redirect",), "fhir-rest.capability.metadata"),
    ],
)
def test_hostile_http_server(tmp_path: Path, mode: str, words: tuple[str, ...], check_id: str) -> None:
    with serve_app(hostile_app(mode)) as base:
        proc, report = run_cli(tmp_path, base)
    assert_clear_verdict(proc, report, words, check_id)


def run_unreachable(tmp_path: Path, base: str) -> subprocess.CompletedProcess[str]:
    """A target that cannot be reached is exit 3 with one sentence: no checks, no reports, nothing stored
    (issue 18: "no evidence" must never be recorded as "not met")."""
    target = tmp_path / "target.toml"
    target.write_text(f'[endpoints]\nfhir = "{base}/fhir"\n[http]\nread_timeout = 0.5\nconnect_timeout = 0.5\n')
    out, store = tmp_path / "out", tmp_path / "store.db"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", str(target), "--out", str(out),
         "--store", f"sqlite:///{store}", "--suite", "fhir-rest", "--timeout", "10"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{base}/fhir" in proc.stderr and "nothing was run or stored" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (out / "report.json").exists() and not store.exists()
    return proc


@pytest.mark.parametrize(("raw_server", "words"),
                         [("reset", ("reset", "closed", "did not answer")),
                          ("silent", ("timed out", "timeout", "did not answer"))],
                         indirect=["raw_server"])
def test_server_that_resets_or_never_answers(tmp_path: Path, raw_server: str, words: tuple[str, ...]) -> None:
    proc = run_unreachable(tmp_path, raw_server)
    assert any(w in proc.stderr.lower() for w in words), proc.stderr


def test_dead_server(tmp_path: Path) -> None:
    from tests.servers import free_port

    proc = run_unreachable(tmp_path, f"http://127.0.0.1:{free_port()}")
    assert "refused" in proc.stderr.lower(), proc.stderr
