"""An extension's FHIR-version window (version-specific-use) in R4 content (issue 21, rule matrix).

InstanceValidator.checkExtensionContext: a definition whose window leaves out 4.0 is EXTENSION_FHIR_VERSION_EARLIEST
/ _LATEST; a context whose window leaves out 4.0 is passed over, so an element only it allowed is
EXTENSION_EXTP_CONTEXT_WRONG_VER. Each test failed before the rule (the window was not read).
"""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.extension_versions import _compare, context_applies, definition_window
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

CORE = "http://hl7.org/fhir/StructureDefinition/"
VSU = CORE + "version-specific-use"
URL = "http://example.org/sd/windowed"


def window(start: str | None = None, end: str | None = None) -> dict[str, Any]:
    subs = [{"url": k, "valueCode": v} for k, v in (("startFhirVersion", start), ("endFhirVersion", end)) if v]
    return {"url": VSU, "extension": subs}


def extension(contexts: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": URL, "name": "Windowed", "status": "draft",
            "kind": "complex-type", "abstract": False, "type": "Extension", "derivation": "constraint",
            "baseDefinition": CORE + "Extension", "context": contexts, **top,
            "differential": {"element": [
                {"id": "Extension", "path": "Extension"},
                {"id": "Extension.url", "path": "Extension.url", "fixedUri": URL},
                {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "string"}]}]}}


def errors(sd: dict[str, Any], resource: dict[str, Any]) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource([sd])])
    return [(i.defect, i.location) for i in validate_resource(resource, source) if i.is_error]


PATIENT = {"resourceType": "Patient", "extension": [{"url": URL, "valueString": "x"}]}
BASIC = {"resourceType": "Basic", "code": {"text": "x"}, "extension": [{"url": URL, "valueString": "x"}]}


def test_compare_reads_versions_as_hl7s_compare_versions() -> None:
    assert _compare("4.0", "4.0") == 0
    assert _compare("4.0", "5.0") == -1
    assert _compare("4.0", "4.3") == -1
    assert _compare("4.0", "4.0.1") == -1  # no patch sorts first (compareVersionStrings)
    assert _compare("4.0", "3.0") == 1
    assert _compare("4.0", "R4") is None


def test_a_context_for_later_versions_does_not_allow_the_element_in_r4() -> None:
    # hl7.fhir.uv.extensions.r4's artifact-* extensions: Basic only from 5.0
    later = extension([{"type": "element", "expression": "Basic", "extension": [window(start="5.0")]},
                       {"type": "element", "expression": "Patient"}])
    assert errors(later, BASIC) == [("extension-context", "Basic.extension[0]")]
    assert errors(later, PATIENT) == []  # the unmarked context still holds
    now = extension([{"type": "element", "expression": "Basic", "extension": [window(start="4.0", end="4.3")]}])
    assert errors(now, BASIC) == []
    earlier = extension([{"type": "element", "expression": "Basic", "extension": [window(end="3.0")]}])
    assert errors(earlier, BASIC) == [("extension-context", "Basic.extension[0]")]


def test_a_definition_for_other_versions_is_an_error_in_r4() -> None:
    ctx = [{"type": "element", "expression": "Patient"}]
    assert errors(extension(ctx, extension=[window(start="5.0")]), PATIENT) == [
        ("extension-context", "Patient.extension[0]")]
    assert errors(extension(ctx, extension=[window(end="3.0")]), PATIENT) == [
        ("extension-context", "Patient.extension[0]")]
    # hl7.fhir.uv.extensions.r4's goal-acceptance (1.0 to 5.0) and task-candidateList (to 4.3) hold in R4
    assert errors(extension(ctx, extension=[window(start="1.0", end="5.0")]), PATIENT) == []
    assert errors(extension(ctx, extension=[window(end="4.3")]), PATIENT) == []


def test_window_readers() -> None:
    assert definition_window({}) == []
    assert context_applies({"expression": "Basic"}) == (False, True)
    assert context_applies({"expression": "Basic", "extension": [window(start="5.0")]}) == (True, False)
