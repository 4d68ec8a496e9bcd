"""What the pages and the API show, read from the store once per request and shared by both, so a page
and its JSON twin can never disagree. Every function here assumes the caller already asked scope.require."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from conformance.evidence import records
from conformance.evidence.schema import RunRow
from conformance.evidence.store import EvidenceStore
from conformance.maturity.model import CapabilityModel
from conformance.maturity.records import Footprint, Organisation
from conformance.maturity.roadmap import Roadmap, roadmap
from conformance.maturity.score import FootprintRecord, OrgRecord, footprint_record
from conformance.model import CheckResult, RunResult
from conformance.reporting.common import by_suite
from conformance.service.scope import NotVisible, Scope, runs_query


@dataclass(frozen=True)
class RunSummary:
    id: str
    started: str
    finished: str
    target_name: str
    ods_code: str
    system: str
    status: str
    summary: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {**vars(self), "evidence": self.status == "complete"}


def footprints(store: EvidenceStore, scope: Scope) -> list[Footprint]:
    return [f for code, f in sorted(records.footprints(store).items()) if scope.everything or code in scope.footprints]


def organisations(store: EvidenceStore, scope: Scope) -> list[Organisation]:
    return [o for code, o in records.organisations(store).items() if scope.everything or code in scope.organisations]


def footprint_view(store: EvidenceStore, model: CapabilityModel, code: str, day: date) -> tuple[
        FootprintRecord, Roadmap]:
    footprint = records.footprints(store)[code]
    known = records.organisations(store)
    members = records.org_records(store, model, [m for m in footprint.members if m in known], day)
    rolled = footprint_record(footprint, members, model)
    return rolled, roadmap(rolled, model, day, records.milestones(store, code))


def org_view(store: EvidenceStore, model: CapabilityModel, ods_code: str, day: date) -> tuple[OrgRecord, Roadmap]:
    (record,) = records.org_records(store, model, [ods_code], day)
    return record, roadmap(record, model, day)


def runs(store: EvidenceStore, scope: Scope, ods_code: str | None = None, limit: int = 500) -> list[RunSummary]:
    """The runs the scope sees, newest first (one organisation's when ``ods_code`` is given)."""
    query = runs_query(scope).order_by(RunRow.started.desc(), RunRow.id).limit(limit)
    if ods_code is not None:
        query = query.where(RunRow.ods_code == ods_code)
    with store.transaction("list runs") as session:
        out = []
        for run, system in session.execute(query).all():
            label = " ".join(x for x in (system.vendor, system.product, system.version) if x) if system else ""
            out.append(RunSummary(run.id, run.started, run.finished, run.target_name, run.ods_code, label,
                                  run.status, dict(run.summary)))
        return out


def run_result(store: EvidenceStore, run_id: str) -> tuple[RunResult, str]:
    return store.get_result(run_id)


def suites_of(result: RunResult) -> dict[str, list[CheckResult]]:
    return by_suite(result)


def counts(checks: list[CheckResult]) -> dict[str, int]:
    found = Counter(c.status.value for c in checks)
    return {s: found.get(s, 0) for s in ("pass", "fail", "skip", "error")}


def check_of(result: RunResult, check_id: str) -> CheckResult:
    for check in result.results:
        if check.id == check_id:
            return check
    raise NotVisible(f"no check {check_id!r} in run {result.run.id}")
