"""Third pass over the latent false alarms and misses of the issue alignment (issue 21, s-fvalign3): HL7's
elementmodel.XmlParser, read at HEAD: a child element in another namespace is reported and still read
(checkElement, WRONG_NAMESPACE__EXPECTED_), the encoding header is judged even when the parse then fails
(checkHeader), and an XML 1.1 document may carry restricted characters as references (HL7's Java parser reads 1.1)."""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_bytes

_OPEN = '<Patient xmlns="http://hl7.org/fhir">'


def found(doc: str | bytes) -> list[tuple[str, str, str]]:
    return sorted((i.severity, i.defect, i.location) for i in validate_bytes(doc, base_source()) if i.is_error)


def test_a_child_in_another_namespace_is_one_error_and_is_still_read() -> None:
    doc = f'{_OPEN}<id xmlns="http://hl7.org/fhir1" value="p1"/><gender value="male"/></Patient>'
    assert found(doc) == [("error", "xml-namespace", "Patient.id")]  # was one fatal "not FHIR XML"
    # read by its local name, as getElementProp's second scan does: its value is judged
    bad = f'{_OPEN}<f1:gender xmlns:f1="urn:other" value="nope"/></Patient>'
    assert ("error", "xml-namespace", "Patient.gender") in found(bad)
    assert ("error", "code-invalid", "Patient.gender") in found(bad)
    assert found(f'{_OPEN}<id value="p1"/></Patient>') == []


def test_a_narrative_div_in_another_namespace_is_the_narrative_rule() -> None:
    div = ('<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtmlx"><p>x</p></div></text>'
           '<gender value="male"/>')
    assert found(f"{_OPEN}{div}</Patient>") == [("error", "narrative", "Patient.text.div")]


def test_the_declared_encoding_is_judged_beside_a_parse_failure() -> None:
    doc = f'<?xml version="1.0" encoding="UTF-16"?>\n{_OPEN}<gender value="male"/></Patient>'.encode()
    assert [d for _, d, _ in found(doc)] == ["xml", "xml"]  # was only the parse failure


def test_a_utf16_byte_order_mark_is_xml_in_the_wrong_encoding() -> None:
    doc = f'{_OPEN}<gender value="male"/></Patient>'
    for raw in (b"\xff\xfe" + doc.encode("utf-16-le"), b"\xfe\xff" + doc.encode("utf-16-be")):
        assert found(raw) == [("error", "xml", "")]  # was "not JSON"


def test_xml_1_1_allows_restricted_characters_as_references() -> None:
    body = f'{_OPEN}<name><family value="a&#x1D;b"/></name></Patient>'
    assert found(f'<?xml version="1.1" encoding="UTF-8"?>\n{body}') == []  # was a fatal parse error
    assert [s for s, _, _ in found(f'<?xml version="1.0" encoding="UTF-8"?>\n{body}')] == ["fatal"]
    assert [s for s, _, _ in found(f'<?xml version="1.1"?>\n{body.replace("&#x1D;", "&#x0;")}')] == ["fatal"]


# ---- JSON as HL7's lenient reader reads it (json_lenient.py): each liberty an error in place, the rest judged --

def _json(text: str, **options: bool) -> list[tuple[str, str]]:
    from conformance.fhirval.options import Options
    issues = validate_bytes(text, base_source(), options=Options(**options))  # type: ignore[arg-type]
    return [(i.defect, i.location) for i in issues if i.is_error]


def test_comments_are_errors_at_the_element_they_come_before() -> None:
    # json-comments-2's shape: the second comment closes an object after an array, so the next element takes it
    doc = '{"resourceType": "Patient",\n // one\n "id": "p1",\n "name": [{"given": ["A"]\n // two\n }],\n' \
          ' "gender": "female"}'
    assert _json(doc) == [("json-syntax", "Patient.id"), ("json-syntax", "Patient.gender")]  # was one "not JSON"
    # JsonLexer has read one token past a primitive when its element takes the comments: one right after is its
    assert _json('{"resourceType": "Patient", "gender": "male" // after\n}') == [("json-syntax", "Patient.gender")]
    assert _json(doc, allow_comments=True) == []
    # the rest is judged: a bad code beside a comment is still found
    assert ("code-invalid", "Patient.gender") in _json(doc.replace('"female"', '"nope"'))


