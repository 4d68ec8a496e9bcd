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

from conformance.maturity.assessments import AssessmentError, read_assessments
from conformance.maturity.csvfile import InputError, rows
from conformance.maturity.records import ORG_KINDS, Footprint, Organisation

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


def read_footprints(path: Path, known_ods: set[str], milestone_ids: set[str] | None = None) -> list[Footprint]:
    """``[footprints.CODE] name = "...", members = ["ODS", ...]``, and optionally the footprint's own dates:
    ``[footprints.CODE.milestones] MILESTONE = YYYY-MM-DD`` (checked against ``milestone_ids`` when given)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    if set(data) != {"footprints"} or not isinstance(data["footprints"], dict):
        raise InputError(f"{path}: expected [footprints.CODE] tables and nothing else")
    out = []
    for code, spec in data["footprints"].items():
        if not isinstance(spec, dict) or set(spec) - {"name", "members", "milestones"}:
            raise InputError(f"{path}: footprints.{code}: expected name, members and milestones only")
        members = spec.get("members")
        if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
            raise InputError(f"{path}: footprints.{code}.members: must be a non-empty list of ODS codes")
        unknown = [m for m in members if m not in known_ods]
        if unknown:
            raise InputError(f"{path}: footprints.{code}.members: unknown organisation {unknown[0]!r}")
        out.append(Footprint(code, str(spec.get("name", code)), tuple(members),
                             _dates(path, code, spec.get("milestones", {}), milestone_ids)))
    return out


def _dates(path: Path, code: str, table: object, known: set[str] | None) -> tuple[tuple[str, str], ...]:
    where = f"{path}: footprints.{code}.milestones"
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table of MILESTONE = YYYY-MM-DD")
    out = []
    for milestone, value in table.items():
        if known is not None and milestone not in known:
            raise InputError(f"{where}.{milestone}: unknown milestone (known: {', '.join(sorted(known))})")
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise InputError(f"{where}.{milestone}: {value!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InputError(f"{where}.{milestone}: {value!r} is not a date (YYYY-MM-DD)")
        out.append((milestone, value.isoformat()))
    return tuple(out)
