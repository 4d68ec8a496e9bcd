"""Plan, execute and report a run. Knows nothing of FHIR, HL7 or GS1: suites are loaded by name."""

from conformance.runner.events import (
    CheckFinished,
    CheckStarted,
    Event,
    EventLog,
    EventSink,
    RunFinished,
    RunStarted,
)
from conformance.runner.execute import Runner
from conformance.runner.plan import Plan, SelectionError, build_plan, load_suites

__all__ = [
    "CheckFinished",
    "CheckStarted",
    "Event",
    "EventLog",
    "EventSink",
    "Plan",
    "RunFinished",
    "RunStarted",
    "Runner",
    "SelectionError",
    "build_plan",
    "load_suites",
]
