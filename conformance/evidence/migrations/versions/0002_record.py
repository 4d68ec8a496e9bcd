"""The record: organisations, footprints, systems, self-assessments, content-addressed evidence, seals.

Evidence data moves out of ``evidence.data`` into ``evidence_blobs`` (zlib of its canonical JSON,
keyed by the SHA-256 each evidence row already carried), and every complete run already stored is
sealed, in the order it was started, into its organisation's chain.

Revision ID: 0002
"""

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from conformance.evidence.schema import blob_content, plain
from conformance.evidence.seal import EVIDENCE_FIELDS, OUTCOME_FIELDS, RUN_FIELDS, outcome_digest, run_digest

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    op.create_table("organisations", sa.Column("ods_code", sa.String(32), primary_key=True),
                    sa.Column("name", sa.Text, nullable=False), sa.Column("kind", sa.String(32), nullable=False))
    op.create_table("footprints", sa.Column("code", sa.String(64), primary_key=True),
                    sa.Column("name", sa.Text, nullable=False))
    op.create_table("footprint_members",
                    sa.Column("footprint_code", sa.String(64), sa.ForeignKey("footprints.code", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("ods_code", sa.String(32), sa.ForeignKey("organisations.ods_code"), primary_key=True))
    op.create_table("systems", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("vendor", sa.String(255), nullable=False),
                    sa.Column("product", sa.String(255), nullable=False),
                    sa.Column("version", sa.String(128), nullable=False),
                    sa.UniqueConstraint("vendor", "product", "version"))
    op.create_table("system_endpoints",
                    sa.Column("system_id", sa.Integer, sa.ForeignKey("systems.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("kind", sa.String(32), primary_key=True), sa.Column("address", sa.Text, primary_key=True))
    op.create_table("assessments", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("ods_code", sa.String(32), sa.ForeignKey("organisations.ods_code"), nullable=False,
                              index=True),
                    sa.Column("capability", sa.String(128), nullable=False),
                    sa.Column("claim", sa.String(16), nullable=False),
                    sa.Column("assessed_on", sa.String(10), nullable=False),
                    sa.Column("note", sa.Text, nullable=False),
                    sa.UniqueConstraint("ods_code", "capability", "assessed_on"))
    op.create_table("roadmap_milestones",
                    sa.Column("footprint_code", sa.String(64), sa.ForeignKey("footprints.code", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("milestone", sa.String(128), primary_key=True),
                    sa.Column("target_date", sa.String(10), nullable=False))
    op.create_table("evidence_blobs", sa.Column("sha256", sa.String(64), primary_key=True),
                    sa.Column("size", sa.Integer, nullable=False), sa.Column("content", sa.LargeBinary, nullable=False))
    op.create_table("seals", sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id"), primary_key=True),
                    sa.Column("ods_code", sa.String(32), nullable=False, index=True),
                    sa.Column("sequence", sa.Integer, nullable=False),
                    sa.Column("previous_digest", sa.String(64), nullable=False),
                    sa.Column("digest", sa.String(64), nullable=False),
                    sa.Column("items", sa.JSON, nullable=False),
                    sa.Column("sealed_at", sa.String(40), nullable=False),
                    sa.UniqueConstraint("ods_code", "sequence"))
    # A plain ADD COLUMN, never a batch "recreate": on SQLite that drops and re-creates ``runs``, and with
    # foreign keys on (they must be, and cannot be switched off inside the migration's transaction) the
    # drop would cascade to every outcome and its evidence.
    # (SQLite cannot add the foreign-key constraint to an existing table: the column goes in without it.)
    sqlite = op.get_bind().dialect.name == "sqlite"
    references = () if sqlite else (sa.ForeignKey("systems.id", name="fk_runs_system"),)
    op.add_column("runs", sa.Column("system_id", sa.Integer, *references, nullable=True))
    conn = op.get_bind()
    _move_evidence(conn)
    with op.batch_alter_table("evidence") as batch:  # nothing refers to evidence rows: safe to re-create
        batch.drop_column("data")
        batch.create_index("ix_evidence_sha256", ["sha256"])
        batch.create_foreign_key("fk_evidence_blob", "evidence_blobs", ["sha256"], ["sha256"])
    _seal_existing(conn)


def _move_evidence(conn: sa.Connection) -> None:
    evidence = sa.table("evidence", sa.column("id"), sa.column("kind"), sa.column("summary"), sa.column("data"),
                        sa.column("sha256"))
    blobs = sa.table("evidence_blobs", sa.column("sha256"), sa.column("size"), sa.column("content"))
    seen: set[str] = set()
    for row in conn.execute(sa.select(evidence)).all():
        sha, content, size = blob_content(row.kind, row.summary, plain(_json(row.data)))
        if sha != row.sha256:
            conn.execute(sa.update(evidence).where(evidence.c.id == row.id).values(sha256=sha))
        if sha not in seen:
            seen.add(sha)
            conn.execute(sa.insert(blobs).values(sha256=sha, size=size, content=content))


def _seal_existing(conn: sa.Connection) -> None:
    meta = sa.MetaData()
    runs, outcomes, evidence, seals = (sa.Table(n, meta, autoload_with=conn)
                                       for n in ("runs", "outcomes", "evidence", "seals"))
    heads: dict[str, tuple[int, str]] = {}
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for run in conn.execute(sa.select(runs).where(runs.c.status == "complete")
                            .order_by(runs.c.started, runs.c.id)).mappings().all():
        rows = conn.execute(sa.select(outcomes).where(outcomes.c.run_id == run["id"])
                            .order_by(outcomes.c.position)).mappings().all()
        items = []
        for o in rows:
            ev = conn.execute(sa.select(evidence).where(evidence.c.outcome_id == o["id"])
                              .order_by(evidence.c.position)).mappings().all()
            fields = {k: _json(o[k]) if k in ("requirements", "capabilities", "metrics") else o[k]
                      for k in OUTCOME_FIELDS}
            fields["required"] = bool(fields["required"])  # SQLite hands back 0/1 here, the ORM a bool
            items.append({**fields,
                          "evidence": [{k: e[k] for k in EVIDENCE_FIELDS} for e in ev]})
        header = {k: _json(run[k]) if k in ("target", "suites", "summary") else run[k] for k in RUN_FIELDS}
        sequence, previous = heads.get(run["ods_code"], (0, ""))
        digests = [[o["check_id"], outcome_digest(o)] for o in items]
        digest = run_digest(header, sequence + 1, digests, previous, now)
        conn.execute(sa.insert(seals).values(run_id=run["id"], ods_code=run["ods_code"], sequence=sequence + 1,
                                             previous_digest=previous, digest=digest, items=digests, sealed_at=now))
        heads[run["ods_code"]] = (sequence + 1, digest)


def downgrade() -> None:
    raise NotImplementedError("the record schema is not downgraded: restore a backup taken before upgrading")



