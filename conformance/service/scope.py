"""The tenancy rule: what a signed-in person (or a token) may see. Every route asks :func:`require`
or filters with :func:`run_clause`; whatever is outside the scope answers 404, exactly as if it did not
exist, so probing ids reveals nothing.

- admin, national viewer: everything (read-only in this slice);
- commissioner of a footprint: the footprint, its members' records and their runs;
- member or lead of an organisation: its record and its runs;
- supplier: the runs of its vendor's systems (not the organisations' records);
- assessor: the footprint or organisation assigned, as a commissioner or member sees it;
- procurement panel: the runs of its named comparison;
- a validation done in the pages: its author (and admins) only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from conformance.evidence.schema import FootprintMemberRow, FootprintRow, OrganisationRow, RunRow, SystemRow
from conformance.evidence.store import EvidenceStore
from conformance.service.auth import Principal
from conformance.service.tables import ComparisonRow, ValidationRow

KINDS = ("footprint", "organisation", "run", "comparison", "validation")


class NotVisible(Exception):
    """Outside the principal's scope, or absent: the two are not told apart (404)."""


@dataclass(frozen=True)
class Scope:
    everything: bool
    footprints: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    vendors: frozenset[str] = frozenset()
    comparisons: frozenset[str] = frozenset()
    runs: frozenset[str] = frozenset()
    user_id: int = 0  # whose validations are theirs
    admin: bool = False


def scope_of(store: EvidenceStore, principal: Principal) -> Scope:
    """The principal's grants turned into sets of things it may see (a footprint brings its members)."""
    everything = any(g.role in ("admin", "national") for g in principal.grants)
    wanted = {kind: {g.value for g in principal.grants if g.kind == kind}
              for kind in ("footprint", "organisation", "vendor", "comparison")}
    with store.transaction("read a scope") as session:
        members = set(session.scalars(select(FootprintMemberRow.ods_code).where(
            FootprintMemberRow.footprint_code.in_(wanted["footprint"]))))
        runs = {r for c in session.scalars(select(ComparisonRow).where(ComparisonRow.name.in_(wanted["comparison"])))
                for r in c.run_ids}
    return Scope(everything, frozenset(wanted["footprint"]), frozenset(wanted["organisation"] | members),
                 frozenset(wanted["vendor"]), frozenset(wanted["comparison"]), frozenset(runs), principal.user_id,
                 any(g.role == "admin" for g in principal.grants))


def run_clause(scope: Scope) -> ColumnElement[bool]:
    """The runs a scope sees, over ``runs`` outer-joined to ``systems`` (see :func:`runs_query`)."""
    if scope.everything:
        return true()
    parts = [RunRow.ods_code.in_(scope.organisations), SystemRow.vendor.in_(scope.vendors), RunRow.id.in_(scope.runs)]
    return or_(false(), *parts)


def runs_query(scope: Scope) -> Select[RunRow, SystemRow]:
    """SELECT runs (with their system) that the scope sees; callers add order and filters."""
    return (select(RunRow, SystemRow).outerjoin(SystemRow, SystemRow.id == RunRow.system_id)
            .where(run_clause(scope)))


def visible(store: EvidenceStore, scope: Scope, kind: str, key: str) -> bool:
    """Whether the thing exists and the scope sees it."""
    with store.transaction(f"look up {kind} {key}") as session:
        if kind == "footprint":
            return session.get(FootprintRow, key) is not None and (scope.everything or key in scope.footprints)
        if kind == "organisation":
            return session.get(OrganisationRow, key) is not None and (scope.everything or key in scope.organisations)
        if kind == "run":
            return session.execute(runs_query(scope).where(RunRow.id == key)).first() is not None
        if kind == "comparison":
            return session.get(ComparisonRow, key) is not None and (scope.everything or key in scope.comparisons)
        if kind == "validation":  # a validation is its author's (inputs may be anyone's data): and an admin's
            row = session.get(ValidationRow, key)
            return row is not None and (row.user_id == scope.user_id or scope.admin)
    raise ValueError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")


def may_assess(who: Principal, ods_code: str) -> bool:
    """Whether the principal may record the organisation's self-assessment: its lead, or an admin."""
    return any(g.role == "admin" or (g.role == "lead" and g.kind == "organisation" and g.value == ods_code)
               for g in who.grants)


def may_attest(store: EvidenceStore, who: Principal, ods_code: str) -> bool:
    """Whether the principal may attest or dispute verdicts about an organisation's runs: an assessor
    of the organisation or of a footprint it belongs to, or an admin."""
    if any(g.role == "admin" for g in who.grants):
        return True
    mine = [g for g in who.grants if g.role == "assessor"]
    if any(g.kind == "organisation" and g.value == ods_code for g in mine):
        return True
    footprints = {g.value for g in mine if g.kind == "footprint"}
    if not footprints:
        return False
    with store.transaction("check an assessor's footprints") as session:
        return session.scalars(select(FootprintMemberRow.ods_code).where(
            FootprintMemberRow.footprint_code.in_(footprints), FootprintMemberRow.ods_code == ods_code)).first() \
            is not None


def require(store: EvidenceStore, scope: Scope, kind: str, key: str) -> None:
    """Raise :class:`NotVisible` (the app answers 404) unless the scope sees the thing."""
    if not visible(store, scope, kind, key):
        raise NotVisible(f"no {kind} {key!r}")
