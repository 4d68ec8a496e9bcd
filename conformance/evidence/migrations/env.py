"""Alembic environment: migrations run on the connection the store hands over (no alembic.ini, no logging set-up)."""

from alembic import context

from conformance.evidence.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
