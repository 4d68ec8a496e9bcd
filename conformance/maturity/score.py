"""From evidence to status: an organisation's record, and a footprint's roll-up.

Rules come from the model's scoring (profiles/maturity/scoring.toml, read by rules.py); this module
only applies them. Each run's outcomes are matched to requirements once (matches cached per check id,
since every run of a suite repeats the same ids), and a requirement's status is judged once per set of
evidence runs, so the history costs little more than the record itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from conformance.maturity.model import Capability, CapabilityModel, Requirement
from conformance.maturity.records import Footprint, Organisation, RunOutcomes, SelfAssessment
from conformance.maturity.roadmap import MilestoneView, Roadmap, roadmap, roadmap_view

__all__ = [
    "RANK",
    "CapabilityStatus",
    "CheckSeen",
    "FootprintRecord",
    "MilestoneView",
    "OrgRecord",
    "RequirementStatus",
    "Roadmap",
    "capability_status",
    "evidence_runs",
    "footprint_record",
    "org_record",
    "requirement_status",
    "roadmap",
    "roadmap_view",
]

RANK = {"no evidence": 0, "not met": 1, "partly met": 2, "met": 3}


@dataclass(frozen=True)
class CheckSeen:
    """One outcome behind a status: which run, which check, what it said."""

    run_id: str
    check_id: str
    status: str
    required: bool
    message: str = ""


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

    @property
    def flag(self) -> str:
        """"over-claim" (claimed more than the evidence shows), "under-claim", or "" when not flagged."""
        if not self.contradicted or self.claim is None:
            return ""
        return "over-claim" if RANK[self.claim.claim] > RANK[self.status] else "under-claim"


@dataclass
class OrgRecord:
    organisation: Organisation
    as_of: str
    capabilities: list[CapabilityStatus]
    history: dict[str, list[tuple[str, str]]]  # capability -> [(run date, status)], oldest first

    @property
    def code(self) -> str:
        return self.organisation.ods_code

    @property
    def name(self) -> str:
        return self.organisation.name

    def status(self, capability_id: str) -> str:
        return next(c.status for c in self.capabilities if c.capability.id == capability_id)

    def statuses(self) -> dict[str, str]:
        return {c.capability.id: c.status for c in self.capabilities}

    def laggards(self, capability_id: str) -> tuple[str, ...]:
        return () if self.status(capability_id) == "met" else (self.code,)

    @property
    def flagged(self) -> list[CapabilityStatus]:
        return [c for c in self.capabilities if c.contradicted]


def _day(iso: str) -> date | None:
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


def evidence_runs(runs: list[RunOutcomes], model: CapabilityModel, as_of: date) -> list[RunOutcomes]:
    """The latest complete, unexpired run of each system, as of a day (whole runs, whatever they ran)."""
    oldest = as_of - timedelta(days=model.scoring.expires_after_days)
    latest: dict[str, RunOutcomes] = {}
    for run in sorted(runs, key=lambda r: r.finished):
        day = _day(run.finished)
        if run.complete and day is not None and oldest <= day <= as_of:
            latest[run.system.label] = run
    return list(latest.values())


def _judge(seen: list[CheckSeen], model: CapabilityModel) -> str:
    """One requirement's status from the outcomes of its evidence runs (rules: scoring.toml)."""
    rules = model.scoring
    counted = rules.counted()
    # Optional checks never lower a status: their passes count, their failures do not.
    ran = [c for c in seen if c.status in counted and (c.required or c.status == "pass")]
    if not ran:
        return "no evidence"
    passed = sum(c.status == "pass" for c in ran)
    if passed and all(c.status == "pass" for c in ran if c.required):
        return "met"
    if passed / len(ran) >= rules.partly_met_threshold:
        return "partly met"
    if rules.partly_met_if_any_required_passed and any(c.required and c.status == "pass" for c in ran):
        return "partly met"
    return "not met"


def _matches(requirement: Requirement, runs: Iterable[RunOutcomes]) -> list[CheckSeen]:
    return [CheckSeen(r.run_id, o.check_id, o.status, o.required, o.message) for r in runs for o in r.outcomes
            if requirement.covers(o.check_id)]


def requirement_status(requirement: Requirement, runs: list[RunOutcomes], model: CapabilityModel) -> RequirementStatus:
    """A requirement judged on exactly these runs (no selection of latest runs: see org_record)."""
    seen = _matches(requirement, runs)
    return RequirementStatus(requirement, _judge(seen, model), seen)


