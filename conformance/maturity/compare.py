"""Vendor comparison: requirement by requirement, system by system, weighted by what a buyer must have.

The requirements file is the procurement team's (example: conformance/maturity/data/example-requirements.toml,
found with importlib.resources, so an installed package has it too):
``[[requirement]] id, title, weight = "must" | "should" | "could", checks = [globs]``. A cell is
pass (every required matched check passed), partial (some passed, some required failed), fail (none
passed) or not tested (nothing matched ran); skips, errors (the harness did not judge: see
docs/check-contract.md) and optional failures are shown but never count against a system. The score
is the weighted share of credit (pass 1, partial 0.5), 0-100; a must that is anything but pass is
"fails a must", whatever the score.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from conformance.errors import ConfigError
from conformance.maturity.model import check_glob
from conformance.maturity.records import RunOutcomes
from conformance.sections import Section, one_line

WEIGHTS = {"must": 3, "should": 2, "could": 1}
CREDIT = {"pass": 1.0, "partial": 0.5, "fail": 0.0, "not tested": 0.0}
VERDICTS = tuple(CREDIT)


class RequirementsError(ConfigError, ValueError):
    """``FILE: requirement[N].key: why``."""


@dataclass(frozen=True)
class BuyerRequirement:
    id: str
    title: str
    weight: str
    checks: tuple[str, ...]

    def covers(self, check_id: str) -> bool:
        return any(fnmatch.fnmatchcase(check_id, p) for p in self.checks)


@dataclass(frozen=True)
class Cell:
    verdict: str  # pass | partial | fail | not tested
    passed: tuple[str, ...]
    failed: tuple[str, ...]  # required checks that failed or errored
    skipped: tuple[str, ...] = ()
    optional_failed: tuple[str, ...] = ()


@dataclass
class Column:
    run: RunOutcomes
    cells: dict[str, Cell]
    score: float  # 0..100, weighted
    fails_must: bool
    musts_failed: tuple[str, ...] = ()  # ids of must requirements that are not pass

    @property
    def label(self) -> str:
        return f"{self.run.system.label} ({self.run.run_id})"


@dataclass
class Matrix:
    requirements: list[BuyerRequirement]
    columns: list[Column]

    def ranked(self) -> list[Column]:
        """Best first: systems meeting every must before any that fails one, then by score."""
        return sorted(self.columns, key=lambda c: (c.fails_must, -c.score))


EXAMPLE = "example-requirements.toml"


def example_requirements() -> tuple[str, str]:
    """The shipped example requirements: (where, text), read from the installed package."""
    resource = resources.files("conformance.maturity").joinpath("data", EXAMPLE)
    return f"(shipped) {EXAMPLE}", resource.read_text(encoding="utf-8")


def load_requirements(path: Path | None = None) -> list[BuyerRequirement]:
    """Read a buyer's requirements file (None: the shipped example), checking everything before returning."""
    try:
        if path is None:
            where, text = example_requirements()
            return _parse(where, tomllib.loads(text))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RequirementsError(f"{path}: no such file") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise RequirementsError(f"{path}: not a valid TOML file: {exc}") from None
    return requirements_from_text(text, str(path))


def requirements_from_text(text: str, where: str) -> list[BuyerRequirement]:
    """A buyer's requirements kept as text (a comparison in the service keeps its own), checked as a file is."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RequirementsError(f"{where}: not a valid TOML file: {exc}") from None
    return _parse(where, data)


def _rid(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("missing")
    return value


def _title(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _weight(value: Any) -> str:
    if value not in WEIGHTS:
        raise ValueError(f"must be must, should or could, not {value!r}")
    return str(value)


def _patterns(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise ValueError("must be a non-empty list of check-id patterns")
    for pattern in value:
        problem = check_glob(pattern)
        if problem:
            raise ValueError(problem)
    return tuple(value)


class _Requirement(Section):
    id: Annotated[str, BeforeValidator(_rid)] = Field(default="", validate_default=True)
    title: Annotated[str | None, BeforeValidator(_title)] = None
    weight: Annotated[str, BeforeValidator(_weight)] = Field(default=None, validate_default=True)
    checks: Annotated[tuple[str, ...], BeforeValidator(_patterns)] = Field(default=None, validate_default=True)


class _RequirementsFile(Section):
    requirement: list[_Requirement]

    @model_validator(mode="before")
    @classmethod
    def _only_requirements(cls, data: Any) -> Any:
        items = data.get("requirement") if isinstance(data, dict) else None
        if not isinstance(data, dict) or set(data) - {"requirement"} or not isinstance(items, list) or not items:
            raise ValueError("expected [[requirement]] tables and nothing else")
        return data


def _parse(path: str, data: dict[str, Any]) -> list[BuyerRequirement]:
    try:
        doc = _RequirementsFile.model_validate(data)
    except ValidationError as exc:
        raise RequirementsError(one_line(exc, path, _RequirementsFile)) from None
    out, seen = [], set()
    for n, item in enumerate(doc.requirement, 1):
        if item.id in seen:
            raise RequirementsError(f"{path}: requirement[{n}].id: {item.id!r} is used twice")
        seen.add(item.id)
        out.append(BuyerRequirement(item.id, item.title if item.title is not None else item.id, item.weight,
                                    item.checks))
    return out


def _cell(requirement: BuyerRequirement, run: RunOutcomes) -> Cell:
    outcomes = [o for o in run.outcomes if requirement.covers(o.check_id)]
    passed = tuple(o.check_id for o in outcomes if o.status == "pass")
    failed = tuple(o.check_id for o in outcomes if o.status == "fail" and o.required)
    skipped = tuple(o.check_id for o in outcomes if o.status in ("skip", "error"))  # not judged
    optional_failed = tuple(o.check_id for o in outcomes if o.status == "fail" and not o.required)
    if not passed and not failed:
        verdict = "not tested"
    elif not failed:
        verdict = "pass"
    elif passed:
        verdict = "partial"
    else:
        verdict = "fail"
    return Cell(verdict, passed, failed, skipped, optional_failed)


def compare(runs: list[RunOutcomes], requirements: list[BuyerRequirement]) -> Matrix:
    """One column per run (one run per vendor's system, on the same suites), one row per requirement."""
    total = sum(WEIGHTS[r.weight] for r in requirements) or 1
    columns = []
    for run in runs:
        cells = {r.id: _cell(r, run) for r in requirements}
        score = sum(WEIGHTS[r.weight] * CREDIT[cells[r.id].verdict] for r in requirements) / total * 100
        musts = tuple(r.id for r in requirements if r.weight == "must" and cells[r.id].verdict != "pass")
        columns.append(Column(run, cells, round(score, 1), bool(musts), musts))
    return Matrix(requirements, columns)
