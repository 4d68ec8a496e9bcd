"""The capability model (profiles/maturity/*.toml), loaded and checked strictly.

Capabilities -> requirements -> check-id globs; scoring rules; roadmap milestones. All data: a
commissioner can give their own directory (``--model DIR``). Unknown keys, a capability naming a
requirement that does not exist, a milestone naming an unknown capability: ModelError naming the
file and the key, never a half-loaded model.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

MODEL_DIR = Path(__file__).resolve().parents[2] / "profiles" / "maturity"
STATUSES = ("met", "partly met", "not met", "no evidence")


class ModelError(ValueError):
    """A model file that cannot be used: ``FILE: key: why``."""


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    checks: tuple[str, ...]

    def covers(self, check_id: str) -> bool:
        return any(fnmatch.fnmatchcase(check_id, pattern) for pattern in self.checks)


@dataclass(frozen=True)
class Capability:
    id: str
    title: str
    themes: tuple[str, ...]
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Milestone:
    id: str
    title: str
    target_date: str
    capabilities: tuple[str, ...]


@dataclass(frozen=True)
class Scoring:
    expires_after_days: int = 365
    error_counts_as: str = "fail"
    partly_met_threshold: float = 0.5
    audit: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class CapabilityModel:
    themes: dict[str, str]
    requirements: dict[str, Requirement]
    capabilities: dict[str, Capability]
    milestones: dict[str, Milestone]
    scoring: Scoring


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid TOML: {exc}") from None


def _keys(path: Path, where: str, table: Any, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ModelError(f"{path}: {where}: must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ModelError(f"{path}: {where}.{unknown[0]}: unknown key (expected {', '.join(sorted(allowed))})")
    missing = sorted(required - set(table))
    if missing:
        raise ModelError(f"{path}: {where}.{missing[0]}: missing")
    return table


def _strings(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ModelError(f"{path}: {where}: must be a non-empty list of strings")
    return tuple(value)


def load_model(directory: Path | None = None) -> CapabilityModel:
    root = directory or MODEL_DIR
    caps_file, scoring_file, roadmap_file = (root / n for n in ("capabilities.toml", "scoring.toml", "roadmap.toml"))
    data = _keys(caps_file, "(top)", _read(caps_file), {"themes", "requirements", "capabilities"},
                 {"requirements", "capabilities"})
    themes = {str(k): str(v) for k, v in data.get("themes", {}).items()}
    requirements = {}
    for rid, spec in data["requirements"].items():
        spec = _keys(caps_file, f"requirements.{rid}", spec, {"title", "checks"}, {"title", "checks"})
        requirements[rid] = Requirement(rid, str(spec["title"]), _strings(caps_file, f"requirements.{rid}.checks",
                                                                          spec["checks"]))
    capabilities = {}
    for cid, spec in data["capabilities"].items():
        where = f"capabilities.{cid}"
        spec = _keys(caps_file, where, spec, {"title", "themes", "requirements"}, {"title", "requirements"})
        needs = _strings(caps_file, f"{where}.requirements", spec["requirements"])
        for rid in needs:
            if rid not in requirements:
                raise ModelError(f"{caps_file}: {where}.requirements: unknown requirement {rid!r}")
        names = tuple(spec.get("themes", ()))
        for theme in names:
            if theme not in themes:
                raise ModelError(f"{caps_file}: {where}.themes: unknown theme {theme!r}")
        capabilities[cid] = Capability(cid, str(spec["title"]), names, needs)
    scoring = _scoring(scoring_file)
    roadmap = _keys(roadmap_file, "(top)", _read(roadmap_file), {"milestones"}, {"milestones"})
    milestones = {}
    for mid, spec in roadmap["milestones"].items():
        where = f"milestones.{mid}"
        spec = _keys(roadmap_file, where, spec, {"title", "target_date", "capabilities"},
                     {"title", "target_date", "capabilities"})
        try:
            date.fromisoformat(str(spec["target_date"]))
        except ValueError:
            raise ModelError(f"{roadmap_file}: {where}.target_date: not a date (YYYY-MM-DD)") from None
        caps = _strings(roadmap_file, f"{where}.capabilities", spec["capabilities"])
        for cid in caps:
            if cid not in capabilities:
                raise ModelError(f"{roadmap_file}: {where}.capabilities: unknown capability {cid!r}")
        milestones[mid] = Milestone(mid, str(spec["title"]), str(spec["target_date"]), caps)
    return CapabilityModel(themes, requirements, capabilities, milestones, scoring)


def _scoring(path: Path) -> Scoring:
    data = _keys(path, "(top)", _read(path), {"expires_after_days", "error_counts_as", "partly_met_threshold",
                                                "audit"}, set())
    days = data.get("expires_after_days", 365)
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        raise ModelError(f"{path}: expires_after_days: must be a whole number of days above 0")
    error_as = data.get("error_counts_as", "fail")
    if error_as not in ("fail", "not-run"):
        raise ModelError(f"{path}: error_counts_as: must be 'fail' or 'not-run'")
    threshold = data.get("partly_met_threshold", 0.5)
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 0 < threshold <= 1:
        raise ModelError(f"{path}: partly_met_threshold: must be a number in (0, 1]")
    audit: dict[str, tuple[str, ...]] = {}
    for claim, statuses in data.get("audit", {}).items():
        values = _strings(path, f"audit.{claim}", statuses)
        bad = [s for s in values if s not in STATUSES]
        if claim not in ("met", "partly met", "not met") or bad:
            raise ModelError(f"{path}: audit.{claim}: claims and statuses must be among {', '.join(STATUSES)}")
        audit[claim] = values
    return Scoring(days, str(error_as), float(threshold), audit)
