"""A small synthetic world for the service tests: the demo footprint, one outside organisation, three
sealed runs of three vendors' systems, a comparison, and one account per role.

Who should see what is written out here by hand (SEES), not computed by the code under test.
"""

from __future__ import annotations

from pathlib import Path

from conformance.evidence import records
from conformance.evidence.store import EvidenceStore
from conformance.maturity.demo import load_demo
from conformance.maturity.model import load_model
from conformance.maturity.records import Organisation
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.service.accounts import add_user, save_comparison

PASSWORD = "correct horse battery"  # synthetic, test-only
CHECK = "fhir-rest.crud.patient.read"
FAILED = "fhir-rest.read.not-found"
RUNS = {  # run id -> (ODS code, vendor)
    "run-a": ("X26", "conformance"),
    "run-b": ("XCOM1", "Acme"),
    "run-c": ("XOUT1", "Other"),
}
# user -> (role, scope)
USERS = {
    "admin": ("admin", ""),
    "nat": ("national", ""),
    "comm": ("commissioner", "XFP01"),
    "mem": ("member", "X26"),
    "lead": ("lead", "XCOM1"),
    "sup": ("supplier", "vendor:Acme"),
    "ass": ("assessor", "XOUT1"),
    "panel": ("panel", "panel-1"),
}
EVERYONE = set(USERS)
SEES: dict[tuple[str, str], set[str]] = {
    ("footprint", "XFP01"): {"admin", "nat", "comm"},
    ("organisation", "X26"): {"admin", "nat", "comm", "mem"},
    ("organisation", "XCOM1"): {"admin", "nat", "comm", "lead"},
    ("organisation", "XOUT1"): {"admin", "nat", "ass"},
    ("run", "run-a"): {"admin", "nat", "comm", "mem"},
    ("run", "run-b"): {"admin", "nat", "comm", "lead", "sup", "panel"},
    ("run", "run-c"): {"admin", "nat", "ass", "panel"},
    ("comparison", "panel-1"): {"admin", "nat", "panel"},  # the comparison page, not its runs' pages
}


def run_result(run_id: str, ods: str, vendor: str, day: str) -> RunResult:
    target = {"name": f"{vendor} test system", "organisation": {"ods_code": ods, "name": ods, "kind": "provider"},
              "system": {"vendor": vendor, "product": "EPR", "version": "1"}}
    info = RunInfo(id=run_id, started=f"{day}T09:00:00.000Z", finished=f"{day}T09:01:00.000Z", target=target,
                   harness_version="test", suites=["fhir-rest"])
    exchange = Evidence("http", f"GET Patient/{run_id}-patient -> 200",
                        {"request": {"method": "GET", "url": f"http://127.0.0.1/fhir/Patient/{run_id}-patient"},
                         "response": {"status": 200, "body": '{"resourceType": "Patient", "id": "synthetic"}'}})
    results = [
        CheckResult(id=CHECK, suite="fhir-rest", group="fhir-rest.crud", title="Read a Patient", status=Status.PASS,
                    capabilities=[], required=True, requirements=["FHIR-R4:http.html#read"], evidence=[exchange]),
        CheckResult(id=FAILED, suite="fhir-rest", group="fhir-rest.read", title="A missing resource is 404",
                    status=Status.FAIL, required=True, capabilities=[], requirements=[],
                    message='expected 404, got 200: <script>alert("x")</script>', evidence=[exchange]),
    ]
    return RunResult(run=info, results=results)


def build(store_url: str, day: str = "2026-11-30") -> None:
    """Fill an empty store with the world (argon2 hashing makes this take a moment: build once per module)."""
    model = load_model()
    orgs, footprints, claims = load_demo(model=model)
    with EvidenceStore(store_url, find_key=False) as store:
        records.save_organisations(store, [*orgs, Organisation("XOUT1", "Outside Example Trust", "provider")])
        for footprint in footprints:
            records.save_footprint(store, footprint)
            for milestone, target in footprint.milestones:
                records.save_milestone(store, footprint.code, milestone, target)
        records.save_assessments(store, claims)
        for run_id, (ods, vendor) in RUNS.items():
            store.finish_run(run_result(run_id, ods, vendor, day))
        save_comparison(store, "panel-1", ["run-c", "run-b"], "Panel comparison")
        for name, (role, scope) in USERS.items():
            add_user(store, name, PASSWORD, role, (scope,) if scope else ())


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'conformance.db'}"
