"""Registered targets and runs started from the service (issue 22).

A target's credentials are kept only as ciphertext under the service key (Fernet: AES-128-CBC with an
HMAC-SHA256), never in clear; a launch records who started which run against which target, and how far
it got, before the run itself reaches the ``runs`` table.

Revision ID: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("service_targets",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False, unique=True),
                    sa.Column("ods_code", sa.String(32), nullable=False, index=True),
                    sa.Column("vendor", sa.String(200), nullable=False),
                    sa.Column("product", sa.String(200), nullable=False),
                    sa.Column("fhir_url", sa.Text, nullable=False),
                    sa.Column("sandbox", sa.Boolean, nullable=False),
                    sa.Column("auth_type", sa.String(16), nullable=False),
                    sa.Column("secret", sa.Text, nullable=False),
                    sa.Column("created", sa.String(40), nullable=False),
                    sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"),
                              nullable=True))
    op.create_table("service_launches",
                    sa.Column("run_id", sa.String(64), primary_key=True),
                    sa.Column("target_id", sa.Integer, sa.ForeignKey("service_targets.id", ondelete="CASCADE"),
                              nullable=False, index=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
                    sa.Column("suites", sa.JSON, nullable=False),
                    sa.Column("select", sa.JSON, nullable=False),
                    sa.Column("state", sa.String(16), nullable=False),
                    sa.Column("message", sa.Text, nullable=False),
                    sa.Column("created", sa.String(40), nullable=False),
                    sa.Column("finished", sa.String(40), nullable=False))


def downgrade() -> None:
    op.drop_table("service_launches")
    op.drop_table("service_targets")
