"""The scoring rules as data: each rule of scoring.toml changes a status the way the file says, the
evidence is chosen per requirement and system, claims are flagged as over- or under-claims, footprints
roll up by their slowest member, and roadmaps name who is behind."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.maturity.model import CapabilityModel, load_model
from conformance.maturity.records import Footprint, Organisation, Outcome, RunOutcomes, SelfAssessment, SystemRef
from conformance.maturity.roadmap import roadmap
from conformance.maturity.score import RANK, capability_status, footprint_record, org_record

MODEL = load_model()
TODAY = date(2026, 11, 23)
ORG = Organisation("RXX01", "Trust", "provider")
GS1 = MODEL.capabilities["uc-medicines-devices-gs1"]
ORDERS = "uc-orders-results"  # hl7v2-results + fhir-results + fhir-search


def run(run_id: str, outcomes: list[tuple[str, str]] | list[tuple[str, str, bool]], *, day: str = "2026-11-01",
        system: str = "EPR", ods: str = "RXX01", complete: bool = True) -> RunOutcomes:
    made = [Outcome(o[0], o[1], bool(o[2]) if len(o) > 2 else True) for o in outcomes]
    return RunOutcomes(run_id, ods, SystemRef("Acme", system, "1"), f"{day}T10:00:00Z", complete, made)


def rules(**changes: object) -> CapabilityModel:
    return replace(MODEL, scoring=replace(MODEL.scoring, **changes))  # type: ignore[arg-type]


def gs1_status(outcomes: list[tuple[str, str]] | list[tuple[str, str, bool]], model: CapabilityModel = MODEL) -> str:
    return capability_status(GS1, [run("r", outcomes)], model).status


def test_optional_failures_never_lower_partly_met_to_not_met() -> None:
    required = [("gs1.a", "pass", True), ("gs1.b", "fail", True)]
    assert gs1_status(required) == "partly met"
    assert gs1_status([*required, ("gs1.c", "fail", False), ("gs1.d", "fail", False)]) == "partly met"
    assert gs1_status([("gs1.a", "pass", True), ("gs1.o", "fail", False)]) == "met"


def test_skip_and_error_count_as_the_rules_say() -> None:
    assert gs1_status([("gs1.a", "skip")]) == "no evidence"
    assert gs1_status([("gs1.a", "skip")], rules(skip_counts_as="fail")) == "not met"
    assert gs1_status([("gs1.a", "pass"), ("gs1.b", "skip")], rules(skip_counts_as="fail")) == "partly met"
    # By default an error is the harness not judging (docs/check-contract.md): as if the check never ran.
    assert gs1_status([("gs1.a", "pass"), ("gs1.b", "error")]) == "met"
    assert gs1_status([("gs1.a", "error")]) == "no evidence"
    assert gs1_status([("gs1.a", "pass"), ("gs1.b", "error")], rules(error_counts_as="fail")) == "partly met"
    assert gs1_status([("gs1.a", "error")], rules(error_counts_as="not-run")) == "no evidence"


def test_partly_met_threshold_and_any_required_passed() -> None:
    one_in_four = [("gs1.a", "pass"), ("gs1.b", "fail"), ("gs1.c", "fail"), ("gs1.d", "fail")]
    assert gs1_status(one_in_four) == "not met"
    assert gs1_status(one_in_four, rules(partly_met_threshold=0.25)) == "partly met"
    assert gs1_status(one_in_four, rules(partly_met_if_any_required_passed=True)) == "partly met"
    assert gs1_status([("gs1.b", "fail")], rules(partly_met_if_any_required_passed=True)) == "not met"


def test_evidence_is_the_latest_run_per_requirement_and_system() -> None:
    fhir_fail = run("r1", [("fhir-rest.crud.observation.read", "fail")], day="2026-10-01")
    gs1_only = run("r2", [("gs1.a", "pass")], day="2026-11-01")
    record = org_record(ORG, [fhir_fail, gs1_only], [], MODEL, TODAY)
    orders = next(c for c in record.capabilities if c.capability.id == ORDERS)
    # A later run of another suite does not supersede the earlier FHIR evidence.
    assert orders.status == "not met" and orders.runs == ["r1"]
    assert orders.requirements[1].checks[0].check_id == "fhir-rest.crud.observation.read"
    # A later run in which every gs1 check skipped supersedes the older pass: no evidence now.
    skipped = run("r3", [("gs1.a", "skip")], day="2026-11-10")
    assert org_record(ORG, [gs1_only, skipped], [], MODEL, TODAY).status(GS1.id) == "no evidence"
    # Two systems' latest runs are pooled; each system's older run is superseded.
    other = [run("o1", [("gs1.a", "fail")], day="2026-09-01", system="Pharmacy"),
             run("o2", [("gs1.a", "pass")], day="2026-10-01", system="Pharmacy")]
    assert org_record(ORG, [gs1_only, *other], [], MODEL, TODAY).status(GS1.id) == "met"
    failing_other = [*other, run("o3", [("gs1.b", "fail")], day="2026-10-02", system="Pharmacy")]
    assert org_record(ORG, [gs1_only, *failing_other], [], MODEL, TODAY).status(GS1.id) == "partly met"


def test_expiry_incomplete_and_future_runs() -> None:
    boundary = date.fromordinal(TODAY.toordinal() - MODEL.scoring.expires_after_days).isoformat()
    just_in = run("a", [("gs1.a", "pass")], day=boundary)
    assert org_record(ORG, [just_in], [], MODEL, TODAY).status(GS1.id) == "met"
    day_before = date.fromordinal(TODAY.toordinal() - MODEL.scoring.expires_after_days - 1).isoformat()
    assert org_record(ORG, [run("b", [("gs1.a", "pass")], day=day_before)], [], MODEL, TODAY).status(GS1.id) == \
        "no evidence"
    assert org_record(ORG, [run("c", [("gs1.a", "pass")], complete=False)], [], MODEL, TODAY).status(GS1.id) == \
        "no evidence"
    assert org_record(ORG, [run("d", [("gs1.a", "pass")], day="2026-12-01")], [], MODEL, TODAY).status(GS1.id) == \
        "no evidence"
    # An expired newest run is not replaced by an even older one of the same system.
    newer_expired = run("e", [("gs1.a", "fail")], day=day_before)
    older = run("f", [("gs1.a", "pass")], day="2025-01-01")
    assert org_record(ORG, [older, newer_expired], [], MODEL, TODAY).status(GS1.id) == "no evidence"


def test_history_has_one_point_per_run_date() -> None:
    runs = [run("1", [("gs1.a", "fail")], day="2026-09-01"), run("2", [("gs1.a", "pass"), ("gs1.b", "fail")],
                                                                   day="2026-10-01"),
            run("3", [("gs1.a", "pass")], day="2026-10-01", system="Other"), run("4", [("gs1.b", "pass")],
                                                                               day="2026-11-01")]
    history = org_record(ORG, runs, [], MODEL, TODAY).history[GS1.id]
    assert history == [("2026-09-01", "not met"), ("2026-10-01", "partly met"), ("2026-11-01", "met")]


@pytest.mark.parametrize(("claim", "evidence", "flag"), [
    ("met", [("gs1.a", "pass"), ("gs1.b", "fail")], "over-claim"),
    ("met", [("gs1.a", "fail")], "over-claim"),
    ("partly met", [("gs1.a", "fail")], "over-claim"),
    ("partly met", [("gs1.a", "pass")], "under-claim"),
    ("not met", [("gs1.a", "pass")], "under-claim"),
    ("not met", [("gs1.a", "pass"), ("gs1.b", "fail")], ""),
    ("met", [("gs1.a", "skip")], ""),  # no evidence: unevidenced, not contradicted
])
def test_over_and_under_claims(claim: str, evidence: list[tuple[str, str]], flag: str) -> None:
    claims = [SelfAssessment("RXX01", GS1.id, claim, "2026-06-01"),
              SelfAssessment("XOTH1", GS1.id, "not met", "2026-07-01")]  # someone else's claim: ignored
    record = org_record(ORG, [run("r", evidence)], claims, MODEL, TODAY)
    status = next(c for c in record.capabilities if c.capability.id == GS1.id)
    assert status.flag == flag and status.contradicted == bool(flag)
    assert [c.capability.id for c in record.flagged] == ([GS1.id] if flag else [])


def test_audit_rules_are_data() -> None:
    claims = [SelfAssessment("RXX01", GS1.id, "not met", "2026-06-01")]
    passing = [run("r", [("gs1.a", "pass")])]
    assert org_record(ORG, passing, claims, MODEL, TODAY).flagged
    assert not org_record(ORG, passing, claims, rules(audit={"met": ("not met",)}), TODAY).flagged


def test_footprint_slowest_member_ties_and_missing_members() -> None:
    members = (("XA1", "pass"), ("XB1", "fail"), ("XC1", "fail"))
    a, b, c = (org_record(Organisation(o, o, "provider"), [run(o, [("gs1.a", s)], ods=o)], [], MODEL, TODAY)
               for o, s in members)
    rolled = footprint_record(Footprint("FP", "North", ("XA1", "XB1", "XC1")), [a, b, c])
    assert rolled.slowest[GS1.id] == ("not met", "XB1") and rolled.laggard_codes[GS1.id] == ("XB1", "XC1")
    assert list(rolled.slowest) == list(MODEL.capabilities)  # capabilities from the records, in model order
    absent = footprint_record(Footprint("FP", "North", ("XA1", "XZ9")), [a], MODEL)
    assert absent.missing == ("XZ9",) and absent.slowest[GS1.id] == ("no evidence", "XZ9")
    assert absent.member_status("XZ9", GS1.id) == "no evidence" and absent.member_status("XA1", GS1.id) == "met"
    only_good = footprint_record(Footprint("FP", "North", ("XA1",)), [a, b], MODEL)
    assert only_good.status(GS1.id) == "met" and only_good.laggards(GS1.id) == ()


def test_roadmap_of_an_organisation_and_a_footprint() -> None:
    milestone = MODEL.milestones["open-apis-gs1-2021"]
    future = {milestone.id: "2030-01-01"}
    good = org_record(Organisation("XA1", "A", "provider"), [run("a", [("gs1.a", "pass")], ods="XA1")], [], MODEL,
                      TODAY)
    view = next(m for m in roadmap(good, MODEL, TODAY, future).milestones if m.id == milestone.id)
    assert view.state == "at risk" and view.behind == ("uc-open-apis",) and view.laggards == {"uc-open-apis": ("XA1",)}
    assert view.statuses == {"uc-open-apis": "no evidence", "uc-medicines-devices-gs1": "met"}
    lenient = rules(on_track_statuses=("partly met", "no evidence"))
    assert next(m for m in roadmap(good, lenient, TODAY, future).milestones if m.id == milestone.id).state == "on track"
    weak = org_record(Organisation("XB1", "B", "provider"), [run("b", [("gs1.a", "fail")], ods="XB1")], [], MODEL,
                      TODAY)
    fp = roadmap(footprint_record(Footprint("FP", "North", ("XA1", "XB1")), [good, weak], MODEL), MODEL, TODAY)
    assert fp.kind == "footprint" and fp.subject_code == "FP"
    gs1_view = next(m for m in fp.milestones if m.id == milestone.id)
    assert gs1_view.state == "missed" and gs1_view.laggards["uc-medicines-devices-gs1"] == ("XB1",)
    assert roadmap(good, MODEL, TODAY).kind == "organisation"


CHECKS = ["hl7v2-receiver.accept.oru-r01", "hl7v2-receiver.accept.orm-o01", "fhir-rest.crud.observation.read",
          "fhir-rest.crud.documentreference.create", "fhir-rest.search.paging", "fhir-rest.search.include"]
OUTCOME = st.tuples(st.sampled_from(["pass", "fail", "skip", "error"]), st.booleans())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CHECKS), OUTCOME), min_size=1, max_size=10), st.integers(0, 9),
       st.sampled_from(["fail", "not-run"]), st.booleans())
def test_the_record_is_monotone_as_more_checks_pass(outcomes: list[tuple[str, tuple[str, bool]]], index: int,
                                                    error_as: str, any_required: bool) -> None:
    model = rules(error_counts_as=error_as, partly_met_if_any_required_passed=any_required)
    before = [(c, s, r) for c, (s, r) in outcomes]
    after = list(before)
    check, _, required = after[index % len(after)]
    after[index % len(after)] = (check, "pass", required)
    old = org_record(ORG, [run("r", before)], [], model, TODAY)
    new = org_record(ORG, [run("r", after)], [], model, TODAY)
    for capability in model.capabilities:
        assert RANK[new.status(capability)] >= RANK[old.status(capability)], capability


RUNS = st.lists(st.tuples(st.integers(0, 400), st.sampled_from(["EPR", "LIMS"]),
                          st.lists(st.tuples(st.sampled_from([*CHECKS, "gs1.a", "gs1.b"]), OUTCOME), max_size=6)),
                min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(RUNS)
def test_each_history_point_is_the_record_as_of_that_day(spec: list[tuple[int, str, list[tuple[str, tuple[str, bool]]]]]
                                                         ) -> None:
    start = date(2025, 1, 1).toordinal()
    runs = [run(f"r{n}", [(c, s, r) for c, (s, r) in outcomes], day=date.fromordinal(start + offset).isoformat(),
                system=system) for n, (offset, system, outcomes) in enumerate(spec)]
    record = org_record(ORG, runs, [], MODEL, TODAY)
    days = sorted({r.finished[:10] for r in runs if r.finished[:10] <= TODAY.isoformat()})
    as_of = {day: org_record(ORG, runs, [], MODEL, date.fromisoformat(day)) for day in days}  # each day once
    for capability, points in record.history.items():
        assert [d for d, _ in points] == days
        for day, status in points:
            assert as_of[day].status(capability) == status
