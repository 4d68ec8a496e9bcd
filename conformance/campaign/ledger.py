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
import random
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from conformance.errors import ConfigError
from conformance.evidence.store import EvidenceStore, StoreError, now_iso

PENDING, RUNNING, COMPLETE, ABORTED = "pending", "running", "complete", "aborted"
SETTLED = frozenset({COMPLETE, ABORTED})
SQLITE_NEEDED = (3, 35, 0)  # the claim and the settle use RETURNING, which SQLite has from 3.35
RETRIES = 4  # a claim PostgreSQL aborted as a deadlock or serialization failure is run again this often
RETRY_STATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
BATCH = 500  # targets a statement (enrol, claim): bounded parameters, whatever the campaign's size

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


# The settle as one fixed text (the same on PostgreSQL and SQLite): built by SQLAlchemy's constructs it
# cost the worker about 1 ms of CPU a target to compile, more than the statement cost the server.
SETTLE = sa.text(
    "INSERT INTO campaign_targets (campaign, target, attempt, status, run_id, reason, updated) "
    "VALUES (:campaign, :target, :attempt, :status, :run_id, :reason, :updated) "
    "ON CONFLICT (campaign, target) DO UPDATE SET status = excluded.status, run_id = excluded.run_id, "
    "reason = excluded.reason, updated = excluded.updated, attempt = CASE WHEN campaign_targets.attempt > "
    "excluded.attempt THEN campaign_targets.attempt ELSE excluded.attempt END "
    f"WHERE campaign_targets.status NOT IN ({', '.join(repr(s) for s in sorted(SETTLED))}) RETURNING attempt")


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
    return f"{_run_prefix(campaign, target)}{attempt}"


def _run_prefix(campaign: str, target: str) -> str:
    digest = hashlib.sha256(f"{campaign}\0{target}".encode()).hexdigest()[:16]
    return f"campaign-{digest}-a"


def require_returning(store: EvidenceStore, version: str | None = None) -> None:
    """Stop with one line, not a SQL syntax error mid-campaign, when the store is on a SQLite too old for
    RETURNING (``version``: the library's, sqlite3.sqlite_version unless a test gives one)."""
    if store.backend != "sqlite":
        return
    found = version or sqlite3.sqlite_version
    if tuple(int(p) for p in found.split(".")[:3]) < SQLITE_NEEDED:
        raise ConfigError(f"campaigns need SQLite >= {'.'.join(map(str, SQLITE_NEEDED))} for the evidence store "
                          f"(this Python's sqlite3 is built with {found}): use a newer Python or a PostgreSQL "
                          "store (--store postgresql://...)")


def enrol(store: EvidenceStore, campaign: str, targets: list[str]) -> None:
    """Add every target as ``pending`` (those already known keep their state: a resumed campaign)."""
    require_returning(store)
    stamp = now_iso()
    targets = sorted(set(targets))  # rows locked in one order by every process: no deadlock between enrols
    with store.transaction(f"enrol campaign {campaign}") as session:
        for start in range(0, len(targets), BATCH):
            rows = [{"campaign": campaign, "target": t, "attempt": 0, "status": PENDING, "run_id": "", "reason": "",
                     "updated": stamp} for t in targets[start:start + BATCH]]
            if rows:
                session.execute(_insert(store, rows).on_conflict_do_nothing())


def claim(store: EvidenceStore, campaign: str, target: str) -> int | None:
    """Start the next attempt of ``target``; its number, or None when the target is already settled."""
    return claim_many(store, campaign, [target]).get(target)


def claim_many(store: EvidenceStore, campaign: str, targets: list[str]) -> dict[str, int]:
    """Start the next attempt of each target not settled (one not enrolled yet is added): target -> attempt.

    One statement for them all (an upsert that takes each row's lock and skips settled rows): a claim was
    a transaction of four statements and a pool ping per target, on a server the workers share. The rows
    are taken in sorted order (two processes claiming overlapping targets would otherwise deadlock on
    PostgreSQL), and a transaction PostgreSQL aborted as a deadlock or serialization failure (a settle
    holding a row while it waits for the seal log's lock can still close a cycle) is tried again.
    """
    require_returning(store)
    targets = sorted(set(targets))
    for tries in range(RETRIES + 1):
        try:
            return _claim_many(store, campaign, targets)
        except StoreError as exc:
            if tries == RETRIES or not retryable(exc):
                raise
            time.sleep(0.01 * 2 ** tries * (0.5 + random.random()))
    raise AssertionError("unreachable")


