"""The store side of the record: organisations, footprints, assessments and runs as plain records."""

from __future__ import annotations

import pytest

from conformance.evidence import records
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.maturity.records import Footprint, Organisation, SelfAssessment
from tests.evidence.test_seal import run

ORGS = [Organisation("RXX01", "Trust", "provider"), Organisation("XCCG1", "CCG", "commissioner")]


def test_organisations_footprints_and_assessments_round_trip(store_url: str) -> None:
    store = EvidenceStore(store_url)
    assert records.save_organisations(store, ORGS) == 2
    records.save_organisations(store, [Organisation("RXX01", "Renamed Trust", "provider")])
    assert records.organisations(store)["RXX01"].name == "Renamed Trust"
    records.save_footprint(store, Footprint("FP1", "North", ("RXX01", "XCCG1")))
    records.save_footprint(store, Footprint("FP1", "North Example", ("RXX01",)))
    assert records.footprints(store) == {"FP1": Footprint("FP1", "North Example", ("RXX01",))}
    claims = [SelfAssessment("RXX01", "uc-a", "met", "2026-01-01"), SelfAssessment("XCCG1", "uc-a", "not met",
                                                                                  "2026-01-01", "n")]
    assert records.save_assessments(store, claims) == 2
    records.save_assessments(store, [SelfAssessment("RXX01", "uc-a", "partly met", "2026-01-01")])  # replaces
    assert [(a.ods_code, a.claim) for a in records.assessments(store)] == [("RXX01", "partly met"),
                                                                          ("XCCG1", "not met")]
    records.save_milestone(store, "FP1", "paper-free-2020", "2021-03-31")
    assert records.milestones(store, "FP1") == {"paper-free-2020": "2021-03-31"}


def test_imports_are_all_or_nothing(store_url: str) -> None:
    store = EvidenceStore(store_url)
    records.save_organisations(store, ORGS)
    with pytest.raises(StoreError, match="unknown organisation 'NOPE1'"):
        records.save_assessments(store, [SelfAssessment("RXX01", "uc-a", "met", "2026-01-01"),
                                         SelfAssessment("NOPE1", "uc-a", "met", "2026-01-01")])
    assert records.assessments(store) == []
    with pytest.raises(StoreError, match="unknown organisation"):
        records.save_footprint(store, Footprint("FP2", "X", ("RXX01", "NOPE1")))
    assert records.footprints(store) == {}


def test_runs_come_back_with_their_system_and_outcomes(store_url: str) -> None:
    store = EvidenceStore(store_url)
    store.finish_run(run("r1"))
    store.finish_run(run("r2", ods="XOTH1"))
    store.start_run(run("r3").run)  # incomplete: not evidence
    got = records.run_outcomes(store, ods_codes=["RXX01"])
    assert [r.run_id for r in got] == ["r1"]
    assert got[0].system.label == "Acme EPR 1" and got[0].complete
    assert [(o.check_id, o.status, o.requirements) for o in got[0].outcomes] == [
        ("s.g.one", "pass", ("R1",)), ("s.g.two", "fail", ("R1",)), ("s.g.three", "skip", ("R1",))]
    assert {r.run_id for r in records.run_outcomes(store)} == {"r1", "r2"}
    assert [r.run_id for r in records.run_outcomes(store, run_ids=["r2"])] == ["r2"]
    assert "RXX01" in records.organisations(store)  # registered from the run's target
