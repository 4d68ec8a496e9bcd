"""`conformance serve` signs attestations with the operator's key, read when it starts: a broken key
file stops it with exit 2 and a sentence, before it listens (issue 22)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main


def test_serve_with_a_broken_signing_key_stops_before_listening(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "signing-key.pem"
    broken.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    monkeypatch.setenv("CONFORMANCE_SIGNING_KEY", str(broken))
    result = CliRunner().invoke(main, ["serve", "--store", f"sqlite:///{tmp_path / 'c.db'}", "--port", "0"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "serving" not in result.output
