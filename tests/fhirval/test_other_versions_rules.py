"""Rules of HL7's validator the same in every FHIR version, found through its R5 and version-less test cases
(bench/fhir_other_versions_diagnostics.py, issue 21), each checked here on a small synthetic R4 resource that
the validator judged wrongly before the rule, with the neighbouring case HL7 lets pass.
"""

from __future__ import annotations

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes

_BOM = b"\xef\xbb\xbf"


def errors(data: bytes | str) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_bytes(data, base_source()) if i.is_error]


# ---- a byte order mark before XML (HL7's readers skip it: Utilities.stripBOM, the XML parser) -------------------
def test_xml_after_a_byte_order_mark_is_read_as_xml() -> None:
    xml = b'<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>'
    assert errors(_BOM + xml) == []
    assert errors(_BOM + b'<?xml version="1.0" encoding="UTF-8"?>\n' + xml) == []
    assert errors(_BOM.decode("utf-8") + xml.decode()) == []
    assert errors(_BOM + b'{"resourceType": "Patient", "active": true}') == []


# ---- a JSON property repeated in one object (elementmodel JsonParser.checkNotProcessed, DUPLICATE_JSON_PROPERTY_KEY)
def test_a_repeated_json_property_is_an_error_and_the_first_value_is_kept() -> None:
    assert errors(b'{"resourceType": "Patient", "active": true, "active": false}') == [
        ("json-duplicate-key", "Patient")]
    assert errors(b'{"resourceType": "Patient", "name": [{"family": "a", "family": "b"}]}') == [
        ("json-duplicate-key", "Patient.name[0]")]
    # the first value is the one judged: a bad repeat after a good value adds nothing else
    assert errors(b'{"resourceType": "Patient", "active": true, "active": "yes"}') == [
        ("json-duplicate-key", "Patient")]


def test_the_same_property_in_different_objects_is_no_repeat() -> None:
    assert errors(b'{"resourceType": "Patient", "name": [{"family": "a"}, {"family": "b"}]}') == []
