"""Why a run stops before every check finished, and the words each unfinished check ends with.

Four causes, one path: the target stopped answering (exit 3), the run deadline passed (exit 3),
the user pressed Ctrl-C (exit 130), a SIGTERM came (a CI job cancelled, a container stopped; exit 143).
The checks still waiting end ``error`` with ``message``, the suites clean up, the reports are written
and the run is stored ``aborted`` with ``reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

UNREACHABLE, DEADLINE, INTERRUPTED, TERMINATED = "unreachable", "deadline", "interrupted", "terminated"

# Consecutive connection-level failures (refused, reset, timed out), across all checks, before the
# runner re-probes the target. Above the default concurrency of 4, so one network blip that breaks
# every exchange in flight at once is not enough; low enough that a dead target costs a few seconds
# of refused connections, not 200 errored checks. The re-probe decides: a live target carries on.
SUSPECT_AFTER = 6


@dataclass(frozen=True)
class Stop:
    kind: str
    reason: str  # one sentence for the run: stored, printed, in the reports
    message: str  # what each check that did not finish says


def target_died(detail: str) -> Stop:
    at = datetime.now(UTC).strftime("%H:%M:%S")
    why = f"the target stopped answering at {at} UTC ({detail})"
    return Stop(UNREACHABLE, why, f"not run: {why}")


def deadline_passed(seconds: float, unfinished: int) -> Stop:
    return Stop(DEADLINE, f"the run deadline of {seconds:g} s passed with {unfinished} check(s) unfinished",
                f"the run deadline of {seconds:g} s passed before this check finished")


def interrupted() -> Stop:
    return Stop(INTERRUPTED, "interrupted by the user", "interrupted by the user before this check finished")


def terminated() -> Stop:
    return Stop(TERMINATED, "stopped by SIGTERM", "stopped by SIGTERM before this check finished")
