"""Typed events: the one stream that console, reporters and the evidence store all consume.

Each consumer is an :class:`EventSink`; the runner emits to its sinks as the run goes, and the session
hands the final :class:`RunFinished` to the reports and then the store once the run is over (a run is
stored complete only after its reports are on disk).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from conformance.model import CheckResult, RunInfo, RunResult


@dataclass(frozen=True)
class RunStarted:
    run: RunInfo
    total: int


@dataclass(frozen=True)
class CheckStarted:
    check_id: str


@dataclass(frozen=True)
class CheckFinished:
    result: CheckResult


@dataclass(frozen=True)
class RunFinished:
    result: RunResult


Event = RunStarted | CheckStarted | CheckFinished | RunFinished


class EventSink(Protocol):
    """What consumes a run's events: the console's progress, the reports, the evidence store."""

    def on_event(self, event: Event) -> None: ...


@dataclass
class EventLog:
    """A sink that keeps every event it is given, in order (tests; what ran, should a run break)."""

    events: list[Event] = field(default_factory=list)

    def on_event(self, event: Event) -> None:
        self.events.append(event)
