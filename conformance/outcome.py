"""DESIGN.md's validation output contract, in one place for every protocol (FHIR, HL7 v2, GS1).

Each validator keeps its own defect codes and location notation; this module only shapes them as
an OperationOutcome, so one reader serves all, and a change to the contract is made once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def outcome_issue(
    *,
    severity: str,
    code: str,
    defect_system: str,
    defect: str,
    diagnostics: str,
    expression: Sequence[str] = (),
    location: Sequence[str] = (),
) -> dict[str, Any]:
    """One issue: FHIR issue type in ``code``, our stable defect code in ``details.coding[0]``."""
    out: dict[str, Any] = {
        "severity": severity,
        "code": code,
        "details": {"coding": [{"system": defect_system, "code": defect}]},
        "diagnostics": diagnostics,
    }
    if expression:
        out["expression"] = list(expression)
    if location:
        out["location"] = list(location)
    return out


def operation_outcome(issues: list[dict[str, Any]], all_clear: str) -> dict[str, Any]:
    """FHIR requires at least one issue: an input with none is stated as information."""
    return {
        "resourceType": "OperationOutcome",
        "issue": issues or [{"severity": "information", "code": "informational", "diagnostics": all_clear}],
    }
