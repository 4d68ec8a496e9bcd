"""The example target files reach a green run against `conformance sandbox`, as the README promises.

The sandbox is a real child process (`--port 0 --mllp-port 0`: free ports, read from the line it prints),
stopped by its pid; the example's addresses are rewritten to those ports, and its OAuth credentials come
from the sandbox's `--env-file`, as a user's shell would `.` it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "targets"
LISTENING = re.compile(r"FHIR R4 at http://127\.0\.0\.1:(\d+)/fhir, HL7 v2 MLLP receiver at 127\.0\.0\.1:(\d+)")


def read_env_file(path: Path) -> dict[str, str]:
    """``export NAME='value'`` lines, values spanning lines (a PEM key), as a POSIX shell reads them."""
    words = shlex.split(path.read_text(encoding="utf-8"), comments=True)
    return dict(w.split("=", 1) for w in words if w != "export")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("sandbox")
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "sandbox", "--port", "0", "--mllp-port", "0",
                             "--env-file", str(tmp / "sandbox.env")],
                            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once both ports are bound; EOF if it died
        found = LISTENING.search(line)
        assert found, (line, proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        assert (tmp / "sandbox.env").stat().st_mode & 0o077 == 0, "the credentials file is the owner's only"
        yield int(found[1]), int(found[2]), read_env_file(tmp / "sandbox.env")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_example(name: str, tmp_path: Path, sandbox: tuple[int, int, dict[str, str]], *args: str) -> dict:
    port, mllp, env = sandbox
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    target = tmp_path / name
    target.write_text(text.replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("127.0.0.1:2575",
                                                                                  f"127.0.0.1:{mllp}"))
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "run", "--target", str(target), *args,
                           "--out", str(tmp_path / "r"), "--store", f"sqlite:///{tmp_path / 'c.db'}"],
                          cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    report = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    bad = {r["id"]: r["message"] for r in report["results"] if r["status"] in ("fail", "error")}
    assert proc.returncode == 0 and bad == {}, (proc.returncode, bad, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    return report


def test_the_full_example_is_green_in_every_section(tmp_path: Path, sandbox: tuple[int, int, dict[str, str]]) -> None:
    report = run_example("sandbox.toml", tmp_path, sandbox)
    passed = {r["suite"] for r in report["results"] if r["status"] == "pass"}
    assert {"fhir-rest", "hl7v2-receiver", "hl7v2-sender", "openapi", "security", "realtime"} <= passed
    assert report["run"]["target"]["footprint"] == "XFP01"


def test_the_fhir_only_example_is_green(tmp_path: Path, sandbox: tuple[int, int, dict[str, str]]) -> None:
    report = run_example("sandbox-fhir.toml", tmp_path, sandbox, "--suite", "fhir-rest")
    assert {r["suite"] for r in report["results"]} == {"fhir-rest"}
    assert report["summary"]["pass"] > 0


def test_readme_points_at_the_examples_and_ci_runs_its_test_command_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    test_command = blocks[1].strip()
    assert "tests/realserver/install.sh" in test_command and "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for example in EXAMPLES.glob("*.toml"):
        assert f"examples/targets/{example.name}" in readme
