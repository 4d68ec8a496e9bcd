"""Fixtures shared across the tests: a PostgreSQL server for the store tests (started once, stopped by pid)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import fresh_database, postgres_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store on SQLite (a file) and on PostgreSQL (a fresh database per test)."""
    if request.param == "sqlite":
        (tmp_path / "store").mkdir(exist_ok=True)
        return f"sqlite:///{tmp_path / 'store' / 'conformance.db'}"
    server: str = request.getfixturevalue("pg_server")
    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.originalname.lower())[:40] + "_" + uuid.uuid4().hex[:8]
    return fresh_database(server, name)
