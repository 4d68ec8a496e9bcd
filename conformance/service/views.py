"""What the pages and the API show, read from the store once per request and shared by both, so a page
and its JSON twin can never disagree. Every function here assumes the caller already asked scope.require."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from conformance.evidence import records
from conformance.evidence.schema import ABORTED, AssessmentRow, AttestationRow, EvidenceRow, OutcomeRow, RunRow
from conformance.evidence.store import EvidenceStore
from conformance.maturity.model import CapabilityModel
from conformance.maturity.records import Footprint, Organisation
from conformance.maturity.roadmap import Roadmap, roadmap
from conformance.maturity.score import FootprintRecord, OrgRecord, footprint_record
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.reporting.common import by_suite
from conformance.service.scope import NotVisible, Scope, runs_query
from conformance.service.tables import ComparisonRow


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
    """The whole run with every evidence item (JUnit needs them all)."""
    return store.get_result(run_id)


def _info(row: RunRow) -> RunInfo:
    aborted = str(row.summary.get("aborted") or "run aborted") if row.status == ABORTED else ""
    return RunInfo(id=row.id, started=row.started, finished=row.finished, target=dict(row.target),
                   harness_version=row.harness_version, suites=list(row.suites), aborted=aborted)


def _check(row: OutcomeRow, evidence: list[Evidence]) -> CheckResult:
    return CheckResult(id=row.check_id, suite=row.suite, group=row.group_name, title=row.title,
                       status=Status(row.status), required=row.required, requirements=list(row.requirements),
                       capabilities=list(row.capabilities), message=row.message, duration_ms=row.duration_ms,
                       evidence=evidence, metrics=dict(row.metrics))


def run_outline(store: EvidenceStore, run_id: str) -> tuple[RunResult, str, dict[str, int]]:
    """The run's header and outcomes without evidence content (a page of 200 checks should not
    decompress every exchange), its status, and how many evidence items each check has."""
    with store.transaction(f"read run {run_id}") as session:
        row = session.get(RunRow, run_id)
        if row is None:
            raise NotVisible(f"no run {run_id!r}")
        outcomes = session.scalars(select(OutcomeRow).where(OutcomeRow.run_id == run_id)
                                   .order_by(OutcomeRow.position)).all()
        counted = dict(session.execute(select(OutcomeRow.check_id, func.count(EvidenceRow.id))
                                       .join(EvidenceRow, EvidenceRow.outcome_id == OutcomeRow.id)
                                       .where(OutcomeRow.run_id == run_id).group_by(OutcomeRow.check_id)).all())
        return (RunResult(run=_info(row), results=[_check(o, []) for o in outcomes]), row.status,
                {str(k): int(v) for k, v in counted.items()})


def one_check(store: EvidenceStore, run_id: str, check_id: str) -> tuple[RunInfo, str, CheckResult]:
    """One check of a run with its evidence, read alone."""
    with store.transaction(f"read run {run_id}") as session:
        row = session.get(RunRow, run_id)
        outcome = session.scalars(select(OutcomeRow).where(OutcomeRow.run_id == run_id,
                                                           OutcomeRow.check_id == check_id)
                                  .options(selectinload(OutcomeRow.evidence).selectinload(EvidenceRow.blob))).first()
        if row is None or outcome is None:
            raise NotVisible(f"no check {check_id!r} in run {run_id!r}")
        evidence = []
        for item in outcome.evidence:
            data = json.loads(zlib.decompress(item.blob.content)).get("data", {})
            evidence.append(Evidence(kind=item.kind, summary=item.summary, data=dict(data)))
        return _info(row), row.status, _check(outcome, evidence)


def suites_of(result: RunResult) -> dict[str, list[CheckResult]]:
    return by_suite(result)


def counts(checks: list[CheckResult]) -> dict[str, int]:
    found = Counter(c.status.value for c in checks)
    return {s: found.get(s, 0) for s in ("pass", "fail", "skip", "error")}


def comparisons(store: EvidenceStore, scope: Scope) -> list[tuple[str, str]]:
    """(name, title) of the comparisons the scope sees."""
    with store.transaction("list comparisons") as session:
        rows = session.scalars(select(ComparisonRow).order_by(ComparisonRow.name)).all()
        return [(r.name, r.title) for r in rows if scope.everything or r.name in scope.comparisons]


def attestations(store: EvidenceStore, run_id: str, check_id: str | None = None) -> list[dict[str, Any]]:
    """Every attestation on a run (or one check of it), oldest first."""
    query = select(AttestationRow).where(AttestationRow.run_id == run_id).order_by(AttestationRow.id)
    if check_id is not None:
        query = query.where(AttestationRow.check_id == check_id)
    with store.transaction("read attestations") as session:
        return [{"check": a.check_id, "action": a.action, "reason": a.reason, "by": a.by, "at": a.at}
                for a in session.scalars(query)]


def disputed(items: list[dict[str, Any]]) -> set[str]:
    """Checks whose latest word is a dispute."""
    latest = {a["check"]: a["action"] for a in items}
    return {check for check, action in latest.items() if action == "dispute"}


def disputed_claims(store: EvidenceStore, ods_code: str) -> set[tuple[str, str]]:
    """(capability, assessed on) of the organisation's claims whose latest attestation is a dispute."""
    latest: dict[tuple[str, str], str] = {}
    with store.transaction("read disputed claims") as session:
        for capability, day, action in session.execute(
                select(AssessmentRow.capability, AssessmentRow.assessed_on, AttestationRow.action)
                .join(AttestationRow, AttestationRow.assessment_id == AssessmentRow.id)
                .where(AssessmentRow.ods_code == ods_code).order_by(AttestationRow.id)):
            latest[(capability, day)] = action
    return {key for key, action in latest.items() if action == "dispute"}
