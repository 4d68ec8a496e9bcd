"""Attestations in the signed record, and attestations of self-assessment claims.

``attestations`` gains ``assessment_id`` (a claim's attestation has no run: ``run_id`` becomes
nullable), ``subject`` (the sealed outcome's digest, or a copy of the claim), ``digest``, ``log_index``
(its place in the store-wide log, after every seal already there) and the signature columns.
Attestations already stored are sealed here, in id order, unsigned (no key is at hand in a migration):
they verify as "unsigned, integrity only", as seals made before 0003 do.

Revision ID: 0007
"""

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FIELDS = ("id", "run_id", "check_id", "assessment_id", "action", "reason", "by", "at", "subject")


def _digest(values: dict[str, Any]) -> str:
    # As attestations.digest (schema.canonical_json), frozen here so this migration never changes meaning.
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("attestations") as batch:
        batch.alter_column("run_id", existing_type=sa.String(128), nullable=True)
        batch.add_column(sa.Column("assessment_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("subject", sa.JSON, nullable=True))
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("log_index", sa.Integer, nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))
        batch.add_column(sa.Column("public_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("signature", sa.String(128), nullable=True))
        batch.create_foreign_key("fk_attestations_assessment", "assessments", ["assessment_id"], ["id"])
        batch.create_index("ix_attestations_assessment_id", ["assessment_id"])
        batch.create_unique_constraint("uq_attestations_log_index", ["log_index"])
    conn = op.get_bind()
    said = sa.table("attestations", *(sa.column(c, sa.JSON if c == "subject" else None)
                                      for c in (*FIELDS, "digest", "log_index")))
    seals = sa.table("seals", sa.column("run_id"), sa.column("items", sa.JSON), sa.column("log_index"))
    top = conn.execute(sa.select(sa.func.max(seals.c.log_index))).scalar()
    index = -1 if top is None else int(top)
    for row in conn.execute(sa.select(*(said.c[c] for c in FIELDS)).order_by(said.c.id)).mappings().all():
        items = conn.execute(sa.select(seals.c["items"]).where(seals.c.run_id == row["run_id"])).scalar()
        found = [i[1] for i in items or [] if i[0] == row["check_id"]]
        subject = {"run": row["run_id"], "check": row["check_id"], "outcome_digest": found[0] if found else ""}
        index += 1
        values = {**dict(row), "assessment_id": None, "subject": subject}
        conn.execute(sa.update(said).where(said.c.id == row["id"])
                     .values(subject=subject, digest=_digest(values), log_index=index))
    with op.batch_alter_table("attestations") as batch:
        batch.alter_column("subject", existing_type=sa.JSON, nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM attestations WHERE run_id IS NULL")
    with op.batch_alter_table("attestations") as batch:
        batch.drop_constraint("uq_attestations_log_index", type_="unique")
        batch.drop_index("ix_attestations_assessment_id")
        batch.drop_constraint("fk_attestations_assessment", type_="foreignkey")
        for column in ("signature", "public_key", "fingerprint", "log_index", "digest", "subject", "assessment_id"):
            batch.drop_column(column)
        batch.alter_column("run_id", existing_type=sa.String(128), nullable=False)
