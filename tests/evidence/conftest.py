"""Evidence tests never pick up a signing key from the machine: each names its own, or has none."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def no_operator_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFORMANCE_SIGNING_KEY", str(tmp_path / "no-key-here.pem"))
