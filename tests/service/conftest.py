"""Fixtures of the service tests: the world (tests/service/world.py) built once per module in a SQLite
store, the app over it, a session per user and a token per user, all without a network."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from conformance.evidence.store import EvidenceStore
from conformance.service import accounts
from conformance.service.app import create_app
from conformance.service.auth import create_token, sign_in
from tests.service.world import PASSWORD, USERS, build, sqlite_url

# The same argon2id, at a cost that keeps the suite fast; the production parameters are tested on their own.
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Clock:
    """A clock the tests move by hand (the sign-in rate limit's window)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def cheap_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", CHEAP)
        yield


@pytest.fixture(scope="module")
def world_url(tmp_path_factory: pytest.TempPathFactory, cheap_hashing: None) -> str:
    url = sqlite_url(tmp_path_factory.mktemp("service"))
    build(url)
    return url


@pytest.fixture(scope="module")
def store(world_url: str) -> Iterator[EvidenceStore]:
    with EvidenceStore(world_url, find_key=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def app(store: EvidenceStore, clock: Clock) -> FastAPI:
    return create_app(store, clock=clock)


@pytest.fixture(scope="module")
def sessions(store: EvidenceStore, clock: Clock) -> dict[str, str]:
    """A session id per user of the world."""
    return {name: sign_in(store, name, PASSWORD, "192.0.2.1", clock)[0] for name in USERS}


@pytest.fixture(scope="module")
def tokens(store: EvidenceStore) -> dict[str, str]:
    return {name: create_token(store, name)[1] for name in USERS}
