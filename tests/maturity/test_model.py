"""The capability model files: the shipped model's content, and every way a user's copy can be wrong
(each a ModelError naming the file and the key, from a model directory the user gives)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conformance.maturity.model import MODEL_DIR, ModelError, check_glob, load_model

MODEL = load_model()


def test_shipped_model_has_the_universal_capabilities_and_maturity_sections() -> None:
    universal = {c.id for c in MODEL.capabilities.values() if c.universal}
    assert {"uc-gp-record-access", "uc-ue-care-gp-record", "uc-patient-record-access", "uc-patient-online-services",
            "uc-e-referral", "uc-discharge-summaries", "uc-social-care-notifications", "uc-end-of-life",
            "uc-child-protection", "uc-paper-free-communication", "uc-orders-results"} <= universal
    assert set(MODEL.sections) == {"readiness", "capabilities", "infrastructure"}
    assert {t.section for t in MODEL.themes.values()} == set(MODEL.sections)
    assert {"records", "transfers", "orders", "medicines", "decision", "remote", "assets", "intelligence"} <= {
        t.id for t in MODEL.themes.values() if t.section == "capabilities"}
    standards = {r.standard for r in MODEL.requirements.values()}
    assert {"FHIR R4 REST", "UK Core profiles", "HL7 v2 ADT", "HL7 v2 ORU/ORM", "GS1", "Open APIs"} <= standards
    roadmap_ids = {m.id for m in MODEL.milestones.values()}
    assert {"paper-free-primary-ue-2018", "paper-free-point-of-care-2020"} <= roadmap_ids
    assert MODEL.milestones["paper-free-point-of-care-2020"].target_date == "2020-03-31"


def test_requirements_match_the_real_check_ids() -> None:
    from conformance.runner import load_suites

    ids = [c.id for c in load_suites().all_checks()]
    for requirement in MODEL.requirements.values():
        for pattern in requirement.checks:
            one = type(requirement)(requirement.id, requirement.title, (pattern,))
            assert any(one.covers(i) for i in ids), (requirement.id, pattern)
    assert MODEL.requirements["uk-core"].covers("fhir-profiles.claimed.valid")
    assert MODEL.requirements["hl7v2-adt-in"].covers("hl7v2-receiver.accept.adt-a01")
    assert not MODEL.requirements["hl7v2-adt-in"].covers("hl7v2-receiver.accept.oru-r01")
    assert MODEL.requirements["hl7v2-results"].covers("hl7v2-receiver.accept.oru-r01")


@pytest.mark.parametrize(("pattern", "words"), [
    ("gs1.*", None), ("hl7v2-receiver.accept.adt-a0[1-4]", None), ("realtime*", None),
    ("GS1.*", "characters"), ("gs1. *", "characters"), ("gs1.[a-", "unclosed"), ("gs1.a]b[", "unbalanced"),
    ("gs1", "did you mean 'gs1.*'"),
])
def test_check_globs(pattern: str, words: str | None) -> None:
    problem = check_glob(pattern)
    assert (problem is None) if words is None else (problem is not None and words in problem)


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    model_dir = tmp_path / "model"
    shutil.copytree(MODEL_DIR, model_dir)
    text = (model_dir / file).read_text()
    assert old in text, old
    (model_dir / file).write_text(text.replace(old, new, 1))
    return model_dir


@pytest.mark.parametrize(("file", "old", "new", "words"), [
    ("capabilities.toml", 'checks = ["gs1.*"]', 'checks = ["gs1"]', "requirements.gs1.checks: 'gs1' names no group"),
    ("capabilities.toml", 'checks = ["gs1.*"]', 'checks = ["gs1.[x"]',
     "requirements.gs1.checks: 'gs1.[x' has an unclosed"),
    ("capabilities.toml", 'checks = ["gs1.*"]', "checks = []", "requirements.gs1.checks: must be a non-empty list"),
    ("capabilities.toml", '[sections]', '[section]', "section: unknown key"),
    ("capabilities.toml", 'section = "readiness"', 'section = "spirit"', "themes.governance.section: unknown section"),
    ("capabilities.toml", 'themes = ["governance"]', 'themes = ["vibes"]', "capabilities.uc-information-governance"
                                                                          ".themes: unknown theme 'vibes'"),
    ("capabilities.toml", 'requirements = ["gs1"]', 'requirements = ["gs1", "gs1"]', "'gs1' is listed twice"),
    ("capabilities.toml", '"medicines"]\nuniversal = true', '"medicines"]\nuniversal = "yes"',
     "uc-gp-record-access.universal"),
    ("capabilities.toml", "[capabilities.uc-e-referral]", "[capabilities.UC_Referral]", "is not an id"),
    ("capabilities.toml", 'title = "GPs can refer', 'title = ""\nx = "', "capabilities.uc-e-referral.x: unknown key"),
    ("scoring.toml", 'skip_counts_as = "not-run"', 'skip_counts_as = "ignore"', "skip_counts_as: must be"),
    ("scoring.toml", "partly_met_threshold = 0.5", "partly_met_threshold = 1.5", "partly_met_threshold"),
    ("scoring.toml", "partly_met_if_any_required_passed = false", "partly_met_if_any_required_passed = 1",
     "partly_met_if_any_required_passed"),
    ("scoring.toml", 'on_track_statuses = ["partly met"]', 'on_track_statuses = ["met"]', "roadmap.on_track_statuses"),
    ("scoring.toml", '"not met" = ["met"]', '"maybe" = ["met"]', "audit.maybe: unknown key"),
    ("scoring.toml", '"not met" = ["met"]', '"not met" = ["not met"]', "audit.not met: a claim cannot"),
    ("scoring.toml", "expires_after_days = 365", "expire_after_days = 365", "expire_after_days: unknown key"),
    ("roadmap.toml", '"uc-orders-results"]', '"uc-orders-result"]', "milestones.paper-free-point-of-care-2020"
                                                                    ".capabilities: unknown capability"),
    ("roadmap.toml", 'target_date = "2018-03-31"', "target_date = 2018", "target_date: 2018 is not a date"),
    ("roadmap.toml", "[milestones.paper-free-primary-ue-2018]", "[milestone.x]", "milestone: unknown key"),
])
def test_model_errors_name_the_file_and_key(tmp_path: Path, file: str, old: str, new: str, words: str) -> None:
    model_dir = _broken(tmp_path, file, old, new)
    with pytest.raises(ModelError) as caught:
        load_model(model_dir)
    assert str(caught.value).startswith(f"{model_dir / file}: ") and words in str(caught.value)


def test_a_user_given_model_directory(tmp_path: Path) -> None:
    model_dir = _broken(tmp_path, "roadmap.toml", 'target_date = "2021-03-31"', "target_date = 2030-01-01")
    assert load_model(str(model_dir)).milestones["open-apis-gs1-2021"].target_date == "2030-01-01"
    with pytest.raises(ModelError, match="not a directory"):
        load_model(tmp_path / "nowhere")
    (model_dir / "scoring.toml").unlink()
    with pytest.raises(ModelError, match=r"scoring\.toml: no such file"):
        load_model(model_dir)
    (model_dir / "scoring.toml").write_text("expires_after_days = [")
    with pytest.raises(ModelError, match="not valid TOML"):
        load_model(model_dir)


def test_theme_shorthand_is_a_title_in_the_capabilities_section(tmp_path: Path) -> None:
    model_dir = _broken(tmp_path, "capabilities.toml", '[themes.records]\ntitle = "Records, assessments and plans"\n'
                        'section = "capabilities"', '[themes]\nrecords = "Records"')
    theme = load_model(model_dir).themes["records"]
    assert (theme.title, theme.section) == ("Records", "capabilities")
