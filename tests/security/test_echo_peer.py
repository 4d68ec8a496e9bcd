"""End to end (issue 18 part 3): a peer echoes every credential back in every encoding; real suites run
against it through the CLI; no output (report files, TestReport, store rows and decompressed blobs, the
exported pack, stdout and stderr) holds any encoding of any secret, of any length from 4 to 64 characters
and of awkward alphabets (characters that JSON, HTML, XML and URLs escape, and non-ASCII)."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.evidence.capture import collecting
from conformance.evidence.store import EvidenceStore
from conformance.model import CheckResult, RunInfo, RunResult, Status
from conformance.reporting import write_reports
from conformance.scrub import MIN_SECRET
from conformance.targets import Auth, HttpSettings
from conformance.transports.http import HttpTransport
from tests.security.echo_peer import EchoPeer
from tests.security.leaks import expand, leaks
from tests.servers import serve_app

# Characters that some rendering escapes: JSON (" \ /), HTML and XML (& < > ' "), URLs (% + = ? # space).
AWKWARD = "\"\\/<>&'%+=?#:;@ ~!$*()[]{}|^`,"
PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"
WIDE = "éü漢字😀ßЖ"  # only where the credential is not sent as a raw header (Basic and form fields)


def secret(rng: random.Random, length: int, wide: bool, user: bool = False) -> str:
    awkward = AWKWARD.replace(":", "") if user else AWKWARD  # a Basic user name cannot hold ":"
    alphabet = PLAIN + awkward + (WIDE if wide else "")
    chars = [rng.choice(awkward)] + [rng.choice(alphabet) for _ in range(length - 1)]
    if wide and length > 4:
        chars[-1] = rng.choice(WIDE)
    rng.shuffle(chars)
    return "".join(chars).strip(" ").rjust(length, "x")  # a header value cannot start or end with a space


# (auth type, lengths of: token or user/password, client secret, expired token). Four whole runs
# through the CLI; every length from 4 to 64 is covered in process below, against the same peer.
RUNS = [
    ("bearer", (4, 0), 5, 6),
    ("basic", (4, 7), 64, 8),
    ("bearer", (64, 0), 31, 4),
    ("basic", (33, 64), 16, 47),
]
TOKEN = "issued-" + "Zq9/+_x" * 6  # what /token hands out: learnt only at run time


@pytest.fixture(scope="module")
def peer() -> Iterator[str]:
    with serve_app(EchoPeer(TOKEN)) as url:
        yield url


def target_file(tmp_path: Path, url: str, kind: str) -> Path:
    auth = ('type = "bearer"\ntoken_env = "ECHO_TOKEN"' if kind == "bearer"
            else 'type = "basic"\nusername_env = "ECHO_USER"\npassword_env = "ECHO_PASS"')
    path = tmp_path / "target.toml"
    path.write_text(f"""
name = "echo peer"
sandbox = true

[organisation]
ods_code = "ECHO1"
name = "Echo Trust"
kind = "provider"

[endpoints]
fhir = "{url}/fhir"
api = "{url}"
openapi = "{url}/openapi.json"

[auth]
{auth}

[api]
max_cases = 2
time_budget = 3
rate_limit_probe = 2
protected = "/things"

[oauth]
token_endpoint = "{url}/token"
client_id = "harness-client"
client_secret_env = "ECHO_CLIENT_SECRET"
expired_token_env = "ECHO_EXPIRED"
scopes = "things.read"
smart_fhir = "{url}/fhir"

