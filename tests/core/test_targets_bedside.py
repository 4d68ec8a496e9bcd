"""The ``[bedside]`` target section: declared eMAR and override policy, one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.targets import TargetError, load

BASE = '[endpoints]\nfhir = "https://fhir.example.test/r4"\n'


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "target.toml"
    p.write_text(BASE + text)
    return p


def test_defaults_declare_no_bedside_capability(tmp_path: Path) -> None:
    t = load(write(tmp_path, ""))
    assert (t.bedside.emar, t.bedside.override_policy) == (False, "refuse")


def test_declared_emar_and_policy_load(tmp_path: Path) -> None:
    t = load(write(tmp_path, '[bedside]\nemar = true\noverride_policy = "record-with-reason"\n'))
    assert (t.bedside.emar, t.bedside.override_policy) == (True, "record-with-reason")


@pytest.mark.parametrize(("text", "key"), [
    ('[bedside]\nemar = "yes"\n', "bedside.emar"),
    ('[bedside]\nemar = true\noverride_policy = "sometimes"\n', "bedside.override_policy"),
    ("[bedside]\noverride_policy = 3\n", "bedside.override_policy"),
    ("[bedside]\nemr = true\n", "bedside.emr"),
    ("bedside = true\n", "bedside"),
])
def test_wrong_bedside_section_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text) if not text.startswith("bedside =") else tmp_path / "t.toml"
    if text.startswith("bedside ="):
        path.write_text(text + BASE)
    with pytest.raises(TargetError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}:"), message
    assert "\n" not in message
