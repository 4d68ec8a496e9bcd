"""Each test starts with an empty run secret set, as each CLI run does in its own process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.scrub import RUN


@pytest.fixture(autouse=True)
def fresh_secret_set() -> Iterator[None]:
    RUN.reset()
    yield
    RUN.reset()
