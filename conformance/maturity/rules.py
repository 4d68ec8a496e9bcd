"""The scoring rules (profiles/maturity/scoring.toml) as a typed record, read strictly (pydantic).

Kept apart from the capability model so that the rules a commissioner may argue about (expiry, how
skips and errors count, which claims are contradicted, when a milestone is at risk) are one small
file and one small reader; score.py applies them and decides nothing of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from conformance.maturity.tomlcheck import ModelError, read_toml
from conformance.sections import Flag, KeyProblem, Section, one_line, whole

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


def _count_rule(value: Any) -> str:
    if value not in COUNTS_AS:
        raise ValueError(f"must be 'fail' or 'not-run', not {value!r}")
    return str(value)


def _statuses(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError("must be a non-empty list of strings")
    if len(set(value)) != len(value):
        raise ValueError(f"{next(v for n, v in enumerate(value) if v in value[:n])!r} is listed twice")
    bad = [s for s in value if s not in STATUSES]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a status ({', '.join(STATUSES)})")
    return tuple(value)


def _threshold(value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
        raise ValueError("must be a number in (0, 1]")
    return float(value)


Statuses = Annotated[tuple[str, ...], BeforeValidator(_statuses)]
CountRule = Annotated[str, BeforeValidator(_count_rule)]


class _Audit(Section):
    """``[audit]``: for each claim, the evidenced statuses that contradict it."""

    met: Statuses | None = Field(None, alias="met")
    partly_met: Statuses | None = Field(None, alias="partly met")
    not_met: Statuses | None = Field(None, alias="not met")

    @model_validator(mode="after")
    def _not_itself(self) -> _Audit:
        for claim, statuses in self.claims().items():
            if claim in statuses:
                raise KeyProblem(claim, "a claim cannot contradict the same status")
        return self

    def claims(self) -> dict[str, tuple[str, ...]]:
        return {k: v for k, v in self.model_dump(by_alias=True).items() if v is not None}


class _Roadmap(Section):
    on_track_statuses: Statuses = ("partly met",)

    @field_validator("on_track_statuses")
    @classmethod
    def _not_met(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "met" in value:
            raise ValueError("'met' is achieved, not on track")
        return value


class _ScoringFile(Section):
    expires_after_days: Annotated[int, whole("must be a whole number of days above 0", 1)] = 365
    error_counts_as: CountRule = "not-run"
    skip_counts_as: CountRule = "not-run"
    partly_met_threshold: Annotated[float, BeforeValidator(_threshold)] = 0.5
    partly_met_if_any_required_passed: Flag = False
    audit: _Audit = Field(default_factory=lambda: _Audit.model_validate({}))
    roadmap: _Roadmap = Field(default_factory=_Roadmap)


def read_scoring(path: Path) -> Scoring:
    try:
        doc = _ScoringFile.model_validate(read_toml(path))
    except ValidationError as exc:
        raise ModelError(one_line(exc, str(path), _ScoringFile)) from None
    return Scoring(doc.expires_after_days, doc.error_counts_as, doc.partly_met_threshold, doc.audit.claims(),
                   doc.skip_counts_as, doc.partly_met_if_any_required_passed, doc.roadmap.on_track_statuses)