def _combine(capability: Capability, parts: list[RequirementStatus]) -> CapabilityStatus:
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


def capability_status(capability: Capability, runs: list[RunOutcomes], model: CapabilityModel) -> CapabilityStatus:
    """A capability judged on exactly these runs."""
    return _combine(capability, [requirement_status(model.requirements[r], runs, model)
                                 for r in capability.requirements])


class _Evidence:
    """Runs matched to requirements once; the evidence of any day picked from them.

    Per requirement and system, the evidence is the latest complete run that ran a mapped check, no
    later than the day and not expired; the outcomes of every system's evidence run are pooled.
    """

    def __init__(self, runs: list[RunOutcomes], model: CapabilityModel) -> None:
        self.model = model
        self.runs: list[tuple[date, RunOutcomes, dict[str, list[CheckSeen]]]] = []
        for run in sorted(runs, key=lambda r: r.finished):
            day = _day(run.finished)
            if not run.complete or day is None:
                continue
            seen: dict[str, list[CheckSeen]] = {}
            for o in run.outcomes:
                for rid in model.covering(o.check_id):
                    seen.setdefault(rid, []).append(CheckSeen(run.run_id, o.check_id, o.status, o.required, o.message))
            self.runs.append((day, run, seen))
        self.judged: dict[tuple[str, tuple[str, ...]], RequirementStatus] = {}
        self.empty: dict[str, RequirementStatus] = {}

    def walk(self, today: date) -> tuple[list[tuple[date, dict[str, CapabilityStatus]]], dict[str, CapabilityStatus]]:
        """The statuses at the end of each day a run finished (up to ``today``), and as of ``today``.

        One pass over the runs in order: each day only adds that day's runs to the latest-run table,
        so the history costs the number of runs plus, per day, the requirements and systems held.
        """
        latest: dict[tuple[str, str], tuple[date, str, list[CheckSeen]]] = {}
        points: list[tuple[date, dict[str, CapabilityStatus]]] = []
        last: tuple[tuple[tuple[str, str], ...], dict[str, CapabilityStatus]] = ((), {})
        for n, (day, run, seen) in enumerate(self.runs):
            if day > today:
                break
            for rid, checks in seen.items():
                latest[(rid, run.system.label)] = (day, run.run_id, checks)
            last_of_day = n + 1 == len(self.runs) or self.runs[n + 1][0] != day
            if last_of_day:
                last = self._statuses(latest, day)
                points.append((day, last[1]))
        final = self._statuses(latest, today, last if points else None)
        return points, final[1]

    def record(self, as_of: date) -> dict[str, CapabilityStatus]:
        return self.walk(as_of)[1]

    def _statuses(self, latest: dict[tuple[str, str], tuple[date, str, list[CheckSeen]]], as_of: date,
                  previous: tuple[tuple[tuple[str, str], ...], dict[str, CapabilityStatus]] | None = None,
                  ) -> tuple[tuple[tuple[str, str], ...], dict[str, CapabilityStatus]]:
        """(which (requirement, run) pairs were pooled, the statuses). When they are the pairs of
        ``previous`` (today's record pools what the last day's point pooled, unless something expired
        since), its statuses are handed back instead of being judged a second time."""
        oldest = as_of - timedelta(days=self.model.scoring.expires_after_days)
        pooled: dict[str, list[tuple[str, list[CheckSeen]]]] = {}
        for (rid, _), (day, run_id, checks) in sorted(latest.items(), key=lambda item: item[0]):
            if day >= oldest:
                pooled.setdefault(rid, []).append((run_id, checks))
        key = tuple((rid, run_id) for rid, items in pooled.items() for run_id, _ in items)
        if previous is not None and previous[0] == key:
            return previous
        out = {}
        for capability in self.model.capabilities.values():
            parts = [self._status(rid, pooled[rid]) if rid in pooled else self._none(rid)
                     for rid in capability.requirements]
            out[capability.id] = _combine(capability, parts)
        return key, out

    def _none(self, rid: str) -> RequirementStatus:
        """A requirement with no evidence run: one status per organisation, not one per day."""
        found = self.empty.get(rid)
        if found is None:
            found = self.empty[rid] = RequirementStatus(self.model.requirements[rid], "no evidence", [])
        return found

    def _status(self, rid: str, items: list[tuple[str, list[CheckSeen]]]) -> RequirementStatus:
        key = (rid, tuple(run_id for run_id, _ in items))
        if key not in self.judged:
            seen = [c for _, checks in items for c in checks]
            self.judged[key] = RequirementStatus(self.model.requirements[rid], _judge(seen, self.model), seen)
        return self.judged[key]


