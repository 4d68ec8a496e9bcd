"""Attribute evidence to the check that produced it without threading a collector through every call.

The runner opens a collector around each check (a context variable, so concurrent checks on one event
loop keep theirs apart); transports call :func:`record` for every exchange they make. Evidence made
outside any check (suite set-up, clean-up) goes to the run-level collector if one is open.

:func:`record` is also the evidence seam of issue 18: every item any transport keeps is scrubbed here of
every secret the run knows (:data:`conformance.scrub.RUN`), so no transport can forget to.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from conformance.model import Evidence
from conformance.scrub import RUN

_current: contextvars.ContextVar[list[Evidence] | None] = contextvars.ContextVar(
    "conformance_evidence", default=None
)


def record(item: Evidence) -> None:
    sink = _current.get()
    if sink is not None:
        if RUN:
            item = Evidence(item.kind, RUN.text(item.summary), RUN.value(item.data))
        sink.append(item)


@contextmanager
def collecting() -> Iterator[list[Evidence]]:
    sink: list[Evidence] = []
    token = _current.set(sink)
    try:
        yield sink
    finally:
        _current.reset(token)
