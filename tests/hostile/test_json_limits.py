"""Every reader of outside JSON (and YAML) stays within safejson's limits and says so in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.openapi.document import DocumentBeyondLimit, DocumentError, parse
from conformance.realtime.notifications import problems, read

DEEP_JSON = b"[" * 1200 + b"]" * 1200
DEEP_YAML = "".join("  " * n + "a:\n" for n in range(300)).encode() + b"  " * 300 + b"b: 1\n"
HUGE_YAML_INT = b"openapi: 3.0.0\ncount: " + b"9" * 5000 + b"\n"


@pytest.mark.parametrize(("content", "words"), [(DEEP_JSON, "nested"), (DEEP_YAML, "nested"),
                                                (HUGE_YAML_INT, "digits"),
                                                (b"[" * 100_000 + b"]" * 100_000, "nested")])
def test_openapi_documents_past_the_limits_are_refused_in_one_line(content: bytes, words: str) -> None:
    with pytest.raises(DocumentBeyondLimit) as caught:
        parse(content, "doc.yaml")
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_an_ordinary_yaml_document_still_parses() -> None:
    assert parse(b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n", "ok.yaml")["openapi"] == "3.0.3"
    with pytest.raises(DocumentError) as caught:
        parse(b"openapi: [", "broken.yaml")
    assert not isinstance(caught.value, DocumentBeyondLimit)


def test_a_notification_past_the_limits_is_unread_not_misjudged() -> None:
    note = read(DEEP_JSON, 0.0, "0" * 64)
    assert note.unread and "nested" in note.error
    assert read(b"not json", 0.0, "0" * 64).unread is False
    assert problems(note) == [note.error]


@pytest.mark.parametrize("content", [DEEP_JSON, b"[" * 100_000 + b"]" * 100_000,
                                     b'{"format": ' + b"9" * 5000 + b"}"])
def test_evidence_verify_of_a_hostile_pack_is_one_line_and_exit_1(tmp_path: Path, content: bytes) -> None:
    pack = tmp_path / "hostile.pack"
    pack.write_bytes(content)
    result = CliRunner().invoke(main, ["evidence", "verify", str(pack)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "not a readable evidence pack" in result.output


@pytest.mark.parametrize("content", [DEEP_JSON, b"[" * 100_000 + b"]" * 100_000])
def test_reading_a_hostile_report_json_is_a_report_error(tmp_path: Path, content: bytes) -> None:
    from conformance.reporting import ReportError
    from conformance.reporting.json_report import read_json

    path = tmp_path / "report.json"
    path.write_bytes(content)
    with pytest.raises(ReportError, match="not a JSON report"):
        read_json(path)
