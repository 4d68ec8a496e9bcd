"""A campaign file is read like a target file: unknown keys refused, one line naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.campaign.spec import CampaignError, load_campaign
from conformance.errors import EXIT_USAGE, exit_code

TARGET = """sandbox = true
footprint = "North"
[organisation]
ods_code = "RX1"
name = "Trust"
kind = "provider"
[endpoints]
fhir = "http://127.0.0.1:9/fhir"
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "targets").mkdir()
    (tmp_path / "targets" / "a.toml").write_text(TARGET)
    return tmp_path


def campaign(folder: Path, text: str) -> Path:
    path = folder / "c.toml"
    path.write_text(text)
    return path


def test_a_good_file_reads_with_its_limits_and_filters(folder: Path) -> None:
    c = load_campaign(campaign(folder, 'name = "n"\ntargets = ["targets/*.toml"]\nfootprints = ["North"]\n'
                                       "[limits]\nper_host = 2\nbackoff = 0.5\n"))
    assert c.name == "n" and list(c.targets) == ["targets/a.toml"]
    assert c.limits.per_host == 2 and c.limits.backoff == 0.5 and c.limits.concurrency == 32


@pytest.mark.parametrize(("text", "key", "why"), [
    ('targets = ["targets/*.toml"]\n', "name", "missing"),
    ('name = "n"\ntargets = ["targets/*.toml"]\nsuite = ["fhir-rest"]\n', "suite", "unknown key"),
    ('name = "n"\ntargets = ["targets/*.toml"]\n[limits]\nper_host = 0\n', "limits.per_host", "whole number"),
    ('name = "n"\ntargets = ["targets/*.toml"]\n[limits]\nper_hots = 2\n', "limits.per_hots", "unknown key"),
    ('name = "n"\ntargets = ["targets/*.toml"]\nschedule = "daily"\n', "schedule", "cron"),
    ('name = "n"\ntargets = "targets/*.toml"\n', "targets", "list of strings"),
    ('name = "n"\ntargets = ["targets/*.toml"]\nfootprints = ["South"]\n', "targets", "no target file matches"),
])
def test_bad_input_is_one_line_naming_file_and_key(folder: Path, text: str, key: str, why: str) -> None:
    path = campaign(folder, text)
    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ") and why in message and "\n" not in message
    assert exit_code(caught.value) == EXIT_USAGE


def test_workers_without_celery_installed_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from click.testing import CliRunner

    from conformance.cli import main

    monkeypatch.setitem(sys.modules, "celery", None)  # as if not installed: importing it raises
    monkeypatch.delitem(sys.modules, "conformance.campaign.worker", raising=False)
    result = CliRunner().invoke(main, ["worker", "--broker", "redis://127.0.0.1:9/0", "--store", "sqlite://"])
    assert result.exit_code == EXIT_USAGE and "conformance[campaign]" in result.output
    assert "Traceback" not in result.output
