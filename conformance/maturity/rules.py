"""The scoring rules (profiles/maturity/scoring.toml) as a typed record, read strictly.

Kept apart from the capability model so that the rules a commissioner may argue about (expiry, how
skips and errors count, which claims are contradicted, when a milestone is at risk) are one small
file and one small reader; score.py applies them and decides nothing of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.maturity.tomlcheck import ModelError, keys, read_toml, strings

STATUSES = ("met", "partly met", "not met", "no evidence")
CLAIM_VALUES = ("met", "partly met", "not met")
COUNTS_AS = ("fail", "not-run")


@dataclass(frozen=True)
class Scoring:
    expires_after_days: int = 365
    # An error is the harness not judging (check contract, docs/check-contract.md): never against the system.
    error_counts_as: str = "not-run"  # not-run | fail
    partly_met_threshold: float = 0.5
    audit: dict[str, tuple[str, ...]] = field(default_factory=dict)  # claim -> statuses contradicting it
    skip_counts_as: str = "not-run"  # not-run | fail
    partly_met_if_any_required_passed: bool = False
    on_track_statuses: tuple[str, ...] = ("partly met",)

    def counted(self) -> frozenset[str]:
        """Outcome statuses that count as a check having run (pass and fail always do)."""
        return frozenset({"pass", "fail"} | {s for s, how in (("error", self.error_counts_as),
                                                              ("skip", self.skip_counts_as)) if how == "fail"})


def _count_rule(path: Path, data: dict[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if value not in COUNTS_AS:
        raise ModelError(f"{path}: {key}: must be 'fail' or 'not-run', not {value!r}")
    return str(value)


def _statuses(path: Path, where: str, value: Any) -> tuple[str, ...]:
    values = strings(path, where, value, unique=True)
    bad = [s for s in values if s not in STATUSES]
    if bad:
        raise ModelError(f"{path}: {where}: {bad[0]!r} is not a status ({', '.join(STATUSES)})")
    return values


def read_scoring(path: Path) -> Scoring:
    allowed = {"expires_after_days", "error_counts_as", "skip_counts_as", "partly_met_threshold",
               "partly_met_if_any_required_passed", "audit", "roadmap"}
    data = keys(path, "(top)", read_toml(path), allowed, set())
    days = data.get("expires_after_days", 365)
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise ModelError(f"{path}: expires_after_days: must be a whole number of days above 0")
    threshold = data.get("partly_met_threshold", 0.5)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 0 < threshold <= 1:
        raise ModelError(f"{path}: partly_met_threshold: must be a number in (0, 1]")
    any_required = data.get("partly_met_if_any_required_passed", False)
    if not isinstance(any_required, bool):
        raise ModelError(f"{path}: partly_met_if_any_required_passed: must be true or false")
    audit: dict[str, tuple[str, ...]] = {}
    for claim, statuses in keys(path, "audit", data.get("audit", {}), set(CLAIM_VALUES), set()).items():
        audit[claim] = _statuses(path, f"audit.{claim}", statuses)
        if claim in audit[claim]:
            raise ModelError(f"{path}: audit.{claim}: a claim cannot contradict the same status")
    roadmap = keys(path, "roadmap", data.get("roadmap", {}), {"on_track_statuses"}, set())
    on_track = _statuses(path, "roadmap.on_track_statuses", roadmap["on_track_statuses"]) \
        if "on_track_statuses" in roadmap else ("partly met",)
    if "met" in on_track:
        raise ModelError(f"{path}: roadmap.on_track_statuses: 'met' is achieved, not on track")
    return Scoring(days, _count_rule(path, data, "error_counts_as", "not-run"), float(threshold), audit,
                   _count_rule(path, data, "skip_counts_as", "not-run"), any_required, on_track)
