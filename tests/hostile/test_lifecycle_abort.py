"""Runs that cannot finish: the target is killed mid-run, the run deadline passes, the user presses Ctrl-C.

Each is a real ``conformance run`` process against the real sandbox in another process (slowed after
a number of requests, so the test knows the run is still going when it acts). Outcomes are asserted,
never elapsed times: the exit code, the one sentence, the reports, the store, and what the sandbox holds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.evidence import records
from conformance.evidence.store import ABORTED, EvidenceStore
from conformance.sandbox.faults import SERVED_TYPES

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
TAG_SYSTEM = "https://conformance.example/tag"


@dataclass
class Sandbox:
    proc: subprocess.Popen[str]
    url: str
    marker: Path


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(after: int, delay: float) -> Sandbox:
        marker = tmp_path / f"marker-{len(started)}"
        proc = subprocess.Popen([sys.executable, "-m", "tests.hostile.slow_sandbox", str(marker), str(after),
                                 str(delay)], stdout=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
        started.append(proc)
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        for _ in range(500):  # bounded: until it answers
            try:
                httpx.get(url + "/metadata", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.02)
        return Sandbox(proc, url, marker)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def launch(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    out, err = (tmp_path / "run.out").open("w"), (tmp_path / "run.err").open("w")
    return subprocess.Popen([sys.executable, "-c", "from conformance.cli import main; main()", "run", *args,
                             "--store", f"sqlite:///{tmp_path / 'store.db'}", "--out", str(tmp_path / "out")],
                            stdout=out, stderr=err, text=True, env=ENV, cwd=tmp_path)


def wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    for _ in range(3000):  # bounded; the run must not have ended before the marker
        if path.exists():
            return
        assert proc.poll() is None, "the run ended before the test could act mid-run"
        time.sleep(0.02)
    raise AssertionError(f"{path} never appeared")


def finish(proc: subprocess.Popen[str], tmp_path: Path) -> tuple[int, str]:
    code = proc.wait(timeout=240)
    return code, (tmp_path / "run.err").read_text() + (tmp_path / "run.out").read_text()


def report(tmp_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp_path / "out" / "report.json").read_text())
    return data


def stored(tmp_path: Path, run_id: str) -> tuple[str, list[Any]]:
    with EvidenceStore(f"sqlite:///{tmp_path / 'store.db'}") as store:
        _, status = store.get_result(run_id)
        return status, records.run_outcomes(store)


def holdings(url: str, tag: str | None = None) -> dict[str, int]:
    """How many resources of each type the sandbox holds (with ``tag``: carrying that tag)."""
    params = {"_count": "1", **({"_tag": f"{TAG_SYSTEM}|{tag}"} if tag else {})}
    return {t: int(httpx.get(f"{url}/{t}", params=params, timeout=10).json()["total"]) for t in SERVED_TYPES}


def test_target_killed_mid_run_ends_aborted_exit_3_and_unscored(tmp_path: Path, sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(after=5, delay=0.05)
    proc = launch(tmp_path, "--target", sandbox.url, "--sandbox", "--suite", "fhir-rest")
    wait_for(sandbox.marker, proc)
    sandbox.proc.kill()  # by pid: the target dies mid-run
    sandbox.proc.wait(timeout=30)
    code, output = finish(proc, tmp_path)
    assert code == 3, output
    assert "Traceback" not in output
    assert "aborted: the target stopped answering at " in output
    data = report(tmp_path)
    assert data["run"]["status"] == "aborted" and data["run"]["aborted"].startswith("the target stopped answering")
    messages = [r["message"] for r in data["results"]]
    assert any(m.startswith("not run: the target stopped answering at ") for m in messages)
    assert any(r["status"] == "pass" for r in data["results"])  # what ran before the death is kept
    status, scored = stored(tmp_path, data["run"]["id"])
    assert status == ABORTED and scored == []  # kept, never scored (maturity, roadmap and compare read these)


def test_sigint_cleans_up_writes_reports_and_stores_aborted(tmp_path: Path, sandbox_factory: Any) -> None:
    # Interrupted while the third create is held after it landed: only a search for the run's tag finds it.
    sandbox = sandbox_factory(after=3, delay=0.3)
    before = holdings(sandbox.url)
    proc = launch(tmp_path, "--target", sandbox.url, "--sandbox", "--suite", "fhir-rest")
    wait_for(sandbox.marker, proc)
    proc.send_signal(signal.SIGINT)
    code, output = finish(proc, tmp_path)
    assert code == 130, output
    assert "Traceback" not in output
    data = report(tmp_path)
    run_id = data["run"]["id"]
    assert run_id in output and str(tmp_path / "out") in output  # the run id and where its reports are
    assert data["run"]["aborted"] == "interrupted by the user"
    cut = [r for r in data["results"] if r["message"] == "interrupted by the user before this check finished"]
    assert cut
    # The exchange that was in flight is evidence too: it may have written before it was cancelled.
    assert any("cancelled before the exchange finished" in e["summary"] for r in cut for e in r["evidence"])
    assert (tmp_path / "out" / "report.html").exists() and (tmp_path / "out" / "junit.xml").exists()
    status, scored = stored(tmp_path, run_id)
    assert status == ABORTED and scored == []
    # Nothing the run wrote is left on the sandbox: no resource with its tag, and no more than before.
    assert sum(holdings(sandbox.url, f"run-{run_id}-fhir-rest").values()) == 0
    assert holdings(sandbox.url) == before


def test_run_deadline_aborts_and_still_cleans_up(tmp_path: Path, sandbox_factory: Any) -> None:
    sandbox = sandbox_factory(after=1, delay=0.05)
    before = holdings(sandbox.url)
    proc = launch(tmp_path, "--target", sandbox.url, "--sandbox", "--suite", "fhir-rest", "--deadline", "3")
    code, output = finish(proc, tmp_path)
    assert code == 3, output
    assert "the run deadline of 3 s passed" in output
    data = report(tmp_path)
    assert any(r["message"] == "the run deadline of 3 s passed before this check finished" for r in data["results"])
    status, scored = stored(tmp_path, data["run"]["id"])
    assert status == ABORTED and scored == []
    assert holdings(sandbox.url) == before


def test_mllp_receiver_killed_mid_run_ends_aborted(tmp_path: Path) -> None:
    from conformance.sandbox.hl7v2 import sandbox_hl7v2_settings

    marker = tmp_path / "mllp-marker"
    peer = subprocess.Popen([sys.executable, "-m", "tests.hostile.slow_mllp", str(marker), "3"],
                            stdout=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    try:
        assert peer.stdout is not None
        address = peer.stdout.readline().strip()
        assert address.startswith("127.0.0.1:"), address
        hl7 = sandbox_hl7v2_settings()
        target = tmp_path / "target.toml"
        target.write_text(f'name = "mllp peer"\nsandbox = true\n[endpoints]\nmllp = "{address}"\n'
                          f'[hl7v2]\napplication = "{hl7.application}"\nfacility = "{hl7.facility}"\n'
                          f"receives = {json.dumps(hl7.receives)}\n")
        proc = launch(tmp_path, "--target", str(target), "--suite", "hl7v2-receiver")
        wait_for(marker, proc)
        peer.kill()  # by pid
        peer.wait(timeout=30)
        code, output = finish(proc, tmp_path)
    finally:
        if peer.poll() is None:
            peer.kill()
        peer.wait(timeout=30)
    assert code == 3, output
    assert "aborted: the target stopped answering at " in output and f"mllp endpoint {address}" in output
    data = report(tmp_path)
    assert data["run"]["status"] == "aborted"
    assert any(r["message"].startswith("not run: the target stopped answering") for r in data["results"])
    status, scored = stored(tmp_path, data["run"]["id"])
    assert status == ABORTED and scored == []


def test_sigterm_cleans_up_writes_reports_and_stores_aborted(tmp_path: Path, sandbox_factory: Any) -> None:
    # What a cancelled CI job or a stopped container sends: the same clean ending as a Ctrl-C.
    sandbox = sandbox_factory(after=3, delay=0.3)
    before = holdings(sandbox.url)
    proc = launch(tmp_path, "--target", sandbox.url, "--sandbox", "--suite", "fhir-rest")
    wait_for(sandbox.marker, proc)
    proc.send_signal(signal.SIGTERM)
    code, output = finish(proc, tmp_path)
    assert code == 143, output
    assert "Traceback" not in output
    data = report(tmp_path)
    assert data["run"]["aborted"] == "stopped by SIGTERM"
    assert any(r["message"] == "stopped by SIGTERM before this check finished" for r in data["results"])
    status, scored = stored(tmp_path, data["run"]["id"])
    assert status == ABORTED and scored == []
    assert holdings(sandbox.url) == before
