"""Scoring rules: requirement and capability statuses, expiry, latest run per system, audit flags,
footprint roll-up (slowest member) and roadmap states."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.maturity.model import load_model
from conformance.maturity.records import Footprint, Organisation, Outcome, RunOutcomes, SelfAssessment, SystemRef
from conformance.maturity.score import RANK, capability_status, footprint_record, org_record, roadmap_view

MODEL = load_model()
ORG = Organisation("RXX01", "Trust", "provider")
TODAY = date(2026, 11, 23)
GS1 = MODEL.capabilities["uc-medicines-devices-gs1"]  # one requirement: gs1.*


def run(run_id: str, outcomes: list[tuple[str, str]], finished: str = "2026-11-01T10:00:00Z",
        system: str = "EPR", required: bool = True, ods: str = "RXX01") -> RunOutcomes:
    return RunOutcomes(run_id, ods, SystemRef("Acme", system, "1"), finished, True,
                       [Outcome(c, s, required) for c, s in outcomes])


@pytest.mark.parametrize(("outcomes", "expected"), [
    ([("gs1.a", "pass"), ("gs1.b", "pass")], "met"),
    ([("gs1.a", "pass"), ("gs1.b", "fail")], "partly met"),
    ([("gs1.a", "pass"), ("gs1.b", "fail"), ("gs1.c", "fail")], "not met"),
    ([("gs1.a", "fail")], "not met"),
    ([("gs1.a", "skip")], "no evidence"),
    ([("fhir-rest.crud.patient.read", "pass")], "no evidence"),
    ([("gs1.a", "pass"), ("gs1.b", "error")], "met"),  # an error is not judged: never counted against
    ([("gs1.a", "error")], "no evidence"),
])
def test_requirement_rules(outcomes: list[tuple[str, str]], expected: str) -> None:
    assert capability_status(GS1, [run("r", outcomes)], MODEL).status == expected


def test_optional_checks_never_lower_a_status() -> None:
    runs = [run("r", [("gs1.a", "pass")]), run("o", [("gs1.b", "fail")], system="Other", required=False)]
    assert capability_status(GS1, runs, MODEL).status == "met"


def test_latest_unexpired_run_per_system_is_the_evidence() -> None:
    old_fail = run("r1", [("gs1.a", "fail")], finished="2026-10-01T00:00:00Z")
    new_pass = run("r2", [("gs1.a", "pass")], finished="2026-11-01T00:00:00Z")
    record = org_record(ORG, [old_fail, new_pass], [], MODEL, TODAY)
    assert record.status("uc-medicines-devices-gs1") == "met"
    assert [day for day, _ in record.history["uc-medicines-devices-gs1"]] == ["2026-10-01", "2026-11-01"]
    assert [s for _, s in record.history["uc-medicines-devices-gs1"]] == ["not met", "met"]
    expired = run("r0", [("gs1.a", "pass")], finished="2024-01-01T00:00:00Z")
    assert org_record(ORG, [expired], [], MODEL, TODAY).status("uc-medicines-devices-gs1") == "no evidence"
    other_org = run("x", [("gs1.a", "pass")], ods="XOTH1")
    assert org_record(ORG, [other_org], [], MODEL, TODAY).status("uc-medicines-devices-gs1") == "no evidence"


@pytest.mark.parametrize(("claim", "evidence", "flagged"), [
    ("met", [("gs1.a", "fail")], True), ("met", [("gs1.a", "pass")], False),
    ("not met", [("gs1.a", "pass")], True), ("partly met", [("gs1.a", "fail")], True),
    ("met", [], False),  # no evidence contradicts nothing: it is shown as no evidence
])
def test_claims_the_evidence_contradicts_are_flagged(claim: str, evidence: list[tuple[str, str]],
                                                     flagged: bool) -> None:
    claims = [SelfAssessment("RXX01", "uc-medicines-devices-gs1", "not met", "2025-01-01"),
              SelfAssessment("RXX01", "uc-medicines-devices-gs1", claim, "2026-06-01")]  # the latest counts
    record = org_record(ORG, [run("r", evidence)] if evidence else [], claims, MODEL, TODAY)
    status = next(c for c in record.capabilities if c.capability.id == "uc-medicines-devices-gs1")
    assert status.claim is not None and status.claim.claim == claim
    assert status.contradicted is flagged


def test_footprint_shows_its_slowest_member() -> None:
    good = org_record(ORG, [run("a", [("gs1.a", "pass")])], [], MODEL, TODAY)
    weak = org_record(Organisation("XCOM1", "Community", "provider"),
                      [run("b", [("gs1.a", "pass"), ("gs1.b", "fail")], ods="XCOM1")], [], MODEL, TODAY)
    silent = org_record(Organisation("XLA01", "Council", "local-authority"), [], [], MODEL, TODAY)
    rolled = footprint_record(Footprint("FP", "North", ("RXX01", "XCOM1")), [good, weak, silent], MODEL)
    assert rolled.slowest["uc-medicines-devices-gs1"] == ("partly met", "XCOM1")
    with_silent = footprint_record(Footprint("FP", "North", ("RXX01", "XLA01")), [good, silent], MODEL)
    assert with_silent.slowest["uc-medicines-devices-gs1"] == ("no evidence", "XLA01")


def test_roadmap_states() -> None:
    milestone = MODEL.milestones["open-apis-gs1-2021"]
    met = {c: "met" for c in milestone.capabilities}
    future = {milestone.id: "2030-01-01"}
    assert next(v for v in roadmap_view(met, MODEL, TODAY) if v.id == milestone.id).state == "achieved"
    partly = {**met, "uc-open-apis": "partly met"}
    assert next(v for v in roadmap_view(partly, MODEL, TODAY, future) if v.id == milestone.id).state == "on track"
    missing = {**met, "uc-open-apis": "no evidence"}
    view = next(v for v in roadmap_view(missing, MODEL, TODAY, future) if v.id == milestone.id)
    assert view.state == "at risk" and view.behind == ("uc-open-apis",)
    assert next(v for v in roadmap_view(partly, MODEL, TODAY) if v.id == milestone.id).state == "missed"


@given(st.lists(st.sampled_from(["pass", "fail", "skip", "error"]), min_size=1, max_size=12), st.integers(0, 11))
def test_one_more_pass_never_lowers_the_status(statuses: list[str], index: int) -> None:
    before = [(f"gs1.c{n}", s) for n, s in enumerate(statuses)]
    after = list(before)
    after[index % len(after)] = (after[index % len(after)][0], "pass")
    rank = RANK[capability_status(GS1, [run("r", before)], MODEL).status]
    assert RANK[capability_status(GS1, [run("r", after)], MODEL).status] >= rank
