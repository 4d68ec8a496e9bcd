"""Base-resource rules of HL7's validator that no step we may look at exercised, found by counting HL7's error
message ids over all of fhir-test-cases' recorded outcomes (issue 21, s-fvmissb). Synthetic resources only."""

from __future__ import annotations

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes


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