def retryable(exc: BaseException) -> bool:
    """Whether a store error was PostgreSQL aborting a transaction that would succeed if run again
    (deadlock detected, serialization failure): the driver's error is the StoreError's context."""
    seen: BaseException | None = exc
    while seen is not None:
        orig = getattr(seen, "orig", None)
        if getattr(orig, "sqlstate", None) in RETRY_STATES or getattr(orig, "pgcode", None) in RETRY_STATES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _claim_many(store: EvidenceStore, campaign: str, targets: list[str]) -> dict[str, int]:
    claimed: dict[str, int] = {}
    with store.transaction(f"claim {len(targets)} target(s) in campaign {campaign}") as session:
        for start in range(0, len(targets), BATCH):
            batch = targets[start:start + BATCH]
            stamp = now_iso()
            statement = _insert(store, [{"campaign": campaign, "target": t, "attempt": 1, "status": RUNNING,
                                         "run_id": run_id(campaign, t, 1), "reason": "", "updated": stamp}
                                        for t in batch])
            prefix = sa.case({t: _run_prefix(campaign, t) for t in batch}, value=TABLE.c.target)
            statement = statement.on_conflict_do_update(
                index_elements=["campaign", "target"],
                set_={"attempt": TABLE.c.attempt + 1, "status": RUNNING, "updated": stamp,
                      "run_id": prefix + sa.cast(TABLE.c.attempt + 1, sa.String)},
                where=TABLE.c.status.not_in(sorted(SETTLED)))
            for target, attempt in session.execute(statement.returning(TABLE.c.target, TABLE.c.attempt)):
                claimed[str(target)] = int(attempt)
    return claimed


def settle_guard(store: EvidenceStore, campaign: str, target: str, attempt: int, status: str,
                 reason: str = "") -> Any:
    """The ``guard`` for finish_run: marks the target settled by this attempt's run, in the run's transaction.

    One statement: the row is written only if no attempt settled it (its lock held to the commit, so a
    concurrent attempt waits and then finds it settled); a read follows only when it was, for the message.
    """
    require_returning(store)

    def guard(session: Session) -> None:
        values = {"campaign": campaign, "target": target, "attempt": attempt, "status": status,
                  "run_id": run_id(campaign, target, attempt), "reason": reason, "updated": now_iso()}
        if session.execute(SETTLE, values).first() is None:
            row = session.execute(sa.select(TABLE.c.run_id, TABLE.c.status).where(_key(campaign, target))).first()
            raise AlreadySettled(f"{target}: already settled by run {row.run_id if row else '?'} "
                                 f"({row.status if row else '?'})")

    return guard


def unsettled(store: EvidenceStore, campaign: str) -> list[str]:
    """The campaign's targets not settled yet (what a dispatcher waits on: only those rows are read)."""
    with store.transaction(f"read campaign {campaign}") as session:
        return [str(t) for t in session.scalars(sa.select(TABLE.c.target).where(
            TABLE.c.campaign == campaign, TABLE.c.status.not_in(sorted(SETTLED))))]


def entries(store: EvidenceStore, campaign: str) -> list[Entry]:
    with store.transaction(f"read campaign {campaign}") as session:
        rows = session.execute(sa.select(TABLE).where(TABLE.c.campaign == campaign)
                               .order_by(TABLE.c.target)).all()
        return [Entry(r.campaign, r.target, r.attempt, r.status, r.run_id, r.reason, r.updated) for r in rows]


def _key(campaign: str, target: str) -> Any:
    return sa.and_(TABLE.c.campaign == campaign, TABLE.c.target == target)


def _insert(store: EvidenceStore, rows: list[dict[str, Any]]) -> Any:
    """A multi-row INSERT of the store's dialect (its ON CONFLICT clauses differ by name only)."""
    return (pg_insert if store.backend == "postgresql" else sqlite_insert)(TABLE).values(rows)
