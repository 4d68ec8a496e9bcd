"""A comparison carries the buyer's own weighted requirements (a requirements file's TOML text; "" = the
shipped example set), so a procurement panel judges the systems against what it asked for.

Revision ID: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comparisons") as batch:
        batch.add_column(sa.Column("requirements", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("comparisons") as batch:
        batch.drop_column("requirements")
