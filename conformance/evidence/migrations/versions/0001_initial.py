"""The first released schema: runs, outcomes, evidence (evidence data inline as JSON).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("started", sa.String(40), nullable=False),
        sa.Column("finished", sa.String(40), nullable=False),
        sa.Column("target_name", sa.Text, nullable=False),
        sa.Column("target", sa.JSON, nullable=False),
        sa.Column("ods_code", sa.String(32), nullable=False, index=True),
        sa.Column("harness_version", sa.String(64), nullable=False),
        sa.Column("suites", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("check_id", sa.String(255), nullable=False),
        sa.Column("suite", sa.String(128), nullable=False),
        sa.Column("group_name", sa.String(255), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("required", sa.Boolean, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("requirements", sa.JSON, nullable=False),
        sa.Column("capabilities", sa.JSON, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.UniqueConstraint("run_id", "check_id"),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("outcome_id", sa.Integer, sa.ForeignKey("outcomes.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("evidence")
    op.drop_table("outcomes")
    op.drop_table("runs")
