"""bench/fhir_qa_missed.py on a synthetic qa.txt: HL7's errors read per file, matched to ours, grouped by id."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.fhirval.scripts import load_script

QA = """Demo : Validation Results
=========================================
err = 3, warn = 0, info = 0
IG Publisher Version: 1.6.3
== n/a ==
ERROR: ImplementationGuide.definition.parameter[2].value: Supressed messages file not found
== fsh-generated\\resources\\QuestionnaireResponse-r.json ==
ERROR: QuestionnaireResponse/r: QuestionnaireResponse.item[0]: LinkId 'nope' not found in questionnaire
WARNING: QuestionnaireResponse/r: QuestionnaireResponse.item[0]: something less
== input/resources/Patient-p.json ==
ERROR: Patient/p: Patient.gender.ofType(code): The value provided ('x') was not found in the value set 'G'
"""
MESSAGES = """# comment
Questionnaire_QR_Item_NotFound = LinkId ''{0}'' not found in questionnaire
TERMINOLOGY_TX_WARNING = {0}
Terminology_TX_NotValid = The value provided (''{0}'') was not found in the value set ''{1}''
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench/fhir_qa_missed.py")


def test_reads_resource_files_errors_only(bench: ModuleType) -> None:
    found = bench.read_qa(QA)
    assert [(f, loc) for f, loc, _ in found] == [("QuestionnaireResponse-r.json", "QuestionnaireResponse.item[0]"),
                                                ("Patient-p.json", "Patient.gender.ofType(code)")]


def test_names_the_message_id_and_skips_bare_placeholders(bench: ModuleType) -> None:
    templates = bench.read_templates(MESSAGES)
    assert [k for k, _ in templates] == ["Terminology_TX_NotValid", "Questionnaire_QR_Item_NotFound"]
    assert bench.message_id("LinkId 'a.b' not found in questionnaire", templates) == "Questionnaire_QR_Item_NotFound"
    assert bench.message_id("URL Mismatch a vs b", templates) == "?"


def test_matches_ours_at_the_same_enclosing_or_enclosed_location(bench: ModuleType) -> None:
    hl7 = bench.read_qa(QA)
    ours = [("Patient-p.json", "code-invalid", "Patient.gender", "not in the value set")]
    left = bench.missed(hl7, ours)
    assert [e[0] for e in left] == ["QuestionnaireResponse-r.json"]
    # the same location on another file does not count
    assert len(bench.missed(hl7, [("Other.json", "x", "Patient.gender", "m")])) == 2
    rows = bench.table(left, bench.read_templates(MESSAGES))
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [(1, 1, "Questionnaire_QR_Item_NotFound",
                                                         "LinkId … not found in questionnaire")]


def test_main_counts_a_missed_error(bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """End to end on base R4: a valid Patient HL7 faulted is a missed error; the QuestionnaireResponse's
    Questionnaire is not loaded, so its error is missed too."""
    folder = tmp_path / "example"
    folder.mkdir()
    (folder / "Patient-p.json").write_text(json.dumps({"resourceType": "Patient", "id": "p", "gender": "male"}))
    (folder / "QuestionnaireResponse-r.json").write_text(json.dumps(
        {"resourceType": "QuestionnaireResponse", "id": "r", "status": "completed",
         "questionnaire": "http://example.org/Questionnaire/q", "item": [{"linkId": "nope"}]}))
    (tmp_path / "qa.txt").write_text(QA)
    (tmp_path / "Messages.properties").write_text(MESSAGES)
    assert bench.main(["--qa", str(tmp_path / "qa.txt"), "--examples", str(folder),
                       "--messages", str(tmp_path / "Messages.properties")]) == 0
    out = capsys.readouterr().out
    assert "HL7's errors on these files: 2" in out
    assert "missed: 2 (in 2 files)" in out
    assert "Questionnaire_QR_Item_NotFound" in out and "Terminology_TX_NotValid" in out
