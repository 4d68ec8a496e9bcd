"""Typed events: the one stream that console, reporters and the evidence store all consume."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
Listener = Callable[[Event], None]
