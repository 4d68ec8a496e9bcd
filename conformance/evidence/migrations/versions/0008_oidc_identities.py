"""Identities at an OpenID provider, each registered for one account by an administrator
(`conformance users oidc NAME --issuer URL --subject SUB|--email ADDRESS`): OIDC sign-in maps to the
account and never creates one or grants a role.

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("oidc_identities",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                              index=True),
                    sa.Column("issuer", sa.String(255), nullable=False),
                    sa.Column("subject", sa.String(255), nullable=False),
                    sa.Column("email", sa.String(320), nullable=False),
                    sa.UniqueConstraint("issuer", "subject", "email"))


def downgrade() -> None:
    op.drop_table("oidc_identities")
