"""The service's accounts (issue 22): users, scoped role grants, web sessions, API tokens, sign-in
failures (the rate limit), named comparisons shared with procurement panels, validations done in
the pages (each at a permanent address), and assessors' attestations and disputes of verdicts.

Passwords are argon2 hashes; session ids and API tokens are stored only as SHA-256 digests.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("users",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(128), nullable=False, unique=True),
                    sa.Column("password_hash", sa.Text, nullable=False),
                    sa.Column("created", sa.String(40), nullable=False),
                    sa.Column("disabled", sa.Boolean, nullable=False))
    op.create_table("user_grants",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                              index=True),
                    sa.Column("role", sa.String(32), nullable=False),
                    sa.Column("scope", sa.String(255), nullable=False),
                    sa.UniqueConstraint("user_id", "role", "scope"))
    op.create_table("web_sessions",
                    sa.Column("id_sha256", sa.String(64), primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                              index=True),
                    sa.Column("csrf", sa.String(64), nullable=False),
                    sa.Column("created", sa.Float, nullable=False),
                    sa.Column("expires", sa.Float, nullable=False))
    op.create_table("api_tokens",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                              index=True),
                    sa.Column("label", sa.Text, nullable=False),
                    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
                    sa.Column("scopes", sa.JSON, nullable=False),
                    sa.Column("created", sa.String(40), nullable=False),
                    sa.Column("revoked", sa.String(40), nullable=False))
    op.create_table("login_failures",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("key", sa.String(200), nullable=False, index=True),
                    sa.Column("at", sa.Float, nullable=False))
    op.create_table("comparisons",
                    sa.Column("name", sa.String(128), primary_key=True),
                    sa.Column("title", sa.Text, nullable=False),
                    sa.Column("run_ids", sa.JSON, nullable=False))
    op.create_table("validations",
                    sa.Column("id", sa.String(32), primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                              index=True),
                    sa.Column("kind", sa.String(16), nullable=False),
                    sa.Column("input", sa.Text, nullable=False),
                    sa.Column("valid", sa.Boolean, nullable=False),
                    sa.Column("outcome", sa.JSON, nullable=False),
                    sa.Column("created", sa.String(40), nullable=False))
    op.create_table("attestations",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("run_id", sa.String(128), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False,
                              index=True),
                    sa.Column("check_id", sa.String(255), nullable=False),
                    sa.Column("action", sa.String(16), nullable=False),
                    sa.Column("reason", sa.Text, nullable=False),
                    sa.Column("by", sa.String(128), nullable=False),
                    sa.Column("at", sa.String(40), nullable=False))


def downgrade() -> None:
    for table in ("attestations", "validations", "comparisons", "login_failures", "api_tokens", "web_sessions",
                  "user_grants", "users"):
        op.drop_table(table)
