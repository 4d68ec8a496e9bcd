"""Self-assessments from CSV: ``ods_code,capability,claim,assessed_on,note`` (note may be left out).

What an organisation claims about its capabilities is the half of the record that the evidence is
held against, so the reader is strict: an unknown organisation or capability, a claim that is not one
of met / partly met / not met, a date that is not YYYY-MM-DD, or the same capability claimed twice on
one day, is an ``AssessmentError`` naming the file, line and column, and nothing is returned.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path

from conformance.maturity.csvfile import InputError, rows
from conformance.maturity.model import CapabilityModel
from conformance.maturity.records import CLAIMS, SelfAssessment

COLUMNS = ("ods_code", "capability", "claim", "assessed_on")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AssessmentError(InputError):
    """``FILE:LINE: column: why`` in a self-assessment file."""


def _near(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_assessments(path: Path, known_ods: set[str], model: CapabilityModel) -> list[SelfAssessment]:
    """Every claim in the file, or AssessmentError at the first problem (claims are matched case-
    insensitively, "Partly met" being "partly met"; everything else exactly)."""
    path = Path(path)
    out: list[SelfAssessment] = []
    seen: dict[tuple[str, str, str], int] = {}
    try:
        for line, row in rows(path, COLUMNS, ("note",)):
            where = f"{path}:{line}"
            ods, capability = row["ods_code"], row["capability"]
            if ods not in known_ods:
                raise AssessmentError(f"{where}: ods_code: unknown organisation {ods!r}"
                                      f"{_near(ods, sorted(known_ods))} (import it first: conformance org import)")
            if capability not in model.capabilities:
                raise AssessmentError(f"{where}: capability: unknown capability {capability!r}"
                                      f"{_near(capability, list(model.capabilities))}")
            claim = " ".join(row["claim"].lower().split())
            if claim not in CLAIMS:
                raise AssessmentError(f"{where}: claim: {row['claim']!r} is not one of {', '.join(CLAIMS)}")
            day = row["assessed_on"]
            try:
                if not ISO_DAY.match(day):
                    raise ValueError(day)
                date.fromisoformat(day)
            except ValueError:
                raise AssessmentError(f"{where}: assessed_on: {day!r} is not a date (YYYY-MM-DD)") from None
            key = (ods, capability, day)
            if key in seen:
                raise AssessmentError(f"{where}: capability: {capability!r} is already claimed for {ods} on {day} "
                                      f"(line {seen[key]})")
            seen[key] = line
            out.append(SelfAssessment(ods, capability, claim, day, row.get("note", "")))
    except AssessmentError:
        raise
    except InputError as exc:
        raise AssessmentError(str(exc)) from None
    return out
