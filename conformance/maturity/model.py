"""The capability model (profiles/maturity/*.toml), loaded and checked strictly.

Sections and themes -> capabilities -> requirements -> check-id globs; scoring rules; roadmap
milestones. All data: a commissioner can give their own directory (``load_model(DIR)``, ``--model
DIR``). An unknown key, a capability naming a requirement or theme that does not exist, a milestone
naming an unknown capability, a glob that cannot match a check id: ``ModelError`` naming the file and
the key, never a half-loaded model.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field, ValidationError, model_validator

from conformance.maturity.rules import STATUSES, Scoring, read_scoring
from conformance.maturity.tomlcheck import ModelError, read_toml
from conformance.sections import Flag, Section, one_line

__all__ = ["MODEL_DIR", "STATUSES", "Capability", "CapabilityModel", "Milestone", "ModelError", "Requirement",
           "Scoring", "Theme", "check_glob", "load_model"]

MODEL_DIR = Path(__file__).resolve().parents[2] / "profiles" / "maturity"
ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
GLOB = re.compile(r"^[a-z0-9_.*?!\[\]-]+$")
_File = TypeVar("_File", bound=Section)


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    checks: tuple[str, ...]
    standard: str = ""
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def covers(self, check_id: str) -> bool:
        """Whether a check id matches one of the globs (compiled once: records match many outcomes)."""
        regex = self._regex
        if regex is None:
            regex = re.compile("|".join(fnmatch.translate(p) for p in self.checks))
            object.__setattr__(self, "_regex", regex)
        return regex.match(check_id) is not None


@dataclass(frozen=True)
class Theme:
    id: str
    title: str
    section: str  # readiness | capabilities | infrastructure (the maturity assessment's sections)


@dataclass(frozen=True)
class Capability:
    id: str
    title: str
    themes: tuple[str, ...]
    requirements: tuple[str, ...]
    universal: bool = False  # one of the local digital roadmap's universal capabilities


@dataclass(frozen=True)
class Milestone:
    id: str
    title: str
    target_date: str
    capabilities: tuple[str, ...]


@dataclass
class CapabilityModel:
    themes: dict[str, Theme]
    requirements: dict[str, Requirement]
    capabilities: dict[str, Capability]
    milestones: dict[str, Milestone]
    scoring: Scoring
    sections: dict[str, str] = field(default_factory=dict)
    _covering: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def covering(self, check_id: str) -> tuple[str, ...]:
        """Ids of the requirements whose globs match a check id, matched once per check id for the
        model's life (a record rebuild meets the same few hundred check ids in every organisation)."""
        found = self._covering.get(check_id)
        if found is None:
            found = self._covering[check_id] = tuple(r.id for r in self.requirements.values() if r.covers(check_id))
        return found


def check_glob(pattern: str) -> str | None:
    """Why a check-id glob is unusable, or None. Check ids are lower-case dotted names, so anything
    else (spaces, capitals, an unclosed ``[``, a bare suite name) is a typo that would match nothing."""
    if not GLOB.match(pattern):
        return f"{pattern!r} has characters no check id has (use a-z, 0-9, '.', '-', '_', * ? [ ])"
    depth = 0
    for char in pattern:
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth not in (0, 1):
            return f"{pattern!r} has unbalanced brackets"
    if depth:
        return f"{pattern!r} has an unclosed '['"
    if "." not in pattern and not pattern.endswith("*"):
        return f"{pattern!r} names no group: did you mean '{pattern}.*'?"
    return None


def _ident(value: Any) -> str:
    if not isinstance(value, str) or not ID.match(value):
        raise ValueError(f"{value!r} is not an id (lower-case letters, digits, '-', '_')")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise ValueError("must be a non-empty list of strings")
    return tuple(value)


def _unique(value: Any) -> tuple[str, ...]:
    values = _strings(value)
    if len(set(values)) != len(values):
        raise ValueError(f"{next(v for n, v in enumerate(values) if v in values[:n])!r} is listed twice")
    return values


def _date(value: Any) -> str:
    if isinstance(value, date):  # TOML's own date literal: target_date = 2020-03-31
        value = value.isoformat()
    try:
        date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return str(value)


