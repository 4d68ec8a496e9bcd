"""Issue 18: nothing but reads reaches a target not marked as a sandbox, whatever the protocol.

The built-in sandbox (FHIR, FHIR endpoint B, booking API, OAuth2 server, SMART view, HL7 v2 trigger;
MLLP receiver) is served on loopback behind a layer that logs every HTTP request and every MLLP
message it receives. Every suite runs through the CLI against a target file that declares all of
those endpoints; the logs, not the report, say whether anything that changes data arrived. The same
run with ``sandbox = true`` shows the writes do arrive, so the assertions can fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.sandbox.api import CLIENT_ID, CLIENT_KID, EXPIRED_ENV, KEY_ENV, SECRET_ENV, sandbox_credentials
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.sandbox.hl7v2.server import MllpSandbox
from conformance.sandbox.hl7v2.settings import APPLICATION, FACILITY
from conformance.sandbox.hl7v2_faults import TYPES
from conformance.sandbox.realtime.subscriptions import TOPIC
from conformance.writeguard import READ_METHODS, hl7_processing_id, hl7_type, hl7_writes
from tests.servers import serve_app

FORM = "application/x-www-form-urlencoded"


class LoggedApp:
    """ASGI middleware: every HTTP request's method, path and Content-Type, then the sandbox's answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            self.requests.append((scope["method"], scope["path"], headers.get("content-type", "")))
        await self.app(scope, receive, send)


class LoggedReceiver:
    """The sandbox's MLLP receiver, keeping every message that arrives before it answers."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.messages: list[bytes] = []

    async def handle(self, data: bytes) -> Any:
        self.messages.append(data)
        return await self.inner.handle(data)


@dataclass
class Peers:
    root: str
    mllp: str
    app: LoggedApp
    receiver: LoggedReceiver
    token_path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def writes(self) -> list[str]:
        """Every logged request or message that may change data (token requests and _search excepted)."""
        out = []
        for method, path, content_type in self.app.requests:
            if method in READ_METHODS or (method == "POST" and path.rstrip("/").endswith("/_search")):
                continue
            if method == "POST" and path == self.token_path and content_type.split(";")[0].strip() == FORM:
                continue
            out.append(f"{method} {path}")
        out += [f"MLLP {hl7_type(m) or m[:20]!r}" for m in self.receiver.messages if hl7_writes(m)]
        return out


@pytest.fixture
def peers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Peers]:
    for name, value in sandbox_credentials().items():
        monkeypatch.setenv(name, value)
    faults = parse_faults([])
    app = LoggedApp(create_app(faults))
    mllp = MllpSandbox(faults)
    receiver = LoggedReceiver(mllp.receiver)
    mllp.receiver = receiver  # type: ignore[assignment]  # the listener takes .handle when it starts
    with serve_app(app) as root, mllp:
        config = httpx.get(f"{root}/smart/fhir/.well-known/smart-configuration").json()
        token_path = httpx.URL(config["token_endpoint"]).path
        app.requests.clear()
        yield Peers(root, mllp.address, app, receiver, token_path)


def target_file(tmp_path: Path, peers: Peers, sandbox: bool, hl7v2_extra: str = "") -> Path:
    root = peers.root
    profiles = ", ".join(json.dumps("nhs-" + t.lower().replace("^", "-")) for t in TYPES)
    kinds = ", ".join(json.dumps(t) for t in TYPES)
    path = tmp_path / ("sandbox.toml" if sandbox else "production.toml")
    path.write_text(f"""
name = "loopback peers that log what they receive"
sandbox = {str(sandbox).lower()}

[organisation]
ods_code = "X26"
name = "Synthetic Trust"
kind = "provider"

[endpoints]
fhir = "{root}/fhir"
mllp = "{peers.mllp}"
openapi = "{root}/api/openapi.json"
api = "{root}/api"

[hl7v2]
application = "{APPLICATION}"
facility = "{FACILITY}"
receives = [{kinds}]
sends = [{kinds}]
profiles = [{profiles}]
trigger = "{root}/sandbox/hl7v2/send"
ack_within = 1.0
wait = 5.0
{hl7v2_extra}

[realtime]
a = "{root}/fhir"
b = "{root}/fhir-b"
topic = "{TOPIC}"
heartbeat = 1.0
wait = 3.0
events = 10
rate = 40.0
patients = 2
settle = 1.5
load_rates = [20.0]
load_seconds = 0.5

[api]
max_cases = 3
time_budget = 60

