"""From evidence to status: an organisation's record, a footprint's roll-up, and the roadmap's milestones.

Rules come from the model's scoring (profiles/maturity/scoring.toml); this module only applies them.
Linear in the outcomes it reads: each run's outcomes are matched to requirements once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from conformance.maturity.model import Capability, CapabilityModel, Requirement
from conformance.maturity.records import Footprint, Organisation, RunOutcomes, SelfAssessment

RANK = {"no evidence": 0, "not met": 1, "partly met": 2, "met": 3}


@dataclass(frozen=True)
class CheckSeen:
    run_id: str
    check_id: str
    status: str
    required: bool


@dataclass
class RequirementStatus:
    requirement: Requirement
    status: str
    checks: list[CheckSeen] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(c.status == "pass" for c in self.checks)


@dataclass
class CapabilityStatus:
    capability: Capability
    status: str
    requirements: list[RequirementStatus]
    runs: list[str]
    claim: SelfAssessment | None = None
    contradicted: bool = False


@dataclass
class OrgRecord:
    organisation: Organisation
    as_of: str
    capabilities: list[CapabilityStatus]
    history: dict[str, list[tuple[str, str]]]  # capability -> [(run date, status)]

    def status(self, capability_id: str) -> str:
        return next(c.status for c in self.capabilities if c.capability.id == capability_id)


def _day(iso: str) -> date | None:
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


def evidence_runs(runs: list[RunOutcomes], model: CapabilityModel, as_of: date) -> list[RunOutcomes]:
    """The latest complete, unexpired run of each system, as of a day."""
    oldest = as_of - timedelta(days=model.scoring.expires_after_days)
    latest: dict[str, RunOutcomes] = {}
    for run in sorted(runs, key=lambda r: r.finished):
        day = _day(run.finished)
        if run.complete and day is not None and oldest <= day <= as_of:
            latest[run.system.label] = run
    return list(latest.values())


def requirement_status(requirement: Requirement, runs: list[RunOutcomes], model: CapabilityModel) -> RequirementStatus:
    seen = [CheckSeen(r.run_id, o.check_id, o.status, o.required) for r in runs for o in r.outcomes
            if requirement.covers(o.check_id)]
    counted = {"pass", "fail"} | ({"error"} if model.scoring.error_counts_as == "fail" else set())
    ran = [c for c in seen if c.status in counted]
    passed = sum(c.status == "pass" for c in ran)
    if not ran:
        status = "no evidence"
    elif passed and not any(c.required and c.status != "pass" for c in ran):
        status = "met"
    elif passed / len(ran) >= model.scoring.partly_met_threshold:
        status = "partly met"
    else:
        status = "not met"
    return RequirementStatus(requirement, status, seen)


def capability_status(capability: Capability, runs: list[RunOutcomes], model: CapabilityModel) -> CapabilityStatus:
    parts = [requirement_status(model.requirements[r], runs, model) for r in capability.requirements]
    statuses = [p.status for p in parts]
    if all(s == "met" for s in statuses):
        status = "met"
    elif all(s == "no evidence" for s in statuses):
        status = "no evidence"
    elif not any(s in ("met", "partly met") for s in statuses):
        status = "not met"
    else:
        status = "partly met"
    used = sorted({c.run_id for p in parts for c in p.checks})
    return CapabilityStatus(capability, status, parts, used)


def org_record(org: Organisation, runs: list[RunOutcomes], claims: list[SelfAssessment], model: CapabilityModel,
               as_of: date) -> OrgRecord:
    mine = [r for r in runs if r.ods_code == org.ods_code]
    current = evidence_runs(mine, model, as_of)
    latest_claim: dict[str, SelfAssessment] = {}
    for claim in sorted((c for c in claims if c.ods_code == org.ods_code), key=lambda c: c.assessed_on):
        latest_claim[claim.capability] = claim
    capabilities = []
    for capability in model.capabilities.values():
        status = capability_status(capability, current, model)
        status.claim = latest_claim.get(capability.id)
        if status.claim is not None:
            status.contradicted = status.status in model.scoring.audit.get(status.claim.claim, ())
        capabilities.append(status)
    return OrgRecord(org, as_of.isoformat(), capabilities, _history(mine, model, as_of))


def _history(runs: list[RunOutcomes], model: CapabilityModel, as_of: date) -> dict[str, list[tuple[str, str]]]:
    days = sorted({d for d in (_day(r.finished) for r in runs if r.complete) if d is not None and d <= as_of})
    history: dict[str, list[tuple[str, str]]] = {c: [] for c in model.capabilities}
    for day in days:
        current = evidence_runs(runs, model, day)
        for capability in model.capabilities.values():
            history[capability.id].append((day.isoformat(), capability_status(capability, current, model).status))
    return history


@dataclass
class FootprintRecord:
    footprint: Footprint
    members: list[OrgRecord]
    slowest: dict[str, tuple[str, str]]  # capability -> (status, ODS code of the slowest member)


def footprint_record(footprint: Footprint, records: list[OrgRecord], model: CapabilityModel) -> FootprintRecord:
    """Each capability's slowest member (no evidence counts as slowest: nothing shows it is in place)."""
    members = [r for r in records if r.organisation.ods_code in footprint.members]
    slowest: dict[str, tuple[str, str]] = {}
    for capability in model.capabilities:
        ranked = sorted(((r.status(capability), r.organisation.ods_code) for r in members),
                        key=lambda item: (RANK[item[0]], item[1]))
        slowest[capability] = ranked[0] if ranked else ("no evidence", "")
    return FootprintRecord(footprint, members, slowest)


@dataclass(frozen=True)
class MilestoneView:
    id: str
    title: str
    target_date: str
    state: str  # achieved | on track | at risk | missed
    behind: tuple[str, ...]  # capabilities not yet met


def roadmap_view(statuses: dict[str, str], model: CapabilityModel, as_of: date,
                 dates: dict[str, str] | None = None) -> list[MilestoneView]:
    """Milestones judged on capability statuses (an organisation's, or a footprint's slowest members')."""
    views = []
    for milestone in model.milestones.values():
        target = (dates or {}).get(milestone.id, milestone.target_date)
        behind = tuple(c for c in milestone.capabilities if statuses.get(c) != "met")
        if not behind:
            state = "achieved"
        elif date.fromisoformat(target) < as_of:
            state = "missed"
        elif any(statuses.get(c) in ("not met", "no evidence", None) for c in behind):
            state = "at risk"
        else:
            state = "on track"
        views.append(MilestoneView(milestone.id, milestone.title, target, state, behind))
    return views
