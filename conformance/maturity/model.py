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
from typing import Any

from conformance.maturity.rules import STATUSES, Scoring, read_scoring
from conformance.maturity.tomlcheck import ModelError, keys, read_toml, strings, text

__all__ = ["MODEL_DIR", "STATUSES", "Capability", "CapabilityModel", "Milestone", "ModelError", "Requirement",
           "Scoring", "Theme", "check_glob", "load_model"]

MODEL_DIR = Path(__file__).resolve().parents[2] / "profiles" / "maturity"
ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
GLOB = re.compile(r"^[a-z0-9_.*?!\[\]-]+$")


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


def _ident(path: Path, where: str, value: str) -> str:
    if not ID.match(value):
        raise ModelError(f"{path}: {where}: {value!r} is not an id (lower-case letters, digits, '-', '_')")
    return value


def _themes(path: Path, data: dict[str, Any]) -> tuple[dict[str, str], dict[str, Theme]]:
    sections = {_ident(path, f"sections.{k}", k): text(path, f"sections.{k}", v)
                for k, v in keys(path, "sections", data.get("sections", {}), None, set()).items()}
    themes = {}
    for tid, spec in keys(path, "themes", data.get("themes", {}), None, set()).items():
        where = f"themes.{_ident(path, 'themes', tid)}"
        if isinstance(spec, str):  # shorthand: a title, in the capabilities section
            spec = {"title": spec}
        spec = keys(path, where, spec, {"title", "section"}, {"title"})
        section = spec.get("section", "capabilities")
        if sections and section not in sections:
            raise ModelError(f"{path}: {where}.section: unknown section {section!r} (known: {', '.join(sections)})")
        themes[tid] = Theme(tid, text(path, f"{where}.title", spec["title"]), str(section))
    return sections, themes


def _requirements(path: Path, data: Any) -> dict[str, Requirement]:
    out = {}
    for rid, spec in keys(path, "requirements", data, None, set()).items():
        where = f"requirements.{_ident(path, 'requirements', rid)}"
        spec = keys(path, where, spec, {"title", "checks", "standard"}, {"title", "checks"})
        checks = strings(path, f"{where}.checks", spec["checks"])
        for pattern in checks:
            problem = check_glob(pattern)
            if problem:
                raise ModelError(f"{path}: {where}.checks: {problem}")
        standard = text(path, f"{where}.standard", spec["standard"]) if "standard" in spec else ""
        out[rid] = Requirement(rid, text(path, f"{where}.title", spec["title"]), checks, standard)
    return out


def _capabilities(path: Path, data: Any, themes: dict[str, Theme],
                  requirements: dict[str, Requirement]) -> dict[str, Capability]:
    out = {}
    for cid, spec in keys(path, "capabilities", data, None, set()).items():
        where = f"capabilities.{_ident(path, 'capabilities', cid)}"
        spec = keys(path, where, spec, {"title", "themes", "requirements", "universal"}, {"title", "requirements"})
        needs = strings(path, f"{where}.requirements", spec["requirements"], unique=True)
        for rid in needs:
            if rid not in requirements:
                raise ModelError(f"{path}: {where}.requirements: unknown requirement {rid!r}")
        names = strings(path, f"{where}.themes", spec["themes"], unique=True) if "themes" in spec else ()
        for theme in names:
            if theme not in themes:
                raise ModelError(f"{path}: {where}.themes: unknown theme {theme!r}")
        universal = spec.get("universal", False)
        if not isinstance(universal, bool):
            raise ModelError(f"{path}: {where}.universal: must be true or false")
        out[cid] = Capability(cid, text(path, f"{where}.title", spec["title"]), names, needs, universal)
    if not out:
        raise ModelError(f"{path}: capabilities: none defined")
    return out


def _milestones(path: Path, capabilities: dict[str, Capability]) -> dict[str, Milestone]:
    data = keys(path, "(top)", read_toml(path), {"milestones"}, {"milestones"})
    out = {}
    for mid, spec in keys(path, "milestones", data["milestones"], None, set()).items():
        where = f"milestones.{_ident(path, 'milestones', mid)}"
        needed = {"title", "target_date", "capabilities"}
        spec = keys(path, where, spec, needed, needed)
        target = spec["target_date"]
        if isinstance(target, date):  # TOML's own date literal: target_date = 2020-03-31
            target = target.isoformat()
        try:
            date.fromisoformat(str(target))
        except ValueError:
            raise ModelError(f"{path}: {where}.target_date: {target!r} is not a date (YYYY-MM-DD)") from None
        caps = strings(path, f"{where}.capabilities", spec["capabilities"], unique=True)
        for cid in caps:
            if cid not in capabilities:
                raise ModelError(f"{path}: {where}.capabilities: unknown capability {cid!r}")
        out[mid] = Milestone(mid, text(path, f"{where}.title", spec["title"]), str(target), caps)
    return out


def load_model(directory: Path | str | None = None) -> CapabilityModel:
    """Read capabilities.toml, scoring.toml and roadmap.toml from ``directory`` (default: the shipped
    model). Everything is checked before anything is returned."""
    root = Path(directory) if directory is not None else MODEL_DIR
    if not root.is_dir():
        raise ModelError(f"{root}: not a directory (a capability model is a directory holding "
                         "capabilities.toml, scoring.toml and roadmap.toml)")
    caps_file = root / "capabilities.toml"
    data = keys(caps_file, "(top)", read_toml(caps_file), {"sections", "themes", "requirements", "capabilities"},
                {"requirements", "capabilities"})
    sections, themes = _themes(caps_file, data)
    requirements = _requirements(caps_file, data["requirements"])
    capabilities = _capabilities(caps_file, data["capabilities"], themes, requirements)
    scoring = read_scoring(root / "scoring.toml")
    milestones = _milestones(root / "roadmap.toml", capabilities)
    return CapabilityModel(themes, requirements, capabilities, milestones, scoring, sections)