[oauth]
client_id = "{CLIENT_ID}"
client_secret_env = "{SECRET_ENV}"
private_key_env = "{KEY_ENV}"
key_id = "{CLIENT_KID}"
expired_token_env = "{EXPIRED_ENV}"
scopes = "appointments.read appointments.write"
smart_fhir = "{root}/smart/fhir"
""")
    return path


def run_cli(tmp_path: Path, target: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["run", "--target", str(target), "--json", str(out),
                                       "--out", str(tmp_path / "r"), "--store", f"sqlite:///{tmp_path / 'c.db'}",
                                       *extra])
    assert out.exists(), (result.exit_code, result.stderr[-2000:])
    return result.exit_code, json.loads(out.read_text()), result.stderr


def by_status(report: dict[str, Any], status: str) -> dict[str, str]:
    return {r["id"]: r["message"] for r in report["results"] if r["status"] == status}


def test_a_production_target_receives_nothing_but_reads(tmp_path: Path, peers: Peers) -> None:
    code, report, err = run_cli(tmp_path, target_file(tmp_path, peers, sandbox=False))
    assert "Traceback" not in err
    assert peers.writes() == [], "writes reached a target marked sandbox = false"
    # Reads did arrive, over every protocol's endpoint: the run was not simply empty.
    paths = {p for _, p, _ in peers.app.requests}
    assert {"/fhir/metadata", "/fhir-b/metadata", "/api/openapi.json"} <= paths
    assert any(p.startswith("/smart/fhir/") for p in paths) and peers.token_path in paths
    # Writing checks are skipped with the sentence; nothing fails or errs for want of writing, and the
    # transports never had to refuse a write a suite let through.
    skipped = by_status(report, "skip")
    sentence = "not marked sandbox = true"
    for check_id in ("fhir-rest.crud.patient.create", "gs1.medication.create", "realtime.subscription.create",
                     "security.scopes.enforced", "hl7v2-receiver.ack.control-id", "hl7v2-sender.delivery.arrives",
                     "fhir-rest.errors.invalid-resource"):
        assert check_id in skipped, (check_id, report["summary"])
        assert "sandbox = true" in skipped[check_id] or sentence in skipped[check_id], skipped[check_id]
    listed = CliRunner().invoke(main, ["suites", "list", "--json"])
    destructive = {c["id"] for s in json.loads(listed.stdout) for c in s["checks"] if c["destructive"]}
    assert len(destructive) > 30 and destructive <= set(skipped), destructive - set(skipped)
    assert by_status(report, "fail") == {} and by_status(report, "error") == {}, report["summary"]
    assert not any("refused to send" in (r["message"] or "") for r in report["results"])
    assert report["summary"]["pass"] > 20 and code == 0


def test_a_sandbox_target_does_receive_the_writes(tmp_path: Path, peers: Peers) -> None:
    """The same run marked sandbox = true: writes arrive over HTTP and MLLP, so the test above can fail."""
    code, report, err = run_cli(tmp_path, target_file(tmp_path, peers, sandbox=True))
    assert "Traceback" not in err
    writes = peers.writes()
    assert any(w.startswith("POST /fhir/") for w in writes) and any(w.startswith("PUT /fhir/") for w in writes)
    assert any(w.startswith(("DELETE /fhir/", "DELETE /fhir-b/")) for w in writes)
    assert "POST /fhir-b/Subscription" in writes and "POST /sandbox/hl7v2/send" in writes
    assert any(w.startswith(("POST /api/", "PUT /api/", "DELETE /api/", "PATCH /api/")) for w in writes)
    assert any(w.startswith("MLLP 'ADT'") for w in writes)
    assert by_status(report, "fail") == {}, report["summary"]
    assert code == 0


def test_test_messages_only_when_the_target_allows_them(tmp_path: Path, peers: Peers) -> None:
    """hl7v2.allow_test_messages: the receiver suite sends to a non-sandbox, and only with MSH-11 = T."""
    target = target_file(tmp_path, peers, sandbox=False, hl7v2_extra="allow_test_messages = true")
    code, report, err = run_cli(tmp_path, target, "--suite", "hl7v2-receiver")
    assert "Traceback" not in err
    messages = peers.receiver.messages
    assert messages, "no test message was sent"
    assert {hl7_processing_id(m) for m in messages} == {"T"}
    assert [r for r in report["results"] if r["status"] == "pass"]
    assert by_status(report, "fail") == {} and by_status(report, "error") == {}, report["summary"]
    assert not any(w.startswith(("POST", "PUT", "PATCH", "DELETE")) for w in peers.writes())
    assert code == 0
