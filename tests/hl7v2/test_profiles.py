"""Message profiles: every shipped one loads; a mistake in a profile names its file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.hl7v2 import ProfileError, load_profile
from conformance.hl7v2.profile import PROFILE_DIR

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hl7v2"


@pytest.mark.parametrize("path", sorted(PROFILE_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_profiles_load(path: Path) -> None:
    profile = load_profile(path.stem)
    assert profile.id == path.stem and profile.statements  # every one inherits the NHS number statement


def test_extends_merges_key_by_key() -> None:
    a28 = load_profile("nhs-adt-a28")
    assert a28.fields["PV1"]["2"].values == ("N",) and a28.fields["PV1"]["3"].usage == "X"
    assert a28.fields["MSH"]["11"].values == ("P", "T")  # from nhs-base


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('id = "x"\nmessage = "ADT^A01"\n[fields.PID]\n3 = { usage = "Q" }', "fields.PID.3: usage: one of R, RE"),
        ('id = "x"\nmessage = "ADT-A01"', "message: 'ADT-A01' is not CODE^EVENT"),
        ('message = "ADT^A01"', "id: required"),
        ('id = "x"\nmessage = "ADT^A01"\n[fields.PID]\n"3.x" = { usage = "R" }', "fields.PID.3.x: key must be"),
        ('id = "x"\nmessage = "ADT^A01"\n[fields.PID]\n8 = { colour = "R" }', "fields.PID.8: unknown key 'colour'"),
        ('id = "x"\nmessage = "ADT^A01"\n[fields.PV1]\n3 = { usage = "C" }', "fields.PV1.3: usage C needs a condition"),
        ('id = "x"\nmessage = "ADT^A01"\n[fields.PID]\n3 = { min = 3, max = 2 }', "min 3 is more than max 2"),
        ('id = "x"\nmessage = "ADT^A01"\nextends = "missing"', "extends: no profile 'missing'"),
        ('id = "x"\nmessage = "ADT^A01"\nsegments = [{ name = "pid" }]', "segments[0]: name"),
        ('id = "x"\nmessage = "ADT^A01"\n[[statements]]\nid = "s"\ndescription = "d"\nfield = "PID-3"\n'
         'check = { 1 = "nhs-numbr" }', "check.1: unknown format 'nhs-numbr'"),
        ('id = "x"\nmessage = ', "not valid TOML"),
    ],
)
def test_profile_errors_name_file_and_key(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_cli_exit_codes_and_json() -> None:
    runner = CliRunner()
    valid = str(FIXTURES / "valid" / "adt_a01.hl7")
    broken = str(FIXTURES / "broken" / "sex_not_in_value_set.hl7")
    ok = runner.invoke(main, ["validate", "hl7v2", valid, "--profile", "nhs-adt-a01"])
    assert ok.exit_code == 0 and "valid: ADT^A01 v2.5.1 against profile nhs-adt-a01" in ok.output
    bad = runner.invoke(main, ["validate", "hl7v2", valid, broken, "--profile", "nhs-adt-a01", "--json"])
    assert bad.exit_code == 1
    rows = json.loads(bad.output)
    assert [r["id"] for r in rows] == [valid, broken] and all(r["resourceType"] == "OperationOutcome" for r in rows)
    assert rows[1]["issue"][0]["expression"] == ["PID-8"]
    single = runner.invoke(main, ["validate", "hl7v2", broken, "--profile", "nhs-adt-a01", "--json"])
    assert json.loads(single.output)["issue"][0]["severity"] == "error"
    assert runner.invoke(main, ["validate", "hl7v2", valid, "--profile", "nope"]).exit_code == 2
    assert runner.invoke(main, ["validate", "hl7v2", "no-such-file.hl7"]).exit_code == 2
