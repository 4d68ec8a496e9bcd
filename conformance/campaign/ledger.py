"""The campaign ledger in the evidence store: which attempt each target is on, and the run that settled it.

Run key = (campaign, target, attempt); the run id is derived from it, so a run is named before it
starts. :func:`claim` starts the next attempt of a target unless the target is already settled;
:func:`settle_guard` is called inside the transaction that stores the run (EvidenceStore.finish_run's
``guard``): it refuses (:class:`AlreadySettled`) when another attempt settled the target first, so
exactly one complete or aborted run per target per campaign is ever kept, whatever the broker
redelivers. A killed worker leaves its target ``running`` with nothing stored (campaign runs are stored
only when they finish); the next ``campaign run`` (or the broker's redelivery) claims it again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from conformance.evidence.store import EvidenceStore, now_iso

PENDING, RUNNING, COMPLETE, ABORTED = "pending", "running", "complete", "aborted"
SETTLED = frozenset({COMPLETE, ABORTED})

TABLE = sa.Table(
    "campaign_targets", sa.MetaData(),
    sa.Column("campaign", sa.String(128), primary_key=True),
    sa.Column("target", sa.String(255), primary_key=True),
    sa.Column("attempt", sa.Integer, nullable=False, default=0),
    sa.Column("status", sa.String(16), nullable=False, default=PENDING),
    sa.Column("run_id", sa.String(128), nullable=False, default=""),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("updated", sa.String(40), nullable=False, default=""),
)  # created by migration 0004


class AlreadySettled(Exception):
    """Another attempt of this target already stored its run: this one is discarded, not stored."""


@dataclass(frozen=True)
class Entry:
    campaign: str
    target: str
    attempt: int
    status: str
    run_id: str
    reason: str
    updated: str


def run_id(campaign: str, target: str, attempt: int) -> str:
    """The run id of an attempt: stable, so a retried store of the same attempt is recognised."""
    digest = hashlib.sha256(f"{campaign}\0{target}".encode()).hexdigest()[:16]
    return f"campaign-{digest}-a{attempt}"


def enrol(store: EvidenceStore, campaign: str, targets: list[str]) -> None:
    """Add every target as ``pending`` (those already known keep their state: a resumed campaign)."""
    with store.transaction(f"enrol campaign {campaign}") as session:
        for target in targets:
            store.insert_ignore(session, TABLE, {"campaign": campaign, "target": target, "attempt": 0,
                                                 "status": PENDING, "run_id": "", "reason": "", "updated": now_iso()})


def claim(store: EvidenceStore, campaign: str, target: str) -> int | None:
    """Start the next attempt of ``target``; its number, or None when the target is already settled."""
    with store.transaction(f"claim {target} in campaign {campaign}") as session:
        row = _locked(session, store, campaign, target)
        if row is None:
            store.insert_ignore(session, TABLE, {"campaign": campaign, "target": target, "attempt": 0,
                                                 "status": PENDING, "run_id": "", "reason": "", "updated": ""})
            row = _locked(session, store, campaign, target)
        if row is None or row.status in SETTLED:
            return None
        attempt = int(row.attempt) + 1
        session.execute(sa.update(TABLE).where(_key(campaign, target))
                        .values(attempt=attempt, status=RUNNING, run_id=run_id(campaign, target, attempt),
                                updated=now_iso()))
        return attempt


def settle_guard(store: EvidenceStore, campaign: str, target: str, attempt: int, status: str,
                 reason: str = "") -> Any:
    """The ``guard`` for finish_run: marks the target settled by this attempt's run, in the run's transaction."""

    def guard(session: Session) -> None:
        row = _locked(session, store, campaign, target)
        if row is not None and row.status in SETTLED:
            raise AlreadySettled(f"{target}: already settled by run {row.run_id} ({row.status})")
        session.execute(sa.update(TABLE).where(_key(campaign, target))
                        .values(attempt=max(attempt, int(row.attempt) if row else 0), status=status,
                                run_id=run_id(campaign, target, attempt), reason=reason, updated=now_iso()))

    return guard


def entries(store: EvidenceStore, campaign: str) -> list[Entry]:
    with store.transaction(f"read campaign {campaign}") as session:
        rows = session.execute(sa.select(TABLE).where(TABLE.c.campaign == campaign)
                               .order_by(TABLE.c.target)).all()
        return [Entry(r.campaign, r.target, r.attempt, r.status, r.run_id, r.reason, r.updated) for r in rows]


def _key(campaign: str, target: str) -> Any:
    return sa.and_(TABLE.c.campaign == campaign, TABLE.c.target == target)


def _locked(session: Session, store: EvidenceStore, campaign: str, target: str) -> Any:
    """The row, locked until the transaction ends (PostgreSQL FOR UPDATE; SQLite's writer lock already)."""
    query = sa.select(TABLE).where(_key(campaign, target))
    if store.backend == "postgresql":
        query = query.with_for_update()
    return session.execute(query).first()
