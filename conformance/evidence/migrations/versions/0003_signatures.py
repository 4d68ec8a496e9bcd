"""Seal signatures and the global log index.

Every seal gets ``log_index``, its place in the store-wide append-only log (unique, so two writers can
never take the same place). Seals already stored are numbered in the order the log used before (sealing
time, then run id), so checkpoints published before this migration stay consistent with the store.
``signatures`` holds the operator's Ed25519 signature of each seal written from now on; seals sealed
before it have none and verify as "unsigned, integrity only".

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("seals", sa.Column("log_index", sa.Integer, nullable=True))
    seals = sa.table("seals", sa.column("run_id"), sa.column("sealed_at"), sa.column("log_index"))
    conn = op.get_bind()
    order = conn.execute(sa.select(seals.c.run_id).order_by(seals.c.sealed_at, seals.c.run_id)).scalars().all()
    for index, run_id in enumerate(order):
        conn.execute(sa.update(seals).where(seals.c.run_id == run_id).values(log_index=index))
    # On SQLite this re-creates ``seals``: safe, no table refers to it yet (``signatures`` comes next).
    with op.batch_alter_table("seals") as batch:
        batch.alter_column("log_index", existing_type=sa.Integer, nullable=False)
        batch.create_unique_constraint("uq_seals_log_index", ["log_index"])
    op.create_table("signatures",
                    sa.Column("run_id", sa.String(128), sa.ForeignKey("seals.run_id"), primary_key=True),
                    sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
                    sa.Column("public_key", sa.String(64), nullable=False),
                    sa.Column("signature", sa.String(128), nullable=False))


def downgrade() -> None:
    op.drop_table("signatures")
    with op.batch_alter_table("seals") as batch:
        batch.drop_constraint("uq_seals_log_index", type_="unique")
        batch.drop_column("log_index")
