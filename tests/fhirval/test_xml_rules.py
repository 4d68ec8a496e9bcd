"""The XML rules HL7's XmlParser reports that the JSON form cannot show (xml_rules.py): encoding, processing
instructions, namespaced attributes such as xsi:schemaLocation; each with a valid twin that stays valid."""

from __future__ import annotations

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes

_BODY = '<gender value="male"/>'
_OPEN = '<Patient xmlns="http://hl7.org/fhir"'


def errors(xml: str) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in validate_bytes(xml, base_source()) if i.is_error)


def test_a_plain_resource_is_valid() -> None:
    assert errors(f'<?xml version="1.0" encoding="UTF-8"?>{_OPEN}>{_BODY}</Patient>') == []
    assert errors(f"<?xml version='1.0' encoding='utf-8'?>{_OPEN}><!-- a comment -->{_BODY}</Patient>") == []


def test_an_encoding_other_than_utf8_is_an_error() -> None:
    assert errors(f'<?xml version="1.0" encoding="ISO-8859-1"?>{_OPEN}>{_BODY}</Patient>') == [("xml", "")]


def test_processing_instructions_are_errors() -> None:
    before = f'<?xml version="1.0"?><?xml-stylesheet href="a.xsl"?>{_OPEN}>{_BODY}</Patient>'
    assert errors(before) == [("xml", "")]
    assert errors(f'{_OPEN}><name><?render x?><family value="F"/></name>{_BODY}</Patient>') == [
        ("xml", "Patient.name")]


def test_namespaced_attributes_are_errors() -> None:
    xsi = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://hl7.org/fhir p.xsd"'
    assert errors(f"{_OPEN}{xsi}>{_BODY}</Patient>") == [("unknown-element", "Patient")]
    assert errors(f'{_OPEN}><name xml:lang="en"><family value="F"/></name></Patient>') == [
        ("unknown-element", "Patient.name")]


def test_the_narrative_is_left_to_the_xhtml_rules() -> None:
    div = '<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml" xml:lang="en">x</div></text>'
    assert errors(f"{_OPEN}>{div}{_BODY}</Patient>") == []


def test_a_byte_order_mark_before_the_xml_is_read_as_xml() -> None:
    doc = f'<?xml version="1.0" encoding="UTF-8"?>{_OPEN}>{_BODY}</Patient>'.encode()
    found = [(i.defect, i.location) for i in validate_bytes(b"\xef\xbb\xbf" + doc, base_source()) if i.is_error]
    assert found == []  # was judged as JSON, "not JSON"
    bad = f"{_OPEN}><gender value=\"nope\"/></Patient>".encode()
    assert [i.defect for i in validate_bytes(b"\xef\xbb\xbf" + bad, base_source()) if i.is_error] != ["not-json"]


def test_an_integer_has_no_plus_sign() -> None:
    assert errors(f'{_OPEN}><multipleBirthInteger value="2"/></Patient>') == []
    assert errors(f'{_OPEN}><multipleBirthInteger value="-0"/></Patient>') == []  # R4's regex allows it
    assert errors(f'{_OPEN}><multipleBirthInteger value="+2"/></Patient>') != []  # Utilities.isInteger refuses it
