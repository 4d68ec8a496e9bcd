"""A ``#id`` uri that names nothing, inside a textLink extension, is an error (HL7's
InstanceValidator.validateReference with isExtensionThatMatters: TYPE_SPECIFIC_CHECKS_DT_URL_INTERNAL), where
elsewhere a uri's is a warning. Synthetic resources."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import found

TEXT_LINK = "http://hl7.org/fhir/StructureDefinition/textLink"
DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><p id="n1">Note</p></div>'


def patient(data: str, url: str = TEXT_LINK, where: str = "text") -> dict[str, Any]:
    ext = {"url": url, "extension": [{"url": "htmlid", "valueString": "n1"}, {"url": "data", "valueUri": data}]}
    out: dict[str, Any] = {"resourceType": "Patient", "id": "p1", "text": {"status": "generated", "div": DIV}}
    if where == "text":
        out["text"]["extension"] = [ext]
    elif where == "gender":
        out["gender"], out["_gender"] = "male", {"extension": [ext]}
    else:
        out["extension"] = [ext]
    return out


def unresolved(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s, loc) for s, d, loc in found(resource) if d == "reference-unresolved"]


def test_an_internal_url_naming_nothing_in_a_text_link_is_an_error() -> None:
    assert unresolved(patient("#nothing")) == [("error", "Patient.text.extension[0].extension[1].value.ofType(uri)")]
    assert unresolved(patient("#nothing", where="gender")) == [
        ("error", "Patient.gender.extension[0].extension[1].value.ofType(uri)")]


def test_elsewhere_it_stays_a_warning_and_a_match_is_nothing() -> None:
    other = "http://example.org/fhir/StructureDefinition/other-link"
    assert unresolved(patient("#nothing", url=other, where="resource")) == [
        ("warning", "Patient.extension[0].extension[1].value.ofType(uri)")]
    assert unresolved(patient("#p1")) == []
