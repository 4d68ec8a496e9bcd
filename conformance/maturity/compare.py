"""Vendor comparison: requirement by requirement, system by system, weighted by what a buyer must have.

The requirements file is the procurement team's (profiles/procurement/example-requirements.toml):
``[[requirement]] id, title, weight = "must" | "should" | "could", checks = [globs]``.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance.maturity.records import RunOutcomes

WEIGHTS = {"must": 3, "should": 2, "could": 1}
CREDIT = {"pass": 1.0, "partial": 0.5, "fail": 0.0, "not tested": 0.0}


class RequirementsError(ValueError):
    """``FILE: requirement[N].key: why``."""


@dataclass(frozen=True)
class BuyerRequirement:
    id: str
    title: str
    weight: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    verdict: str  # pass | partial | fail | not tested
    passed: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass
class Column:
    run: RunOutcomes
    cells: dict[str, Cell]
    score: float  # 0..100, weighted
    fails_must: bool


@dataclass
class Matrix:
    requirements: list[BuyerRequirement]
    columns: list[Column]


def load_requirements(path: Path) -> list[BuyerRequirement]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RequirementsError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RequirementsError(f"{path}: not valid TOML: {exc}") from None
    items = data.get("requirement")
    if set(data) - {"requirement"} or not isinstance(items, list) or not items:
        raise RequirementsError(f"{path}: expected [[requirement]] tables and nothing else")
    out, seen = [], set()
    for n, item in enumerate(items, 1):
        where = f"{path}: requirement[{n}]"
        unknown = sorted(set(item) - {"id", "title", "weight", "checks"})
        if unknown:
            raise RequirementsError(f"{where}.{unknown[0]}: unknown key")
        rid, weight, checks = item.get("id"), item.get("weight"), item.get("checks")
        if not isinstance(rid, str) or not rid or rid in seen:
            raise RequirementsError(f"{where}.id: missing or repeated")
        if weight not in WEIGHTS:
            raise RequirementsError(f"{where}.weight: must be must, should or could")
        if not isinstance(checks, list) or not checks or not all(isinstance(c, str) for c in checks):
            raise RequirementsError(f"{where}.checks: must be a non-empty list of check-id patterns")
        seen.add(rid)
        out.append(BuyerRequirement(rid, str(item.get("title", rid)), str(weight), tuple(checks)))
    return out


def _cell(requirement: BuyerRequirement, run: RunOutcomes) -> Cell:
    outcomes = [o for o in run.outcomes if any(fnmatch.fnmatchcase(o.check_id, p) for p in requirement.checks)]
    passed = tuple(o.check_id for o in outcomes if o.status == "pass")
    failed = tuple(o.check_id for o in outcomes if o.status in ("fail", "error") and o.required)
    if not passed and not failed:
        verdict = "not tested"
    elif not failed:
        verdict = "pass"
    elif passed:
        verdict = "partial"
    else:
        verdict = "fail"
    return Cell(verdict, passed, failed)


def compare(runs: list[RunOutcomes], requirements: list[BuyerRequirement]) -> Matrix:
    total = sum(WEIGHTS[r.weight] for r in requirements)
    columns = []
    for run in runs:
        cells = {r.id: _cell(r, run) for r in requirements}
        score = sum(WEIGHTS[r.weight] * CREDIT[cells[r.id].verdict] for r in requirements) / total * 100
        fails_must = any(r.weight == "must" and cells[r.id].verdict != "pass" for r in requirements)
        columns.append(Column(run, cells, round(score, 1), fails_must))
    return Matrix(requirements, columns)
