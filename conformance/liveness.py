"""Whether the target still answers: transports report each exchange's fate, the runner listens.

The runner must stay protocol-blind, so it cannot tell an httpx ``ConnectError`` from a failed
assertion. Instead every transport says, after each exchange, either :func:`answered` (the peer sent
something back, whatever it was) or :func:`unreachable` (no connection, or the connection died:
refused, reset, timed out). The runner installs a :class:`Watch` in a context variable before the
checks start (their tasks inherit it), so concurrent runs in one process keep theirs apart.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_current: contextvars.ContextVar[Watch | None] = contextvars.ContextVar("conformance_liveness", default=None)


class Watch:
    """Counts consecutive connection-level failures across all checks; any answer resets the count.

    ``on_suspect(reason)`` is called each time the count reaches ``threshold`` (the runner then
    re-probes the target before giving up on it), and the count starts again.
    """

    def __init__(self, threshold: int, on_suspect: Callable[[str], None]) -> None:
        self.threshold = max(1, threshold)
        self.on_suspect = on_suspect
        self.failures = 0
        self.last = ""

    def answered(self) -> None:
        self.failures = 0

    def unreachable(self, reason: str) -> None:
        self.failures += 1
        self.last = reason
        if self.failures >= self.threshold:
            self.failures = 0
            self.on_suspect(reason)


def answered() -> None:
    """A transport got an answer from the target (any answer: a 500 is an answer)."""
    watch = _current.get()
    if watch is not None:
        watch.answered()


def unreachable(reason: str) -> None:
    """A transport could not connect, or the connection broke or timed out; ``reason`` in its words."""
    watch = _current.get()
    if watch is not None:
        watch.unreachable(reason)


@contextmanager
def watching(watch: Watch | None) -> Iterator[None]:
    token = _current.set(watch)
    try:
        yield
    finally:
        _current.reset(token)
