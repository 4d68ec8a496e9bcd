"""Campaign ledger: one row per (campaign, target), the attempt it is on and the run that settled it.

A campaign keeps exactly one complete or aborted run per target (issue 23): the row is settled in the
same transaction that stores the run, so two attempts of one target (a worker presumed dead that was
only slow, a task redelivered by the broker) can never both be kept.

Revision ID: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("campaign_targets",
                    sa.Column("campaign", sa.String(128), primary_key=True),
                    sa.Column("target", sa.String(255), primary_key=True),
                    sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
                    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
                    sa.Column("run_id", sa.String(128), nullable=False, server_default=""),
                    sa.Column("reason", sa.Text, nullable=False, server_default=""),
                    sa.Column("updated", sa.String(40), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_table("campaign_targets")
