"""Base-resource rules of HL7's validator that no step we may look at exercised, found by counting HL7's error
message ids over all of fhir-test-cases' recorded outcomes (issue 21, s-fvmissb). Synthetic resources only."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes, validate_resource


def _xml_errors(body: bytes) -> list[tuple[str, str]]:
    doc = b'<Patient xmlns="http://hl7.org/fhir">' + body + b"</Patient>"
    return [(i.defect, i.location) for i in validate_bytes(doc, base_source()) if i.is_error]


def test_text_content_of_a_fhir_xml_element_is_an_error_wherever_it_stands() -> None:
    # HL7's XmlParser.parseChildren: every non-blank text node of a FHIR element (TEXT_SHOULD_NOT_BE_PRESENT);
    # ours saw only the text before an element's first child, and then as an unknown property '#text'
    assert _xml_errors(b'<id value="a"/>stray<active value="true"/>') == [("xml", "Patient")]
    assert _xml_errors(b'<name><family value="x"/>tail</name>') == [("xml", "Patient.name[0]")]
    assert _xml_errors(b'<name>lead<family value="x"/>tail</name>') == [("xml", "Patient.name[0]")] * 2
    assert _xml_errors(b'<active value="true">yes</active>') == [("xml", "Patient.active")]


def test_whitespace_and_narrative_text_are_not_text_content() -> None:
    assert _xml_errors(b'\n  <text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">some '
                       b"<b>text</b> here</div></text>\n  <active value=\"true\"/>\n") == []


def _transaction(method: str, btype: str = "transaction", full_url: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                                          "code": {"text": "x"}, "subject": {"reference": "Patient/1"}},
                             "request": {"method": method, "url": "Observation/o1"}}
    if full_url:
        entry["fullUrl"] = full_url
    return {"resourceType": "Bundle", "type": btype, "entry": [entry]}


def _errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error]


def test_a_put_without_fullurl_that_refers_is_an_error_in_a_transaction_but_a_post_is_not() -> None:
    # InstanceValidator.localResolve (BUNDLE_BUNDLE_ENTRY_NOFULLURL) and BaseValidator.getFromBundle
    # (BUNDLE_BUNDLE_FULLURL_MISSING) exempt only batch-response and transaction-response; R4's Bundle.entry.fullUrl
    # "SHALL have a value except that: fullUrl can be empty on a POST", so a POST stays exempt here
    at = "Bundle.entry[0].resource.subject.reference"
    expected = [("bundle-fullurl", "Bundle.entry[0]"), ("reference-unresolved", at)]  # the first on the entry
    assert _errors(_transaction("PUT")) == expected
    assert _errors(_transaction("PUT", "batch")) == expected
    assert _errors(_transaction("POST")) == []
    assert _errors(_transaction("POST", "batch")) == []
    assert _errors(_transaction("PUT", full_url="http://example.org/fhir/Observation/o1")) == []
