"""Files a commissioner or provider gives us: organisations (CSV), footprints (TOML), self-assessments (CSV).

Each reader checks everything before returning anything: a missing column, an unknown ODS code or
capability, a bad claim or date is an ``InputError`` naming the file, line and column, and nothing
is returned (so nothing is imported half-way).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from conformance.maturity.assessments import AssessmentError, read_assessments
from conformance.maturity.csvfile import InputError, rows
from conformance.maturity.records import ORG_KINDS, Footprint, Organisation
from conformance.sections import Section, one_line

__all__ = ["DEMO_DIR", "AssessmentError", "InputError", "read_assessments", "read_footprints",
           "read_organisations"]

ODS = re.compile(r"^[A-Z0-9]{3,6}$")
DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "maturity" / "demo"


def read_organisations(path: Path) -> list[Organisation]:
    out: list[Organisation] = []
    seen: dict[str, int] = {}
    for line, row in rows(Path(path), ("ods_code", "name", "kind")):
        if not ODS.match(row["ods_code"]):
            raise InputError(f"{path}:{line}: ods_code: {row['ods_code']!r} is not an ODS-style code")
        if row["kind"] not in ORG_KINDS:
            raise InputError(f"{path}:{line}: kind: {row['kind']!r} is not one of {', '.join(ORG_KINDS)}")
        if row["ods_code"] in seen:
            raise InputError(f"{path}:{line}: ods_code: {row['ods_code']!r} is already on line {seen[row['ods_code']]}")
        seen[row["ods_code"]] = line
        out.append(Organisation(row["ods_code"], row["name"], row["kind"]))
    return out


def _members(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(m, str) for m in value):
        raise ValueError("must be a non-empty list of ODS codes")
    return tuple(value)


def _date(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    return value.isoformat()


class _Footprint(Section):
    name: Annotated[str | None, BeforeValidator(lambda v: None if v is None else str(v))] = None
    members: Annotated[tuple[str, ...], BeforeValidator(_members)]
    milestones: dict[str, Annotated[str, BeforeValidator(_date)]] = Field(default_factory=dict)


class _FootprintsFile(Section):
    footprints: dict[str, _Footprint]


def read_footprints(path: Path, known_ods: set[str], milestone_ids: set[str] | None = None) -> list[Footprint]:
    """``[footprints.CODE] name = "...", members = ["ODS", ...]``, and optionally the footprint's own dates:
    ``[footprints.CODE.milestones] MILESTONE = YYYY-MM-DD`` (checked against ``milestone_ids`` when given)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    try:
        doc = _FootprintsFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(one_line(exc, str(path), _FootprintsFile)) from None
    out = []
    for code, spec in doc.footprints.items():
        unknown = [m for m in spec.members if m not in known_ods]
        if unknown:
            raise InputError(f"{path}: footprints.{code}.members: unknown organisation {unknown[0]!r}")
        for milestone in spec.milestones:
            if milestone_ids is not None and milestone not in milestone_ids:
                raise InputError(f"{path}: footprints.{code}.milestones.{milestone}: unknown milestone "
                                 f"(known: {', '.join(sorted(milestone_ids))})")
        out.append(Footprint(code, spec.name if spec.name is not None else code, spec.members,
                             tuple(spec.milestones.items())))
    return out