[http]
read_timeout = 5
""")
    return path


def outputs(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """Every file the run and the export left (reports, TestReport, pack, any journal), named, and every
    store row with its blobs decompressed."""
    assert (tmp_path / "testreport.json").is_file() and (tmp_path / "run.pack").is_file()
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path.name not in ("store.db", "target.toml"):
            yield str(path.relative_to(tmp_path)), path.read_bytes()
    yield "store file", (tmp_path / "store.db").read_bytes()
    with sqlite3.connect(tmp_path / "store.db") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    data = expand(value) if isinstance(value, bytes) else str(value).encode()
                    yield f"store {table}", data


@pytest.mark.parametrize(("kind", "lengths", "client_len", "expired_len"), RUNS)
def test_no_encoding_of_any_secret_reaches_any_output(
    peer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    kind: str, lengths: tuple[int, int], client_len: int, expired_len: int,
) -> None:
    rng = random.Random(f"{kind}{lengths}")
    wide = kind == "basic"
    env = {"ECHO_CLIENT_SECRET": secret(rng, client_len, True), "ECHO_EXPIRED": secret(rng, expired_len, False)}
    if kind == "bearer":
        env["ECHO_TOKEN"] = secret(rng, lengths[0], False)
    else:
        env["ECHO_USER"] = secret(rng, lengths[0], wide, user=True)
        env["ECHO_PASS"] = secret(rng, lengths[1], wide)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    runner = CliRunner()
    run = runner.invoke(main, ["run", "--target", str(target_file(tmp_path, peer, kind)), "--suite", "fhir-rest",
                               "--suite", "openapi", "--suite", "security", "--out", str(tmp_path / "out"),
                               "--testreport", str(tmp_path / "testreport.json"), "--store", store, "-v"])
    assert run.exit_code in (0, 1), run.output
    assert "Traceback" not in run.output
    run_id = re.search(r"\d{8}T\d{6}Z-[0-9a-f]{6}", (tmp_path / "out" / "report.json").read_text()).group()
    export = runner.invoke(main, ["evidence", "export", run_id, "-o", str(tmp_path / "run.pack"), "--store", store])
    assert export.exit_code == 0, export.output
    secrets = [*env.values(), TOKEN]
    found = {name: leaks(data, secrets) for name, data in [*outputs(tmp_path), ("console", run.output.encode()),
                                                           ("export console", export.output.encode())]}
    assert not {name: hits for name, hits in found.items() if hits}
    # The peer did echo them: the evidence holds the exchanges, redacted.
    assert b"[redacted]" in (tmp_path / "out" / "report.json").read_bytes()


async def _exchanges(url: str, monkeypatch: pytest.MonkeyPatch, secrets: list[str]) -> list[CheckResult]:
    """One check per length, each with its bearer and its Basic exchange with the echo peer."""
    rng = random.Random("every length")
    checks = []
    for length in range(MIN_SECRET, 65):
        token, user, password = (secret(rng, length, False), secret(rng, length, True, user=True),
                                 secret(rng, length, True))
        secrets += [token, user, password]
        monkeypatch.setenv("LEN_TOKEN", token)
        monkeypatch.setenv("LEN_USER", user)
        monkeypatch.setenv("LEN_PASS", password)
        with collecting() as evidence:
            for auth in (Auth(type="bearer", token_env="LEN_TOKEN"),
                         Auth(type="basic", username_env="LEN_USER", password_env="LEN_PASS")):
                http = HttpTransport(HttpSettings(evidence_body_bytes=5_000, verify_tls=False), auth)
                try:  # the body is cut at 5,000 bytes: some echo is cut through the middle of a secret
                    await http.request("POST", f"{url}/fhir/Patient?q={quote(password)}", content=password.encode())
                finally:
                    await http.aclose()
        # A check that quotes what it was sent, as a careless one might.
        checks.append(CheckResult(id=f"echo.length.{length}", suite="echo", title=f"length {length}",
                                  status=Status.FAIL, required=True, requirements=[], capabilities=[],
                                  message=f"the server echoed {token} and {password}"[:60] + "…",
                                  evidence=evidence, metrics={"echoed": [token, user]}))
    return checks


async def test_every_length_every_output_in_process(peer: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    secrets: list[str] = [TOKEN]
    checks = await _exchanges(peer, monkeypatch, secrets)
    info = RunInfo(id="20260101T000000Z-abcdef", started="2026-01-01T00:00:00Z", harness_version="test",
                   target={"name": "echo", "organisation": {"ods_code": "ECHO2"}, "endpoints": {"fhir": peer}},
                   finished="2026-01-01T00:00:01Z", suites=["echo"])
    result = RunResult(run=info, results=checks)
    assert any(s in json.dumps(result.to_dict()) for s in secrets)  # unscrubbed until it is written
    write_reports(result, tmp_path / "out", testreport_path=tmp_path / "testreport.json")
    with EvidenceStore(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.start_run(info)
        store.finish_run(result)
        store.export(info.id, tmp_path / "run.pack")
    found = {name: leaks(data, secrets) for name, data in outputs(tmp_path)}
    assert not {name: hits for name, hits in found.items() if hits}