def _globs(value: Any) -> tuple[str, ...]:
    patterns = _strings(value)
    for pattern in patterns:
        problem = check_glob(pattern)
        if problem:
            raise ValueError(problem)
    return patterns


Ident = Annotated[str, BeforeValidator(_ident)]
Title = Annotated[str, BeforeValidator(_text)]
Unique = Annotated[tuple[str, ...], BeforeValidator(_unique)]


class _ThemeEntry(Section):
    title: Title
    section: Title = "capabilities"

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return {"title": value} if isinstance(value, str) else value  # a title, in the capabilities section


class _RequirementEntry(Section):
    title: Title
    checks: Annotated[tuple[str, ...], BeforeValidator(_globs)]
    standard: Title = ""


class _CapabilityEntry(Section):
    title: Title
    themes: Unique = ()
    requirements: Unique
    universal: Flag = False


class _CapabilitiesFile(Section):
    sections: dict[Ident, Title] = Field(default_factory=dict)
    themes: dict[Ident, _ThemeEntry] = Field(default_factory=dict)
    requirements: dict[Ident, _RequirementEntry]
    capabilities: dict[Ident, _CapabilityEntry]


class _MilestoneEntry(Section):
    title: Title
    target_date: Annotated[str, BeforeValidator(_date)]
    capabilities: Unique


class _RoadmapFile(Section):
    milestones: dict[Ident, _MilestoneEntry]


def _read(path: Path, model: type[_File]) -> _File:
    try:
        return model.model_validate(read_toml(path))
    except ValidationError as exc:
        raise ModelError(one_line(exc, str(path), model)) from None


def _capabilities(path: Path, doc: _CapabilitiesFile) -> tuple[dict[str, str], dict[str, Theme],
                                                               dict[str, Requirement], dict[str, Capability]]:
    """The file's entries, after checking each reference names something the file defines."""
    sections = dict(doc.sections)
    themes = {}
    for tid, theme in doc.themes.items():
        if sections and theme.section not in sections:
            raise ModelError(f"{path}: themes.{tid}.section: unknown section {theme.section!r} "
                             f"(known: {', '.join(sections)})")
        themes[tid] = Theme(tid, theme.title, theme.section)
    requirements = {rid: Requirement(rid, r.title, r.checks, r.standard) for rid, r in doc.requirements.items()}
    capabilities = {}
    for cid, cap in doc.capabilities.items():
        for rid in cap.requirements:
            if rid not in requirements:
                raise ModelError(f"{path}: capabilities.{cid}.requirements: unknown requirement {rid!r}")
        for theme_id in cap.themes:
            if theme_id not in themes:
                raise ModelError(f"{path}: capabilities.{cid}.themes: unknown theme {theme_id!r}")
        capabilities[cid] = Capability(cid, cap.title, cap.themes, cap.requirements, cap.universal)
    if not capabilities:
        raise ModelError(f"{path}: capabilities: none defined")
    return sections, themes, requirements, capabilities


def _milestones(path: Path, capabilities: dict[str, Capability]) -> dict[str, Milestone]:
    out = {}
    for mid, spec in _read(path, _RoadmapFile).milestones.items():
        for cid in spec.capabilities:
            if cid not in capabilities:
                raise ModelError(f"{path}: milestones.{mid}.capabilities: unknown capability {cid!r}")
        out[mid] = Milestone(mid, spec.title, spec.target_date, spec.capabilities)
    return out


def load_model(directory: Path | str | None = None) -> CapabilityModel:
    """Read capabilities.toml, scoring.toml and roadmap.toml from ``directory`` (default: the shipped
    model). Everything is checked before anything is returned."""
    root = Path(directory) if directory is not None else MODEL_DIR
    if not root.is_dir():
        raise ModelError(f"{root}: not a directory (a capability model is a directory holding "
                         "capabilities.toml, scoring.toml and roadmap.toml)")
    caps_file = root / "capabilities.toml"
    sections, themes, requirements, capabilities = _capabilities(caps_file, _read(caps_file, _CapabilitiesFile))
    scoring = read_scoring(root / "scoring.toml")
    milestones = _milestones(root / "roadmap.toml", capabilities)
    return CapabilityModel(themes, requirements, capabilities, milestones, scoring, sections)
