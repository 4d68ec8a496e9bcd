"""The store side of the maturity record: organisations, footprints, self-assessments in; plain records out.

Writes are one transaction each (an import either lands whole or not at all); reads hand back
conformance.maturity.records dataclasses, so the scoring code never sees a database type. Runs are
read in one query per table, not per organisation, so rebuilding the record of many organisations
stays linear in the number of outcomes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from conformance.evidence.schema import (
    COMPLETE,
    AssessmentRow,
    AttestationRow,
    FootprintMemberRow,
    FootprintRow,
    MilestoneRow,
    OrganisationRow,
    OutcomeRow,
    RunRow,
    SystemRow,
)
from conformance.evidence.store import EvidenceStore, StoreError
from conformance.maturity.model import CapabilityModel
from conformance.maturity.records import (
    Footprint,
    Organisation,
    Outcome,
    RunOutcomes,
    SelfAssessment,
    SystemRef,
)
from conformance.maturity.score import OrgRecord, org_record


def save_organisations(store: EvidenceStore, orgs: Iterable[Organisation]) -> int:
    """Add or update organisations by ODS code; how many were given."""
    count = 0
    with store.transaction("save organisations") as session:
        for org in orgs:
            store.upsert(session, OrganisationRow.__table__,
                         {"ods_code": org.ods_code, "name": org.name, "kind": org.kind}, ["ods_code"])
            count += 1
    return count


def save_footprint(store: EvidenceStore, footprint: Footprint) -> None:
    """Replace a footprint's name and members; every member must be a known organisation."""
    with store.transaction(f"save footprint {footprint.code}") as session:
        known = set(session.scalars(select(OrganisationRow.ods_code)).all())
        unknown = sorted(set(footprint.members) - known)
        if unknown:
            raise StoreError(f"footprint {footprint.code}: unknown organisation(s) {', '.join(unknown)} "
                             "(add them first)")
        store.upsert(session, FootprintRow.__table__, {"code": footprint.code, "name": footprint.name}, ["code"])
        session.execute(delete(FootprintMemberRow).where(FootprintMemberRow.footprint_code == footprint.code,
                                                         FootprintMemberRow.ods_code.not_in(footprint.members)))
        for member in footprint.members:
            store.insert_ignore(session, FootprintMemberRow.__table__,
                                {"footprint_code": footprint.code, "ods_code": member})


def save_assessments(store: EvidenceStore, claims: Iterable[SelfAssessment]) -> int:
    """Store claims (one per organisation, capability and date; a re-import replaces); all or nothing."""
    count = 0
    with store.transaction("import self-assessments") as session:
        known = set(session.scalars(select(OrganisationRow.ods_code)).all())
        for claim in claims:
            if claim.ods_code not in known:
                raise StoreError(f"self-assessment for unknown organisation {claim.ods_code!r}: nothing imported")
            store.upsert(session, AssessmentRow.__table__,
                         {"ods_code": claim.ods_code, "capability": claim.capability, "claim": claim.claim,
                          "assessed_on": claim.assessed_on, "note": claim.note},
                         ["ods_code", "capability", "assessed_on"])
            count += 1
    return count


def save_milestone(store: EvidenceStore, footprint: str, milestone: str, target_date: str) -> None:
    with store.transaction(f"save milestone {milestone}") as session:
        if session.get(FootprintRow, footprint) is None:
            raise StoreError(f"no footprint {footprint!r}")
        store.upsert(session, MilestoneRow.__table__,
                     {"footprint_code": footprint, "milestone": milestone, "target_date": target_date},
                     ["footprint_code", "milestone"])


def organisations(store: EvidenceStore) -> dict[str, Organisation]:
    with store.transaction("read organisations") as session:
        return {r.ods_code: Organisation(r.ods_code, r.name, r.kind)
                for r in session.scalars(select(OrganisationRow).order_by(OrganisationRow.ods_code))}


def footprints(store: EvidenceStore) -> dict[str, Footprint]:
    with store.transaction("read footprints") as session:
        members: dict[str, list[str]] = defaultdict(list)
        for m in session.scalars(select(FootprintMemberRow).order_by(FootprintMemberRow.ods_code)):
            members[m.footprint_code].append(m.ods_code)
        return {f.code: Footprint(f.code, f.name, tuple(members[f.code]))
                for f in session.scalars(select(FootprintRow))}


