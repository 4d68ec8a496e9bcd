"""Files a commissioner or provider gives us: organisations (CSV), footprints (TOML), self-assessments (CSV).

Each reader checks everything before returning anything: a missing column, an unknown ODS code or
capability, a bad claim or date is an ``InputError`` naming the file, line and column, and nothing
is returned (so nothing is imported half-way).
"""

from __future__ import annotations

import csv
import re
import tomllib
from datetime import date
from pathlib import Path

from conformance.maturity.model import CapabilityModel
from conformance.maturity.records import CLAIMS, ORG_KINDS, Footprint, Organisation, SelfAssessment

ODS = re.compile(r"^[A-Z0-9]{3,6}$")
DEMO_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "maturity" / "demo"


class InputError(ValueError):
    """``FILE:LINE: column: why``."""


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)} (expected {', '.join(columns)})")
    rows = [(n, {k: (v or "").strip() for k, v in row.items() if k}) for n, row in enumerate(reader, 2)]
    if not rows:
        raise InputError(f"{path}: no rows")
    return rows


def read_organisations(path: Path) -> list[Organisation]:
    out = []
    for line, row in _rows(path, ("ods_code", "name", "kind")):
        if not ODS.match(row["ods_code"]):
            raise InputError(f"{path}:{line}: ods_code: {row['ods_code']!r} is not an ODS-style code")
        if row["kind"] not in ORG_KINDS:
            raise InputError(f"{path}:{line}: kind: {row['kind']!r} is not one of {', '.join(ORG_KINDS)}")
        out.append(Organisation(row["ods_code"], row["name"], row["kind"]))
    return out


def read_assessments(path: Path, known_ods: set[str], model: CapabilityModel) -> list[SelfAssessment]:
    out = []
    for line, row in _rows(path, ("ods_code", "capability", "claim", "assessed_on")):
        if row["ods_code"] not in known_ods:
            raise InputError(f"{path}:{line}: ods_code: unknown organisation {row['ods_code']!r} "
                             "(import it first: conformance org import)")
        if row["capability"] not in model.capabilities:
            raise InputError(f"{path}:{line}: capability: unknown capability {row['capability']!r}")
        if row["claim"] not in CLAIMS:
            raise InputError(f"{path}:{line}: claim: {row['claim']!r} is not one of {', '.join(CLAIMS)}")
        try:
            date.fromisoformat(row["assessed_on"])
        except ValueError:
            raise InputError(f"{path}:{line}: assessed_on: {row['assessed_on']!r} is not a date (YYYY-MM-DD)") from None
        out.append(SelfAssessment(row["ods_code"], row["capability"], row["claim"], row["assessed_on"],
                                  row.get("note", "")))
    return out


def read_footprints(path: Path, known_ods: set[str]) -> list[Footprint]:
    """``[footprints.CODE] name = "...", members = ["ODS", ...]``."""
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
        if not isinstance(spec, dict) or set(spec) - {"name", "members"}:
            raise InputError(f"{path}: footprints.{code}: expected name and members only")
        members = spec.get("members")
        if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
            raise InputError(f"{path}: footprints.{code}.members: must be a non-empty list of ODS codes")
        unknown = [m for m in members if m not in known_ods]
        if unknown:
            raise InputError(f"{path}: footprints.{code}.members: unknown organisation {unknown[0]!r}")
        out.append(Footprint(code, str(spec.get("name", code)), tuple(members)))
    return out


def load_demo(model: CapabilityModel, directory: Path = DEMO_DIR) -> tuple[list[Organisation], list[Footprint],
                                                                           list[SelfAssessment]]:
    orgs = read_organisations(directory / "organisations.csv")
    known = {o.ods_code for o in orgs}
    return orgs, read_footprints(directory / "footprints.toml", known), read_assessments(
        directory / "assessments.csv", known, model)
