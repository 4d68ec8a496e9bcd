"""Rules of HL7's validator the same in every FHIR version, found through its R5 and version-less test cases
(bench/fhir_other_versions_diagnostics.py, issue 21), each checked here on a small synthetic R4 resource that
the validator judged wrongly before the rule, with the neighbouring case HL7 lets pass.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.terminology import Terminology
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


# ---- XML elements in their definition's order (InstanceValidator VALIDATION_VAL_PROFILE_OUTOFORDER) ------------
def warnings(data: bytes) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_bytes(data, base_source()) if i.severity == "warning"]


def test_an_xml_element_out_of_its_definitions_order_is_reported() -> None:
    bad = b'<List xmlns="http://hl7.org/fhir"><mode value="changes"/><status value="current"/></List>'
    # a warning, not HL7's error (as a missing xmlns): UK Core 2.0.2 publishes three examples out of order
    assert ("element-order", "List.status") in warnings(bad) and errors(bad) == []
    inner = b'<Patient xmlns="http://hl7.org/fhir"><name><given value="x"/><family value="y"/></name></Patient>'
    assert ("element-order", "Patient.name[0].family") in warnings(inner)


def test_xml_in_order_with_attributes_choices_and_split_repeats_is_not() -> None:
    good = (b'<Observation xmlns="http://hl7.org/fhir"><id value="a"/><extension url="http://x"><valueString '
            b'value="b"/></extension><status value="final"/><code><text value="x"/></code><valueString value="a"/>'
            b'</Observation>')
    assert [w for w in warnings(good) if w[0] == "element-order"] == []
    # a repeat split by nothing out of order, an unknown element (reported as such, not as order)
    split = b'<Patient xmlns="http://hl7.org/fhir"><active value="true"/><foo value="1"/><name><family value="y"/>' \
            b'</name><name><family value="z"/></name></Patient>'
    assert [w for w in warnings(split) if w[0] == "element-order"] == []


# ---- base64Binary judged as HL7 judges it (Base64Util.isValidBase64; the type is in ID_EXEMPT_LIST, no regex) -----
def _binary(data: str) -> bytes:
    return json.dumps({"resourceType": "Binary", "contentType": "text/plain", "data": data}).encode()


def test_base64_characters_outside_the_alphabet_are_not_counted() -> None:
    assert errors(_binary("MEKH....SD/Z")) == []  # HL7 passes it: two quads of the alphabet
    assert errors(_binary("aGVsbG8=")) == []


def test_base64_whose_alphabet_is_not_in_quads_is_an_error() -> None:
    assert errors(_binary("MEKH....SD/")) == [("primitive-format", "Binary.data")]
    assert errors(_binary("aGVsbG8gd29ybGQ")) == [("primitive-format", "Binary.data")]


# ---- a value discriminator whose path goes on past resolve() reads the target profile (evaluateDefinition) -------
_CS = "http://example.org/cs"


def _basic_profile(code: str) -> dict[str, object]:
    return {"resourceType": "StructureDefinition", "url": f"http://example.org/StructureDefinition/basic-{code}",
            "name": f"Basic{code}", "status": "draft", "kind": "resource", "abstract": False, "type": "Basic",
            "derivation": "constraint", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Basic",
            "differential": {"element": [{"id": "Basic.code", "path": "Basic.code",
                                          "fixedCodeableConcept": {"coding": [{"system": _CS, "code": code}]}}]}}


def _list_profile() -> dict[str, object]:
    elements: list[dict[str, object]] = [{"id": "List.entry", "path": "List.entry", "slicing": {
        "discriminator": [{"type": "value", "path": "item.resolve().code"}], "rules": "open"}}]
    for code in ("one", "two"):
        elements += [{"id": f"List.entry:{code}", "path": "List.entry", "sliceName": code, "min": 1, "max": "1"},
                     {"id": f"List.entry:{code}.item", "path": "List.entry.item", "type": [{
                         "code": "Reference", "targetProfile": [f"http://example.org/StructureDefinition/basic-{code}"]}]}]
    return {"resourceType": "StructureDefinition", "url": "http://example.org/StructureDefinition/list", "name": "L",
            "status": "draft", "kind": "resource", "abstract": False, "type": "List", "derivation": "constraint",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/List", "differential": {"element": elements}}


def _list(*codes: str) -> str:
    contained = [{"resourceType": "Basic", "id": f"b{i}", "code": {"coding": [{"system": _CS, "code": c}]}}
                 for i, c in enumerate(codes)]
    return json.dumps({"resourceType": "List", "status": "current", "mode": "working", "contained": contained,
                       "entry": [{"item": {"reference": f"#b{i}"}} for i in range(len(codes))]})


def test_a_discriminator_past_resolve_reads_the_target_profiles_fixed_value(tmp_path: Path) -> None:
    for name, sd in (("one", _basic_profile("one")), ("two", _basic_profile("two")), ("list", _list_profile())):
        (tmp_path / f"{name}.json").write_text(json.dumps(sd), encoding="utf-8")
    source = load_definitions(sorted(tmp_path.glob("*.json")))
    profile = ["http://example.org/StructureDefinition/list"]
    assert [i.defect for i in validate_bytes(_list("one", "two"), source, profile) if i.is_error] == []
    short = [(i.defect, i.message) for i in validate_bytes(_list("one", "one"), source, profile) if i.is_error]
    assert any(d == "slice-min" and "List.entry:two" in m for d, m in short), short


# ---- an extension context on a base type's element (checkExtensionContext walks the base definitions) ----------
_EXT_URL = "http://example.org/StructureDefinition/on-meta"


def _extension(context: str) -> dict[str, object]:
    return {"resourceType": "StructureDefinition", "url": _EXT_URL, "name": "OnMeta", "status": "draft",
            "kind": "complex-type", "abstract": False, "type": "Extension", "derivation": "constraint",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
            "context": [{"type": "element", "expression": context}],
            "differential": {"element": [{"id": "Extension", "path": "Extension"},
                                         {"id": "Extension.url", "path": "Extension.url", "fixedUri": _EXT_URL},
                                         {"id": "Extension.value[x]", "path": "Extension.value[x]",
                                          "type": [{"code": "string"}]}]}}


def test_an_extension_whose_context_is_a_base_types_element_is_allowed_there(tmp_path: Path) -> None:
    ext = [{"url": _EXT_URL, "valueString": "x"}]
    for context, where in (("Resource.meta", "meta"), ("DomainResource.text", "text")):
        (tmp_path / "ext.json").write_text(json.dumps(_extension(context)), encoding="utf-8")
        source = load_definitions([tmp_path / "ext.json"])
        host = {"extension": ext} if where == "meta" else {"status": "generated", "extension": ext,
                                                           "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}
        patient = json.dumps({"resourceType": "Patient", where: host})
        assert [i.defect for i in validate_bytes(patient, source) if i.is_error] == [], context
        # elsewhere it is still out of its context
        wrong = json.dumps({"resourceType": "Patient", "name": [{"family": "x", "extension": ext}]})
        assert ("extension-context", "Patient.name[0].extension[0]") in [
            (i.defect, i.location) for i in validate_bytes(wrong, source) if i.is_error], context


# ---- compose.inactive false leaves the inactive concepts out (ValueSetValidator, CodeSystemUtilities.isInactive) --
_INACTIVE_CS = "http://example.org/CodeSystem/states"
_ACTIVE_VS = "http://example.org/ValueSet/active-states"


def _terminology(tmp_path: Path, inactive: bool | None) -> list[Path]:
    concepts = [{"code": "on"}, {"code": "gone", "property": [{"code": "inactive", "valueBoolean": True}]},
                {"code": "old", "property": [{"code": "status", "valueCode": "retired"}]}]
    cs = {"resourceType": "CodeSystem", "url": _INACTIVE_CS, "status": "active", "content": "complete",
          "concept": concepts}
    compose: dict[str, object] = {"include": [{"system": _INACTIVE_CS}]}
    if inactive is not None:
        compose["inactive"] = inactive
    vs = {"resourceType": "ValueSet", "url": _ACTIVE_VS, "status": "active", "compose": compose}
    (tmp_path / "cs.json").write_text(json.dumps(cs), encoding="utf-8")
    (tmp_path / "vs.json").write_text(json.dumps(vs), encoding="utf-8")
    return [tmp_path / "cs.json", tmp_path / "vs.json"]


def test_a_value_set_without_inactive_codes_rejects_them(tmp_path: Path) -> None:
    for inactive, expected in ((False, {"on"}), (True, {"on", "gone", "old"}), (None, {"on", "gone", "old"})):
        expansion = Terminology(load_definitions(_terminology(tmp_path, inactive))).expand(_ACTIVE_VS)
        assert expansion is not None and expansion.codes[_INACTIVE_CS] == expected, inactive


# ---- a contained resource needs an id (InstanceValidator: IdStatus.REQUIRED for CONTAINED, RESOURCE_RES_ID_MISSING)
def test_a_contained_resource_without_an_id_is_an_error_and_unreferenced() -> None:
    patient = {"resourceType": "Patient", "contained": [{"resourceType": "Organization", "name": "x"}]}
    assert errors(json.dumps(patient).encode()) == [("resource-id", "Patient.contained[0]"),
                                                    ("contained-unreferenced", "Patient.contained[0]")]


def test_a_referenced_contained_resource_with_an_id_is_not() -> None:
    patient = {"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", "name": "x"}],
               "managingOrganization": {"reference": "#o"}}
    assert errors(json.dumps(patient).encode()) == []