def _latest_claims(claims: list[SelfAssessment], ods_code: str) -> dict[str, SelfAssessment]:
    latest: dict[str, SelfAssessment] = {}
    for claim in sorted((c for c in claims if c.ods_code == ods_code), key=lambda c: c.assessed_on):
        latest[claim.capability] = claim
    return latest


def org_record(org: Organisation, runs: list[RunOutcomes], assessments: list[SelfAssessment],
               model: CapabilityModel, today: date) -> OrgRecord:
    """Per capability: the status by the evidence as of ``today``, the runs and outcomes behind it, the
    organisation's latest claim, and whether the evidence contradicts it; and the status over time
    (one point per day on which a run of the organisation finished)."""
    evidence = _Evidence([r for r in runs if r.ods_code == org.ods_code], model)
    points, current = evidence.walk(today)
    claims = _latest_claims(assessments, org.ods_code)
    for status in current.values():
        status.claim = claims.get(status.capability.id)
        if status.claim is not None:
            status.contradicted = status.status in model.scoring.audit.get(status.claim.claim, ())
    history: dict[str, list[tuple[str, str]]] = {c: [] for c in model.capabilities}
    for day, statuses in points:
        for cid, status in statuses.items():
            history[cid].append((day.isoformat(), status.status))
    return OrgRecord(org, today.isoformat(), list(current.values()), history)


@dataclass
class FootprintRecord:
    footprint: Footprint
    members: list[OrgRecord]
    slowest: dict[str, tuple[str, str]]  # capability -> (status, ODS code of the first slowest member)
    laggard_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # capability -> every slowest member
    missing: tuple[str, ...] = ()  # members named by the footprint with no record (counted as no evidence)

    @property
    def code(self) -> str:
        return self.footprint.code

    @property
    def name(self) -> str:
        return self.footprint.name

    def status(self, capability_id: str) -> str:
        return self.slowest[capability_id][0]

    def statuses(self) -> dict[str, str]:
        return {c: s for c, (s, _) in self.slowest.items()}

    def laggards(self, capability_id: str) -> tuple[str, ...]:
        """Every member not yet met on the capability, slowest first (a member with no record: no evidence),
        not only the slowest: a roadmap must name everyone who has work to do."""
        ranked = [(r.status(capability_id), r.code) for r in self.members] + [("no evidence", m) for m in self.missing]
        return tuple(code for status, code in sorted(ranked, key=lambda x: (RANK[x[0]], x[1])) if status != "met")

    def member_status(self, ods_code: str, capability_id: str) -> str:
        record = next((r for r in self.members if r.code == ods_code), None)
        return record.status(capability_id) if record is not None else "no evidence"


def footprint_record(footprint: Footprint, org_records: list[OrgRecord],
                     model: CapabilityModel | None = None) -> FootprintRecord:
    """Each capability's slowest member. "No evidence" is slowest (nothing shows the capability is in
    place), and a member with no record at all counts as no evidence. Ties name every tied member."""
    members = [r for r in org_records if r.code in footprint.members]
    missing = tuple(m for m in footprint.members if m not in {r.code for r in members})
    if model is not None:
        capabilities = list(model.capabilities)
    else:
        capabilities = list(dict.fromkeys(c.capability.id for r in members for c in r.capabilities))
    slowest: dict[str, tuple[str, str]] = {}
    laggards: dict[str, tuple[str, ...]] = {}
    for capability in capabilities:
        ranked = [(r.status(capability), r.code) for r in members] + [("no evidence", m) for m in missing]
        if not ranked:
            slowest[capability], laggards[capability] = ("no evidence", ""), ()
            continue
        low = min(RANK[s] for s, _ in ranked)
        tied = tuple(sorted(code for s, code in ranked if RANK[s] == low))
        slowest[capability] = (next(s for s, _ in ranked if RANK[s] == low), tied[0])
        laggards[capability] = tied
    return FootprintRecord(footprint, members, slowest, laggards, missing)
