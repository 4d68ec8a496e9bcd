"""Model files and the files users give: every problem named with file, line/key and column; nothing partial."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conformance.maturity.demo import load_demo
from conformance.maturity.inputs import InputError, read_assessments, read_footprints, read_organisations
from conformance.maturity.model import MODEL_DIR, ModelError, load_model

MODEL = load_model()


def test_demo_data_loads_and_is_synthetic() -> None:
    orgs, footprints, claims = load_demo(model=MODEL)
    assert {o.ods_code for o in orgs} == {"X26", "XCCG1", "XCOM1", "XLA01"}
    assert footprints[0].members == ("XCCG1", "X26", "XCOM1", "XLA01")
    assert {c.capability for c in claims} <= set(MODEL.capabilities)


@pytest.mark.parametrize(("text", "words"), [
    ("ods_code,capability,claim\nX26,uc-e-referral,met\n", ":1: missing column(s) assessed_on"),
    ("ods_code,capability,claim,assessed_on\nNOPE1,uc-e-referral,met,2026-01-01\n", ":2: ods_code: unknown"),
    ("ods_code,capability,claim,assessed_on\nX26,uc-nothing,met,2026-01-01\n", ":2: capability: unknown"),
    ("ods_code,capability,claim,assessed_on\nX26,uc-e-referral,mostly,2026-01-01\n", ":2: claim:"),
    ("ods_code,capability,claim,assessed_on\nX26,uc-e-referral,met,1/1/2026\n", ":2: assessed_on:"),
    ("ods_code,capability,claim,assessed_on\n", "no rows"),
])
def test_bad_assessment_csv(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "a.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=None) as caught:
        read_assessments(path, {"X26"}, MODEL)
    assert str(caught.value).startswith(str(path)) and words in str(caught.value)


def test_bad_organisations_and_footprints(tmp_path: Path) -> None:
    orgs = tmp_path / "o.csv"
    orgs.write_text("ods_code,name,kind\nx 1,Bad,provider\n")
    with pytest.raises(InputError, match="ods_code: 'x 1' is not an ODS-style code"):
        read_organisations(orgs)
    orgs.write_text("ods_code,name,kind\nX26,Trust,hospital\n")
    with pytest.raises(InputError, match="kind: 'hospital'"):
        read_organisations(orgs)
    fp = tmp_path / "f.toml"
    fp.write_text('[footprints.F1]\nname = "F"\nmembers = ["X26", "NOPE1"]\n')
    with pytest.raises(InputError, match="unknown organisation 'NOPE1'"):
        read_footprints(fp, {"X26"})


@pytest.mark.parametrize(("file", "old", "new", "words"), [
    ("capabilities.toml", 'requirements = ["gs1"]', 'requirements = ["gs2"]', "unknown requirement 'gs2'"),
    ("capabilities.toml", "[requirements.gs1]\n", "[requirements.gs1]\nweight = 3\n", "requirements.gs1.weight"),
    ("roadmap.toml", '"uc-open-apis", "uc-medicines-devices-gs1"]', '"uc-nope"]', "unknown capability 'uc-nope'"),
    ("roadmap.toml", 'target_date = "2021-03-31"', 'target_date = "March 2021"', "not a date"),
    ("scoring.toml", "expires_after_days = 365", "expires_after_days = -1", "expires_after_days"),
    ("scoring.toml", '"met" = ["not met", "partly met"]', '"met" = ["nope"]', "audit.met"),
])
def test_model_errors_name_the_file_and_key(tmp_path: Path, file: str, old: str, new: str, words: str) -> None:
    model_dir = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model_dir)
    text = (model_dir / file).read_text()
    assert old in text
    (model_dir / file).write_text(text.replace(old, new, 1))
    with pytest.raises(ModelError) as caught:
        load_model(model_dir)
    assert str(caught.value).startswith(str(model_dir / file)) and words in str(caught.value)


def test_every_capability_maps_to_real_or_planned_check_ids() -> None:
    from conformance.runner import load_suites

    ids = [c.id for c in load_suites().all_checks()]
    for requirement in MODEL.requirements.values():
        covered = [i for i in ids if requirement.covers(i)]
        assert covered, requirement.id
