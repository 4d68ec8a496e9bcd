"""What review11 found in the tenth session's merged changes; each test failed before its mend."""

from __future__ import annotations

from typing import Any

from conformance.fhirval import invariants
from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_bytes, validate_resource

FHIR = "http://hl7.org/fhir/StructureDefinition/"
TOOLS = "http://hl7.org/fhir/tools/StructureDefinition/"


def sd(url: str, rtype: str, *diff: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": "P", "status": "draft", "abstract": False,
            "kind": "complex-type" if rtype == "Extension" else "resource", "type": rtype,
            "derivation": "constraint", "baseDefinition": FHIR + rtype,
            "differential": {"element": [{"id": d["path"], **d} for d in diff]}, **top}


def source(*sds: dict[str, Any]) -> LayeredSource:
    return LayeredSource([base_source(), MemorySource(list(sds))])


def test_a_bundle_type_not_a_string_with_an_entry_without_full_url_is_an_error_not_a_crash() -> None:
    for btype in ('["collection"]', '{"x": 1}'):
        text = '{"resourceType": "Bundle", "type": ' + btype + ', "entry": [{"resource": {"resourceType": "Patient"}}]}'
        issues = validate_bytes(text, base_source())
        assert any(i.is_error and i.location.startswith("Bundle.type") for i in issues)


def test_an_unparsable_invariant_raised_again_keeps_no_traceback_of_earlier_validations() -> None:
    """The cached parse failure was raised itself: each raise grew its traceback, whose frames hold every
    resource validated, for the life of the process (and shared it between threads)."""
    expr = "family.exists()) and review11"
    prof = sd("http://x/SD/inv", "Patient", {"path": "Patient.name", "constraint": [
        {"key": "r-1", "severity": "warning", "human": "x", "expression": expr}]})
    src = source(prof)
    for _ in range(3):
        issues = validate_resource({"resourceType": "Patient", "name": [{"family": "x"}] * 5}, src, [prof["url"]])
        assert sum("r-1" in i.message and i.is_error for i in issues) == 5
    cached = invariants._PARSED[expr]
    assert isinstance(cached, Exception) and cached.__traceback__ is None


def test_several_profiles_one_unknown_and_the_known_one_failing_is_still_an_error() -> None:
    """HL7's validateContains counts matches among the known profiles; the unknown one is its own error."""
    pat = sd("http://x/SD/pat", "Patient", {"path": "Patient.gender", "min": 1})
    bundle = sd("http://x/SD/b", "Bundle", {"path": "Bundle.entry.resource", "type": [
        {"code": "Patient", "profile": ["http://x/SD/pat", "http://x/SD/nope"]}]})
    res = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:3f8a1c52-5f43-4b52-9b1a-0c2b6f0a7d11", "resource": {"resourceType": "Patient"}}]}
    errors = [i.message for i in validate_resource(res, source(pat, bundle), [bundle["url"]]) if i.is_error]
    assert any("did not match any of the allowed profiles" in m for m in errors)


def test_a_matchetype_marked_by_a_boolean_may_use_the_pattern_extensions() -> None:
    res = {"resourceType": "Patient", "extension": [{"url": TOOLS + "matchetype", "valueBoolean": True}],
           "name": [{"extension": [{"url": TOOLS + "matchetype-count", "valueInteger": 1}], "family": "x"}]}
    assert [i.location for i in validate_resource(res, base_source()) if i.defect == "matchetype"] == ["Patient"]


def test_a_lenient_read_with_a_resource_type_not_a_string_has_no_leading_dot() -> None:
    issues = validate_bytes('{"resourceType": ["Patient"], // x\n "active": true}', base_source())
    assert issues and not any(i.location.startswith(".") for i in issues)


def test_too_deep_json_that_needs_a_lenient_read_is_said_too_deep() -> None:
    text = '{"resourceType": "Patient", // x\n "extension": ' + "[" * 300 + "]" * 300 + "}"
    issues = validate_bytes(text, base_source())
    assert [(i.severity, i.defect) for i in issues] == [("fatal", "too-deep")]


def test_an_extension_definition_with_malformed_contexts_does_not_crash() -> None:
    ext = {"path": "Extension.url", "fixedUri": "http://x/e"}
    value = {"path": "Extension.value[x]", "type": [{"code": "string"}]}
    use = {"resourceType": "Patient", "extension": [{"url": "http://x/e", "valueString": "x"}]}
    definition = sd("http://x/e", "Extension", {"path": "Extension"}, ext, value, context=["Patient"])
    validate_resource(use, source(definition))  # no traceback
    marked = sd("http://x/e", "Extension", {"path": "Extension"}, ext, value, context=[
        {"type": "element", "expression": "Basic", "extension": [{"url": FHIR + "version-specific-use",
                                                                  "extension": "x"}]}])
    errors = [i.message for i in validate_resource(use, source(marked)) if i.defect == "extension-context"]
    assert errors and not any("other FHIR versions" in m for m in errors)
