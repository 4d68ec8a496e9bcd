"""The one result model every reporter and the evidence store read.

Outcomes are kept strictly apart: ``fail`` means the system under test broke a rule, ``error``
means the harness or the connection could not reach a verdict, ``skip`` means the target does not
claim the capability. Only ``pass`` and ``fail`` are verdicts about the system.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


@dataclass
class Evidence:
    """One thing a verdict was judged on: an HTTP exchange, an MLLP frame, a scanned string.

    ``data`` is JSON-serialisable and already redacted of credentials by the transport that made it.
    """

    kind: str
    summary: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "summary": self.summary, **self.data}


@dataclass
class CheckResult:
    id: str
    suite: str
    title: str
    status: Status
    required: bool
    requirements: list[str]
    capabilities: list[str]
    message: str = ""
    duration_ms: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    group: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "suite": self.suite,
            "group": self.group,
            "title": self.title,
            "status": self.status.value,
            "required": self.required,
            "requirements": list(self.requirements),
            "capabilities": list(self.capabilities),
            "message": self.message,
            "duration_ms": round(self.duration_ms, 3),
            "evidence": [e.to_dict() for e in self.evidence],
            "metrics": dict(self.metrics),
        }


@dataclass
class RunInfo:
    id: str
    started: str
    target: dict[str, Any]
    harness_version: str
    finished: str = ""
    suites: list[str] = field(default_factory=list)
    # Why the run stopped before every check finished (the target died, the deadline, Ctrl-C); empty
    # for a run that ran to the end. An aborted run is kept as a record, never scored as evidence.
    aborted: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "started": self.started,
            "finished": self.finished,
            "target": self.target,
            "harness_version": self.harness_version,
            "suites": list(self.suites),
        }
        if self.aborted:
            out["status"] = "aborted"
            out["aborted"] = self.aborted
        return out


@dataclass
class RunResult:
    run: RunInfo
    results: list[CheckResult] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for r in self.results:
            counts[r.status.value] += 1
        return counts

    @property
    def required_ok(self) -> bool:
        """True when no required check failed or errored: the basis of exit code 0."""
        return not any(r.required and r.status in (Status.FAIL, Status.ERROR) for r in self.results)

    @property
    def ok(self) -> bool:
        """True when nothing failed or errored at all."""
        return not any(r.status in (Status.FAIL, Status.ERROR) for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.to_dict(),
            "results": [r.to_dict() for r in self.results],
            "summary": self.summary(),
        }