def test_commas_missing_and_extra_are_errors_at_their_object_or_array() -> None:
    assert _json('{"resourceType": "Patient", "name": [{"family": "F" "given": ["A"]}]}') == [
        ("json-syntax", "Patient.name[0]")]
    assert _json('{"resourceType": "Patient", "gender": "male",}') == [("json-syntax", "Patient")]
    assert _json('{"resourceType": "Patient", "name": [{"given": ["A",]}]}') == [
        ("json-syntax", "Patient.name[0].given")]
    # between array items HL7's parser notes the missing comma and its element parser never reports it
    assert _json('{"resourceType": "Patient", "name": [{"given": ["A" "B"]}]}') == []


def test_what_the_lenient_reader_refuses_too_stays_not_json() -> None:
    assert _json('{"resourceType": "Patient", /* block */ "gender": "male"}') == [("not-json", "")]
    assert _json('{"resourceType": "Patient", "gender": "male"') == [("not-json", "")]
    assert _json('{"resourceType": "Patient", "gender": "m\\ble"') == [("not-json", "")]  # JsonLexer: no \\b


def test_unquoted_names_and_bad_numbers_are_read_and_judged() -> None:
    assert _json('{"resourceType": "Patient", gender: "male"}') == [("json-syntax", "Patient")]
    found = _json('{"resourceType": "Observation", "status": "final", "code": {"text": "x"},\n'
                  ' "valueQuantity": {"value": 925.}}')
    assert [d for d, _ in found] == ["json-type"]  # the element's type refuses the text 925.
    dup = _json('{"resourceType": "Patient", "gender": "male", "gender": "male",}')
    assert sorted(dup) == [("json-duplicate", "Patient"), ("json-syntax", "Patient")]


# ---- a profile's constraints beneath an extension slice on a primitive (its ``_name``) ------------------------

_PROFILE = "http://example.test/StructureDefinition/p"
_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"


def _gender_slice_profile(slice_min: int, *more: dict[str, object]) -> DefinitionSource:
    """A Patient profile slicing gender's extensions by url, with a ``tr`` slice (translation) and more elements."""
    at = "Patient.gender"
    sd = {"resourceType": "StructureDefinition", "url": _PROFILE, "name": "P", "status": "draft", "kind": "resource",
          "abstract": False, "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
          "derivation": "constraint", "differential": {"element": [
              {"id": f"{at}.extension", "path": f"{at}.extension",
               "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
              {"id": f"{at}.extension:tr", "path": f"{at}.extension", "sliceName": "tr", "min": slice_min,
               "type": [{"code": "Extension", "profile": [_TRANSLATION]}]}, *more]}}
    with TemporaryDirectory() as tmp:
        (Path(tmp) / "p.json").write_text(json.dumps(sd))
        return load_definitions([Path(tmp) / "p.json"])


def _translation(content: str) -> dict[str, object]:
    return {"url": _TRANSLATION, "extension": [{"url": "lang", "valueCode": "en"},
                                               {"url": "content", "valueString": content}]}


def test_a_primitives_extensions_are_walked_by_the_profiles_children() -> None:
    # string-extensions-and-constraints-example: HL7 walks the primitive's extensions against the profile's
    # snapshot, so a maxLength on a sub-extension's value under an extension slice applies (was: the base type only)
    src = _gender_slice_profile(0, {"id": "Patient.gender.extension:tr.extension:content.value[x]",
                                    "path": "Patient.gender.extension.extension.value[x]", "maxLength": 2})
    doc = {"resourceType": "Patient", "gender": "male", "_gender": {"extension": [_translation("ddd")]}}
    issues = [(i.defect, i.location) for i in validate_bytes(json.dumps(doc), src, [_PROFILE]) if i.is_error]
    assert issues == [("too-long", "Patient.gender.extension[0].extension[1].value.ofType(string)")]
    doc["_gender"] = {"extension": [_translation("dd")]}
    assert [i for i in validate_bytes(json.dumps(doc), src, [_PROFILE]) if i.is_error] == []


def test_a_required_extension_slice_on_a_primitive_is_required_without_its_name_too() -> None:
    # HL7 walks the element against the profile's children whether or not it has a "_name": a required extension
    # slice is missing from a primitive that has no extensions at all (was: not looked for without "_gender")
    src = _gender_slice_profile(1)

    def errors(doc: dict[str, object]) -> list[tuple[str, str]]:
        return [(i.defect, i.location) for i in validate_bytes(json.dumps(doc), src, [_PROFILE]) if i.is_error]

    assert errors({"resourceType": "Patient", "gender": "male"}) == [("slice-min", "Patient.gender")]
    ext = _translation("dd")
    assert errors({"resourceType": "Patient", "gender": "male", "_gender": {"extension": [ext]}}) == []
    assert errors({"resourceType": "Patient"}) == []  # no gender, nothing of it required