def milestones(store: EvidenceStore, footprint: str) -> dict[str, str]:
    with store.transaction("read milestones") as session:
        return {m.milestone: m.target_date for m in session.scalars(
            select(MilestoneRow).where(MilestoneRow.footprint_code == footprint))}


def assessments(store: EvidenceStore, ods_codes: Iterable[str] | None = None) -> list[SelfAssessment]:
    with store.transaction("read self-assessments") as session:
        query = select(AssessmentRow).order_by(AssessmentRow.ods_code, AssessmentRow.assessed_on)
        if ods_codes is not None:
            query = query.where(AssessmentRow.ods_code.in_(list(ods_codes)))
        return [SelfAssessment(r.ods_code, r.capability, r.claim, r.assessed_on, r.note)
                for r in session.scalars(query)]


def run_outcomes(store: EvidenceStore, ods_codes: Iterable[str] | None = None,
                 run_ids: Iterable[str] | None = None) -> list[RunOutcomes]:
    """Complete runs (oldest first) with every outcome, for the given organisations or runs (else all)."""
    with store.transaction("read runs") as session:
        query = select(RunRow, SystemRow).outerjoin(SystemRow, SystemRow.id == RunRow.system_id).where(
            RunRow.status == COMPLETE)
        if ods_codes is not None:
            query = query.where(RunRow.ods_code.in_(list(ods_codes)))
        if run_ids is not None:
            query = query.where(RunRow.id.in_(list(run_ids)))
        runs: dict[str, RunOutcomes] = {}
        for run, system in session.execute(query.order_by(RunRow.finished, RunRow.id)).all():
            ref = SystemRef(system.vendor, system.product, system.version) if system else SystemRef()
            runs[run.id] = RunOutcomes(run.id, run.ods_code, ref, run.finished, True, [], run.target_name)
        if not runs:
            return []
        outcome_query = (select(OutcomeRow.run_id, OutcomeRow.check_id, OutcomeRow.status, OutcomeRow.required,
                                OutcomeRow.requirements, OutcomeRow.message)
                         .join(RunRow, RunRow.id == OutcomeRow.run_id).where(RunRow.status == COMPLETE))
        if ods_codes is not None:
            outcome_query = outcome_query.where(RunRow.ods_code.in_(list(ods_codes)))
        if run_ids is not None:
            outcome_query = outcome_query.where(RunRow.id.in_(list(run_ids)))
        disputed = _disputed(session, list(runs))
        for run_id, check_id, status, required, requirements, message in session.execute(
                outcome_query.order_by(OutcomeRow.run_id, OutcomeRow.position)):
            if run_id in runs and (run_id, check_id) not in disputed:
                runs[run_id].outcomes.append(Outcome(check_id, status, bool(required), tuple(requirements), message))
        return list(runs.values())


def _disputed(session: Session, run_ids: list[str]) -> set[tuple[str, str]]:
    """(run, check) of every verdict an assessor disputed and nobody resolved since: left out of scoring."""
    latest: dict[tuple[str, str], str] = {}
    for run_id, check_id, action in session.execute(
            select(AttestationRow.run_id, AttestationRow.check_id, AttestationRow.action)
            .where(AttestationRow.run_id.in_(run_ids)).order_by(AttestationRow.id)):
        latest[(str(run_id), check_id)] = action  # (run_id is in run_ids: never a claim's None)
    return {key for key, action in latest.items() if action == "dispute"}


def org_records(store: EvidenceStore, model: CapabilityModel, ods_codes: Iterable[str] | None,
                as_of: date) -> list[OrgRecord]:
    """The maturity record of each organisation (all known ones when ``ods_codes`` is None).

    One read of runs, outcomes and claims for all of them, then scoring per organisation: linear in
    the outcomes read.
    """
    known = organisations(store)
    codes = sorted(known) if ods_codes is None else list(ods_codes)
    for code in codes:
        if code not in known:
            raise StoreError(f"no organisation {code!r} in the store (runs register theirs; or "
                             "`conformance org import`)")
    runs = run_outcomes(store, ods_codes=codes)
    claims = assessments(store, codes)
    by_org: dict[str, list[RunOutcomes]] = defaultdict(list)
    for run in runs:
        by_org[run.ods_code].append(run)
    claims_by: dict[str, list[SelfAssessment]] = defaultdict(list)
    for claim in claims:
        claims_by[claim.ods_code].append(claim)
    return [org_record(known[c], by_org[c], claims_by[c], model, as_of) for c in codes]
