"""Bring a store's schema to this version with Alembic, under a lock, before anything else touches it.

Three starting points: an empty database (create everything through the migrations), a store this
project's first release made without Alembic (its tables match revision 0001: stamp, then upgrade),
and a store already under Alembic (upgrade). Anything else is someone else's database: refused.
Concurrent openers are serialised (SQLite: the write lock of BEGIN IMMEDIATE; PostgreSQL: an advisory
lock), so two runners starting on a new store do not both create it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_TABLES = {"runs", "outcomes", "evidence"}
ADVISORY_LOCK = 7_340_122  # an arbitrary constant naming "the conformance store's schema"


class SchemaError(Exception):
    """The database holds something that is not (a version of) this store."""


def _config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str:
    revision = ScriptDirectory.from_config(_config(None)).get_current_head()  # type: ignore[arg-type]
    return str(revision)


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(conn: Connection) -> tuple[str | None, str]:
    """Migrate to head inside the caller's transaction; returns (revision before, revision after)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    tables = set(inspect(conn).get_table_names())
    before = current(conn) if "alembic_version" in tables else None
    cfg = _config(conn)
    if before is None and tables & FIRST_TABLES:
        if not FIRST_TABLES <= tables:
            raise SchemaError(f"has tables {', '.join(sorted(tables & FIRST_TABLES))} but not the rest of a "
                              "conformance store")
        _check_first_release(conn)
        command.stamp(cfg, "0001")
        before = "0001"
    elif before is None and tables - {"alembic_version"}:
        raise SchemaError(f"holds other tables ({', '.join(sorted(tables)[:5])}): not a conformance store")
    command.upgrade(cfg, "head")
    after = current(conn)
    if after != head():
        raise SchemaError(f"is at schema revision {after}, this version needs {head()}")
    return before, after


def _check_first_release(conn: Connection) -> None:
    wanted = {"runs": {"id", "started", "finished", "target", "ods_code", "status"},
              "outcomes": {"id", "run_id", "check_id", "status"},
              "evidence": {"id", "outcome_id", "kind", "summary", "data", "sha256"}}
    inspector: Any = inspect(conn)
    for table, columns in wanted.items():
        have = {c["name"] for c in inspector.get_columns(table)}
        if not columns <= have:
            raise SchemaError(f"table {table!r} is not this store's (missing columns: "
                              f"{', '.join(sorted(columns - have))})")
