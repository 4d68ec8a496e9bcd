"""Severity audit (fvsev8, issue 21): where our severity differed from HL7's for the same rule. Each test failed
before its change; scripts/hl7_severity_audit.py is tested on synthetic input (the mirror is not needed)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource
from tests.fhirval.scripts import load_script

FHIR = "http://hl7.org/fhir/StructureDefinition/"
audit = load_script("scripts/hl7_severity_audit.py")


def sd(url: str, rtype: str, *diff: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": "P", "status": "draft", "abstract": False,
            "kind": "resource", "type": rtype, "derivation": "constraint", "baseDefinition": FHIR + rtype,
            "differential": {"element": [{"id": d["path"], **d} for d in diff]}}


def _invariant_issues(constraint: dict[str, Any]) -> list[tuple[str, str]]:
    prof = sd("http://x/SD/sev", "Patient", {"path": "Patient", "constraint": [constraint]})
    src = LayeredSource([base_source(), MemorySource([prof])])
    issues = validate_resource({"resourceType": "Patient", "active": True}, src, [prof["url"]])
    return [(i.severity, i.message) for i in issues if i.defect == "invariant" and "sev-1" in i.message]


def test_a_failing_invariant_without_a_severity_is_not_reported() -> None:
    """InstanceValidator.checkInvariant: ruleInv for ConstraintSeverity.ERROR, warningInv for WARNING, and nothing
    for a constraint with no severity (getSeverity() null: neither branch)."""
    assert _invariant_issues({"key": "sev-1", "human": "x", "expression": "active = false"}) == []


def test_a_failing_invariant_keeps_its_stated_severity() -> None:
    for severity in ("error", "warning"):
        found = _invariant_issues({"key": "sev-1", "severity": severity, "human": "x", "expression": "active = false"})
        assert [s for s, _ in found] == [severity]


def test_an_unparsable_invariant_without_a_severity_is_still_an_error() -> None:
    """The expression is parsed before the severity is read (PROBLEM_PROCESSING_EXPRESSION__IN_PROFILE__PATH__)."""
    found = _invariant_issues({"key": "sev-1", "human": "x", "expression": "active = false)"})
    assert [s for s, _ in found] == ["error"]


def test_the_audit_sorts_ids_by_hl7s_kinds_against_ours() -> None:
    assert audit.verdict([("rule", "A:1")], {"error"}) == "same"
    assert audit.verdict([("rule", "A:1")], {"warning"}) == "ours softer?"
    assert audit.verdict([("warning", "A:1")], {"error"}) == "ours stricter?"
    assert audit.verdict([("rule", "A:1"), ("warning", "A:2")], {"error"}) == "conditional"
    assert audit.verdict([("warningOrError", "A:1")], {"error"}) == "conditional"
    assert audit.verdict([("rule", "A:1")], set()) == "no site of ours"
