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


def test_a_severity_that_is_no_string_is_none() -> None:
    for odd in (1, ["error"], None):
        assert _invariant_issues({"key": "sev-1", "severity": odd, "human": "x", "expression": "active = false"}) == []


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


def test_too_many_issues_is_a_warning_and_keeps_the_verdict() -> None:
    """HL7's InstanceValidator.validate sets no message limit by default (maxMessages null) and, under one, puts a
    WARNING (VALIDATION_MAX_MESSAGES_EXCEEDED) in place of the last message: warnings past our bound must not
    make a valid resource invalid, and an error past it must still make it invalid."""
    from conformance.fhirval.issues import Sink

    sink = Sink(limit=2)
    for n in range(4):
        sink.warning("w", f"Patient.x[{n}]", "a warning")
    assert not any(i.is_error for i in sink.issues)
    assert [i.severity for i in sink.issues if i.defect == "too-many-issues"] == ["warning"]
    sink.error("e", "Patient.y", "an error past the bound")
    sink.error("e", "Patient.z", "a second one")
    assert [i.location for i in sink.issues if i.is_error] == ["Patient.y"]


def test_a_resource_with_more_warnings_than_the_bound_is_still_valid() -> None:
    names = [{"family": "x", "_family": {"extension": [{"url": f"http://example.org/e{n}", "valueString": "v"}]}}
             for n in range(5)]
    patient = {"resourceType": "Patient", "name": names}
    issues = validate_resource(patient, base_source(), max_issues=2)
    assert any(i.defect == "too-many-issues" for i in issues)
    assert not any(i.is_error for i in issues)


def test_the_agreement_bench_runs_a_case_with_best_practice_ignored_as_hl7s_runner() -> None:
    """ValidationTests.java sets BestPracticeWarningLevel.Ignore before reading the case (a case's own
    ``best-practice`` still wins): a failed best-practice invariant then gives nothing (checkInvariant)."""
    options = load_script("bench/fhir_case_options.py")
    assert options.case_options({}).best_practice == "ignore"
    assert options.case_options({"best-practice": "Warning"}).best_practice == "warning"


def test_the_audit_reads_our_sites_with_their_severity_and_citations(tmp_path: Any) -> None:
    (tmp_path / "m.py").write_text(
        '"""A module citing MOD_RULE."""\n\n'
        "def f(w):\n"
        '    """Why: FUNC_RULE."""\n'
        '    w.sink.warning("x-defect", "loc", "m")\n'
        '    w.sink.add("error" if w else "warning", "y-defect", "loc", "m")\n\n'
        "def g(sink):\n"
        '    sink.info("z-defect", "loc", "m")\n'
    )
    found = {defect: (severity, ids) for _, severity, defect, ids in audit.our_sites(tmp_path)}
    assert found["x-defect"] == ("warning", {"FUNC_RULE"})
    assert found["y-defect"] == ("computed", {"FUNC_RULE"})
    assert found["z-defect"] == ("information", {"MOD_RULE"})
