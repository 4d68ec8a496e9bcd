"""Self-assessment CSV and the demo data set: every problem names the file, line and column, nothing is
returned on error, and the demo's claims are contradicted by the evidence a sandbox run gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from conformance.maturity.assessments import AssessmentError, read_assessments
from conformance.maturity.demo import load_demo
from conformance.maturity.inputs import DEMO_DIR, InputError
from conformance.maturity.model import load_model
from conformance.maturity.records import Outcome, RunOutcomes, SelfAssessment, SystemRef
from conformance.maturity.score import org_record

MODEL = load_model()
HEADER = "ods_code,capability,claim,assessed_on,note\n"


def read(tmp_path: Path, text: str, known: set[str] | None = None) -> list[SelfAssessment]:
    path = tmp_path / "claims.csv"
    path.write_text(text, encoding="utf-8")
    return list(read_assessments(path, known or {"X26", "XLA01"}, MODEL))


def test_a_good_file(tmp_path: Path) -> None:
    claims = read(tmp_path, HEADER + 'X26,uc-e-referral,Partly  Met,2026-01-01,"two\nlines, quoted"\n\n'
                                      "XLA01,uc-end-of-life,not met,2026-02-01,\n")
    assert [(c.ods_code, c.claim, c.note) for c in claims] == [
        ("X26", "partly met", "two\nlines, quoted"), ("XLA01", "not met", "")]
    no_note = read(tmp_path, "capability,ods_code,assessed_on,claim\nuc-e-referral,X26,2026-01-01,met\n")
    assert len(no_note) == 1  # columns in any order; note may be left out


@pytest.mark.parametrize(("text", "place", "words"), [
    ("ods_code,capability,claim\nX26,uc-e-referral,met\n", ":1:", "missing column(s) assessed_on"),
    ("ods_code,capability,claim,assessed_on,notes\n", ":1:", "column 'notes': unknown"),
    ("ods_code,capability,claim,assessed_on,claim\n", ":1:", "column 'claim': appears twice"),
    (HEADER + "NOPE1,uc-e-referral,met,2026-01-01,\n", ":2:", "ods_code: unknown organisation 'NOPE1'"),
    (HEADER + "X27,uc-e-referral,met,2026-01-01,\n", ":2:", "did you mean 'X26'?"),
    (HEADER + "X26,uc-e-refferal,met,2026-01-01,\n", ":2:", "capability: unknown capability 'uc-e-refferal' "
                                                           "(did you mean 'uc-e-referral'?)"),
    (HEADER + "X26,uc-e-referral,mostly,2026-01-01,\n", ":2:", "claim: 'mostly' is not one of"),
    (HEADER + "X26,uc-e-referral,met,1/1/2026,\n", ":2:", "assessed_on: '1/1/2026' is not a date"),
    (HEADER + "X26,uc-e-referral,met,20260101,\n", ":2:", "assessed_on: '20260101' is not a date"),
    (HEADER + "X26,uc-e-referral,met,2026-02-30,\n", ":2:", "assessed_on: '2026-02-30'"),
    (HEADER + "X26,,met,2026-01-01,\n", ":2:", "capability: empty"),
    (HEADER + "X26,uc-e-referral,met\n", ":2:", "assessed_on: empty"),
    (HEADER + "X26,uc-e-referral,met,2026-01-01,a,b\n", ":2:", "6 fields, but the header names 5"),
    (HEADER + 'X26,uc-e-referral,met,2026-01-01,"a\nb"\nX26,uc-e-referral,met,2026-13-01,\n', ":4:", "assessed_on"),
    (HEADER + "X26,uc-e-referral,met,2026-01-01,\nX26,uc-e-referral,not met,2026-01-01,\n", ":3:",
     "already claimed for X26 on 2026-01-01 (line 2)"),
    (HEADER, "", "no rows"),
    ("", "", "empty file"),
])
def test_bad_files_name_file_line_and_column(tmp_path: Path, text: str, place: str, words: str) -> None:
    with pytest.raises(AssessmentError) as caught:
        read(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'claims.csv'}{place}") and words in message
    assert "\n" not in message  # one line for the CLI


def test_errors_are_input_errors_and_unreadable_files(tmp_path: Path) -> None:
    assert issubclass(AssessmentError, InputError)
    with pytest.raises(AssessmentError, match="no such file"):
        read_assessments(tmp_path / "missing.csv", {"X26"}, MODEL)
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "X26,uc-e-referral,met,2026-01-01,caf\xe9\n").encode("latin-1"))
    with pytest.raises(AssessmentError, match="not UTF-8"):
        read_assessments(path, {"X26"}, MODEL)


def test_demo_data_set() -> None:
    orgs, footprints, claims = load_demo(DEMO_DIR)
    assert {o.ods_code: o.kind for o in orgs} == {"X26": "provider", "XCCG1": "commissioner", "XCOM1": "provider",
                                                  "XLA01": "local-authority"}
    assert [(f.name, set(f.members)) for f in footprints] == [("North Example", {o.ods_code for o in orgs})]
    assert all(o.ods_code.startswith("X") for o in orgs)  # obviously synthetic
    assert {c.ods_code for c in claims} <= {o.ods_code for o in orgs} and len(claims) == 9


def test_sandbox_like_evidence_contradicts_the_demo_claims_both_ways() -> None:
    from conformance.runner import load_suites

    # A system that passes everything but returns resources that break the profiles it claims.
    every_check = [Outcome(c.id, "fail" if c.id == "fhir-profiles.claimed.valid" else "pass", c.required)
                   for c in load_suites().all_checks()]
    sandbox = RunOutcomes("demo", "X26", SystemRef("conformance", "sandbox", "1"), "2026-11-01T10:00:00Z", True,
                          every_check)
    orgs, _, claims = load_demo()
    trust = next(o for o in orgs if o.ods_code == "X26")
    record = org_record(trust, [sandbox], claims, MODEL, date(2026, 11, 23))
    flags = {c.capability.id: c.flag for c in record.flagged}
    # Its resources break UK Core-like profiles: claiming GP record access "met" is an over-claim.
    assert flags["uc-gp-record-access"] == "over-claim"
    assert flags["uc-orders-results"] == "under-claim"
    assert "uc-e-referral" not in flags  # claimed met, and met
