"""The final scrub over every rendered output (issue 18 part 3): after escaping, pretty-printing and
cutting, in report files, MLLP evidence and the console, no form of a secret remains."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from conformance.evidence.capture import collecting
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.reporting import write_reports
from conformance.reporting.common import one_line
from conformance.scrub import MIN_SECRET, REDACTED, RUN, Scrubber, ScrubbingStream, register
from conformance.transports.mllp import MllpClient, MllpSettings
from tests.security.leaks import leaks

AWKWARD = st.characters(min_codepoint=32, max_codepoint=0x1F600, exclude_categories=("Cs", "Cc", "Zl", "Zp"))
secrets_ = st.text(AWKWARD, min_size=MIN_SECRET, max_size=64).filter(lambda s: s.strip() == s and s.isprintable())


def _mixed(secret: str) -> str:
    """The secret as a JSON string's contents, every other character as \\uXXXX and / as \\/."""
    return "".join(json.dumps(c)[1:-1] if i % 2 else json.dumps(c, ensure_ascii=False)[1:-1].replace("/", "\\/")
                   for i, c in enumerate(secret))


def _result(secret: str) -> RunResult:
    body = '{"resourceType": "OperationOutcome", "echo": "' + _mixed(secret) + '"}'
    evidence = Evidence("http", f"GET /x?t={secret}", {"response": {"status": 400, "body": body,
                                                                      "headers": {"x-echo": secret}}})
    check = CheckResult(id="echo.check", suite="echo", title="echo", status=Status.FAIL, required=True,
                        requirements=[], capabilities=[], message=f"server said {secret!r} " + secret * 9,
                        evidence=[evidence], metrics={"seen": secret})
    info = RunInfo(id="20260101T000000Z-abcdef", started="2026-01-01T00:00:00Z", harness_version="t",
                   target={"name": secret, "endpoints": {}})
    return RunResult(run=info, results=[check])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=secrets_)
def test_reports_hold_no_form_of_a_secret_after_rendering(tmp_path: Path, secret: str) -> None:
    RUN.reset()
    register(secret)
    written = write_reports(_result(secret), tmp_path / "out", testreport_path=tmp_path / "testreport.json")
    assert len(written) == 4
    for path in written.values():
        data = path.read_bytes()
        assert not leaks(data, [secret]), path.name
        assert REDACTED.encode() in data
    json.loads((tmp_path / "out" / "report.json").read_text())  # the final pass keeps the JSON valid


@settings(max_examples=50, deadline=None)
@given(secret=secrets_, before=st.text(max_size=5))
def test_a_cut_or_an_ellipsis_never_leaves_a_secrets_start(secret: str, before: str) -> None:
    scrubber = Scrubber([secret])
    for size in range(MIN_SECRET, len(secret)):
        kept = scrubber.text(before + secret[:size], cut=True)
        assert not kept.endswith(secret[:size]), (size, kept)
        shown = scrubber.text(one_line(before + secret[:size] + "…"))
        assert secret[:size] + "…" not in shown


def test_a_secret_quoted_by_an_exception_message_is_scrubbed() -> None:
    secret = "a'b\"c\\d-é"
    scrubber = Scrubber([secret])
    for message in (f"bad value {secret!r}", f"bad header {('Bearer ' + secret).encode()!r}"):
        assert not leaks(scrubber.text(message).encode(), [secret]) and "Bearer" not in secret


async def test_mllp_frames_are_scrubbed_even_when_cut_through_a_secret() -> None:
    secret = "hl7-pässword/123"
    register(secret)

    async def echo(message: bytes) -> bytes:
        return message

    for keep in (40, 45, 1000):  # the evidence keeps 40 or 45 characters: the cut goes through the secret
        client = await MllpClient.linked(echo, MllpSettings(evidence_text_bytes=keep))
        try:
            with collecting() as evidence:
                await client.send(f"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5.1\rPID|1||{secret}".encode())
        finally:
            await client.aclose()
        assert len(evidence) == 2
        for item in evidence:
            assert not leaks(json.dumps(item.to_dict()), [secret])
            assert not item.data["text"].endswith(secret[:MIN_SECRET])


def test_the_console_stream_is_scrubbed() -> None:
    register("console-secret-42")
    buffer = io.StringIO()
    console = Console(file=ScrubbingStream(buffer), width=120)  # type: ignore[arg-type]
    console.print("token console-secret-42 and Y29uc29sZS1zZWNyZXQtNDI=")
    assert "console-secret-42" not in buffer.getvalue() and REDACTED in buffer.getvalue()
    assert not leaks(buffer.getvalue(), ["console-secret-42"])


def test_a_token_obtained_at_run_time_joins_the_run_set() -> None:
    from conformance.auth.client import protect
    from conformance.transports.http import HttpTransport

    http = HttpTransport()
    protect(http, "issued-at-run-time-token")
    assert "issued-at-run-time-token" in RUN.plain
    assert REDACTED in http.scrubber.text("echo: aXNzdWVkLWF0LXJ1bi10aW1lLXRva2Vu")


@pytest.mark.parametrize("value", [" tok3n-lead", "tok3n-trail ", "tok3n\tin", "tok3n-naïve"])
def test_a_bearer_token_no_header_can_carry_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.targets import TargetError, check_credentials, from_url

    target = from_url("http://127.0.0.1:9/fhir")
    target.auth.type, target.auth.token_env = "bearer", "ODD_TOKEN"
    monkeypatch.setenv("ODD_TOKEN", value)
    with pytest.raises(TargetError) as caught:
        check_credentials(target)
    assert "header" in str(caught.value) and value not in str(caught.value)


def test_a_console_that_wraps_a_long_message_never_shows_a_secret_split_across_lines() -> None:
    from conformance.reporting.console import print_summary

    secret = "wrapped-secret-" + "x9/" * 15
    register(secret)
    buffer = io.StringIO()
    print_summary(Console(file=ScrubbingStream(buffer), width=40), _result(secret), None)  # type: ignore[arg-type]
    joined = "".join(buffer.getvalue().split())  # the lines as one, wrapping and indentation undone
    assert "Required checks that failed" in buffer.getvalue()
    assert secret not in joined and secret[:20] not in joined


@pytest.mark.parametrize(("section", "key", "url"), [
    ("oauth", "token_endpoint", "https://harness:s3cret-pw@auth.example.test/token"),
    ("realtime", "b", "http://u:s3cret-pw@127.0.0.1:9/fhir-b"),
    ("hl7v2", "trigger", "http://s3cret-pw@127.0.0.1:9/send"),
    ("endpoints", "mllp", "mllp://u:s3cret-pw@127.0.0.1:2575"),
])
def test_userinfo_in_any_url_of_a_target_file_is_refused(tmp_path: Path, section: str, key: str, url: str) -> None:
    from conformance.targets import TargetError, load

    path = tmp_path / "target.toml"
    path.write_text('name = "t"\n\n[endpoints]\nfhir = "http://127.0.0.1:9/fhir"\n' +
                    (f'{key} = "{url}"\n' if section == "endpoints" else f'\n[{section}]\n{key} = "{url}"\n'))
    with pytest.raises(TargetError) as caught:
        load(path)
    assert "s3cret-pw" not in str(caught.value) and f"{section}.{key}" in str(caught.value)
    assert "user name or password" in str(caught.value)
