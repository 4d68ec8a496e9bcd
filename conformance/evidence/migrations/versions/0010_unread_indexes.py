"""Two indexes no query reads, dropped: each was written for every outcome or evidence item stored
(issue 23: storing at >= 20,000 outcomes/s on PostgreSQL).

- ``ix_outcomes_run_id``: every lookup of a run's outcomes (reading a run, the record rebuild, packs,
  the service, the cascade from ``runs``) is served by the unique index on (run_id, check_id), whose
  first column it is.
- ``ix_evidence_sha256``: nothing looks evidence up by its content's digest; the foreign key to
  ``evidence_blobs`` is checked through the blobs' primary key. (It would serve deleting a blob, which
  nothing does: blobs are content-addressed and kept.)

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF EXISTS: a store the first release made (stamped 0001) may have named them otherwise or not at all.
    op.execute("DROP INDEX IF EXISTS ix_outcomes_run_id")
    op.execute("DROP INDEX IF EXISTS ix_evidence_sha256")


def downgrade() -> None:
    op.create_index("ix_outcomes_run_id", "outcomes", ["run_id"])
    op.create_index("ix_evidence_sha256", "evidence", ["sha256"])
