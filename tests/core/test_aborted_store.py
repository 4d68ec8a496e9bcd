"""An aborted run is kept (outcomes, evidence, reason, seal) but never scored; an incomplete one is not evidence."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conformance.evidence import records
from conformance.evidence.store import ABORTED, COMPLETE, INCOMPLETE, EvidenceStore
from conformance.maturity.model import load_model
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.reporting.json_report import result_from_dict

REASON = "the target stopped answering at 01:02:03 UTC (could not connect to http://127.0.0.1:9)"


def result(run_id: str, aborted: str = "") -> RunResult:
    info = RunInfo(id=run_id, started="2026-01-01T10:00:00.000Z", finished="2026-01-01T10:00:09.000Z",
                   harness_version="t", suites=["fhir-rest"], aborted=aborted,
                   target={"name": "T", "organisation": {"ods_code": "RXX01", "name": "Trust", "kind": "provider"},
                           "system": {"vendor": "Acme", "product": "EPR", "version": "1"},
                           "endpoints": {"fhir": "http://fhir.example.test"}})
    checks = [
        CheckResult(id="fhir-rest.capability.metadata", suite="fhir-rest", group="fhir-rest.capability",
                    title="metadata", status=Status.FAIL, required=True, requirements=["FHIR-R4:http.html"],
                    capabilities=["open-api"], message="not a CapabilityStatement",
                    evidence=[Evidence("http", "GET metadata -> 200", {"body": "{}"})]),
        CheckResult(id="fhir-rest.crud.patient.read", suite="fhir-rest", group="fhir-rest.crud", title="read",
                    status=Status.ERROR, required=True, requirements=[], capabilities=["open-api"],
                    message=f"not run: {REASON}"),
    ]
    return RunResult(run=info, results=checks)


def store_at(tmp_path: Path, name: str) -> EvidenceStore:
    return EvidenceStore(f"sqlite:///{tmp_path / name}")


def test_aborted_run_is_kept_sealed_with_its_reason(tmp_path: Path) -> None:
    store = store_at(tmp_path, "a.db")
    store.finish_run(result("r-aborted", REASON))
    stored, status = store.get_result("r-aborted")
    assert status == ABORTED
    assert stored.run.aborted == REASON
    assert [r.status for r in stored.results] == [Status.FAIL, Status.ERROR]
    assert stored.results[0].evidence[0].data == {"body": "{}"}
    data = store.get_run("r-aborted")
    assert data["run"]["status"] == ABORTED and data["run"]["aborted"] == REASON
    count, problems = store.verify()
    assert count == 1 and problems == []  # sealed like any run: tampering with it is detectable
    listed = store.list_runs()
    assert [(r["status"], r["evidence"], r["summary"]["aborted"]) for r in listed] == [(ABORTED, False, REASON)]
    assert result_from_dict(data).run.aborted == REASON  # the JSON report reads back with its reason
    store.close()


def test_aborted_and_incomplete_runs_are_never_scored(tmp_path: Path) -> None:
    model = load_model()
    day = date(2026, 6, 1)
    scored = store_at(tmp_path, "complete.db")
    scored.finish_run(result("r-complete"))
    baseline = records.org_records(scored, model, ["RXX01"], day)[0]
    # The same outcomes stored complete do move the record: otherwise this test could not fail.
    assert any(c.status != "no evidence" for c in baseline.capabilities)
    scored.close()

    store = store_at(tmp_path, "aborted.db")
    store.finish_run(result("r-aborted", REASON))
    store.start_run(result("r-crashed").run)  # a process that died mid-run leaves this behind
    assert {r["id"]: (r["status"], r["evidence"]) for r in store.list_runs()} == {
        "r-aborted": (ABORTED, False), "r-crashed": (INCOMPLETE, False)}
    assert records.run_outcomes(store) == []
    assert records.run_outcomes(store, run_ids=["r-aborted", "r-crashed"]) == []  # what compare reads
    record = records.org_records(store, model, ["RXX01"], day)[0]
    assert all(c.status == "no evidence" for c in record.capabilities)
    assert record.history == {} or all(not points for points in record.history.values())
    store.finish_run(result("r-later"))
    assert [r.run_id for r in records.run_outcomes(store)] == ["r-later"]
    assert {r["id"]: r["status"] for r in store.list_runs()}["r-later"] == COMPLETE
    store.close()
