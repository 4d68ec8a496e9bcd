"""HL7's element-model parsers, message by message (fvparse14): each divergence that changed a verdict.

Sources (hapifhir/org.hl7.fhir.core @ b06c7ee): org.hl7.fhir.r5.elementmodel.JsonParser and XmlParser, and the
org.hl7.fhir.utilities.json.parser JsonParser/JsonLexer the JSON one reads with (isJson5, allowDuplicates).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.issues import Issue
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.validate import validate_bytes


def issues(text: str | bytes) -> list[Issue]:
    return [i for i in validate_bytes(text, base_source()) if i.is_error]


def errors(text: str | bytes) -> list[tuple[str, str]]:
    return sorted((i.defect, i.location) for i in issues(text))


PATIENT = '{"resourceType": "Patient", %s}'


# -- JSON --------------------------------------------------------------------------------------------------------

def test_an_empty_array_of_a_primitive_is_no_error() -> None:
    # parseChildPrimitive reads [] as no values; ARRAY_CANNOT_BE_EMPTY is parseChildComplex's alone
    assert errors(PATIENT % '"name": [{"family": "F", "given": []}]') == []
    assert errors(PATIENT % '"name": [{"family": "F", "given": [], "_given": []}]') == []
    assert errors(PATIENT % '"name": []') == [("array-unexpected", "Patient.name")]
    assert errors(PATIENT % '"name": [{"family": "F", "extension": []}]') == [
        ("array-unexpected", "Patient.name[0].extension")]


def test_an_empty_array_still_counts_nothing_towards_a_minimum() -> None:
    # no element was read, so the InstanceValidator's minimum (VALIDATION_VAL_PROFILE_MINIMUM) is not met
    text = ('{"resourceType": "CapabilityStatement", "status": "draft", "date": "2020", "kind": "instance", '
            '"fhirVersion": "4.0.1", "format": [], "implementation": {"description": "x"}, '
            '"rest": [{"mode": "server"}]}')
    assert errors(text) == [("cardinality-min", "CapabilityStatement.format")]


def test_json_escapes_hl7s_lexer_does_not_know_are_fatal() -> None:
    # JsonLexer.next: \b and \f are "unknown escape sequence", an IOException the parser logs as fatal
    # (ERROR_PARSING_JSON_); an escaped backslash before a "b" is no escape of b
    for escape in ("\\b", "\\f"):
        found = issues(PATIENT % f'"name": [{{"family": "a{escape}b"}}]')
        assert [(i.severity, i.defect) for i in found] == [("fatal", "not-json")], escape
    assert errors(PATIENT % '"name": [{"family": "a\\\\bb", "given": ["\\t\\n\\r\\/\\"\\u00e9"]}]') == []


def test_every_byte_order_mark_character_is_taken_out_as_hl7_does() -> None:
    # utilities JsonParser.parseJsonObject reads Utilities.stripBOM(source): every U+FEFF, not only a leading one
    assert errors(PATIENT % '"gender": "male\ufeff"') == []
    assert errors(("\ufeff\ufeff" + PATIENT % '"gender": "male"').encode()) == []
    assert errors("\ufeff" + PATIENT % '"gender": "male"') == []


def _read_in_time(text: str) -> list[tuple[str, str]]:
    found: list[list[tuple[str, str]]] = []
    worker = threading.Thread(target=lambda: found.append(sorted((i.severity, i.defect) for i in issues(text))),
                              daemon=True)
    worker.start()
    worker.join(20)
    assert found, "the lenient reader did not return"
    return found[0]


def test_a_non_ascii_digit_or_letter_is_unexpected_content() -> None:
    # JsonLexer.next starts a number at '0'-'9' or '-', a word at Utilities.isAlphabetic (a-z, A-Z) or '_';
    # anything else is "Unexpected content", fatal. (A non-ASCII digit used to loop for ever in an array.)
    assert _read_in_time(PATIENT % '"name": [{"family": "x", "given": [\u0663]}]') == [("fatal", "not-json")]
    assert _read_in_time(PATIENT % '"gender": \u00e9') == [("fatal", "not-json")]
    # an unquoted ASCII word is still read, and reported (JSON_PROPERTY_VALUE_NO_QUOTES)
    assert ("error", "json-syntax") in _read_in_time(PATIENT % '"gender": male')


def test_a_json_null_beside_a_primitives_shadow_is_an_error() -> None:
    # JsonParser.parseChildPrimitiveInstance: a value that is no boolean, number or string (null) is
    # THIS_PROPERTY_MUST_BE_AN_SIMPLE_VALUE_NOT_, and a fork that is no object (null)
    # THIS_PROPERTY_MUST_BE_AN_OBJECT_NOT_, with a "_name" beside it or not; only an array's items may be null
    ext = ('{"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", '
           '"valueCode": "unknown"}]}')
    assert errors(PATIENT % '"gender": "male", "_gender": null') == [("primitive-extension", "Patient.gender")]
    assert ("null-value", "Patient.birthDate") in errors(PATIENT % f'"birthDate": null, "_birthDate": {ext}')
    assert errors(PATIENT % f'"_birthDate": {ext}') == []
    assert errors(PATIENT % f'"name": [{{"family": "F", "given": [null], "_given": [{ext}]}}]') == []


# -- XML ---------------------------------------------------------------------------------------------------------

def xml(body: str) -> bytes:
    return f'<Patient xmlns="http://hl7.org/fhir">{body}</Patient>'.encode()


def test_a_cdata_section_is_read_as_its_text() -> None:
    """XmlParser.parse with policy EVERYTHING (InstanceValidator.validate) builds its DOM by a SAX to DOM identity
    transform, which merges a CDATA section into the text beside it (the JDK's XSLTC and Saxon-HE build no
    CDATA_SECTION_NODE: run with XmlParser's factories, fvleft15), so parseChildren's CDATA_IS_NOT_ALLOWED is never
    reached: a blank section is nothing, a non-blank one is text (TEXT_SHOULD_NOT_BE_PRESENT), in a div text."""
    assert errors(xml('<gender value="male"><![CDATA[ ]]></gender>')) == []
    assert errors(xml('<gender value="male"><![CDATA[]]></gender>')) == []
    assert errors(xml('<![CDATA[\n]]><gender value="male"/>')) == []
    assert errors(xml('<gender value="male"><![CDATA[x]]></gender>')) == errors(xml('<gender value="male">x</gender>'))
    assert len(errors(xml('<gender value="male">x</gender>'))) == 1
    assert errors(xml('<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">'
                      '<![CDATA[x]]></div></text>')) == []


DIV = '<text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml">%s</div></text>'


def test_a_comment_in_an_xml_div_is_kept_as_hl7s_dom_keeps_it() -> None:
    """The SAX to DOM transform keeps comments, XhtmlParser.parseNode makes each a Comment node: one whose text
    starts with DOCTYPE is XHTML_XHTML_DOCTYPE_ILLEGAL (XhtmlValidator.checkInnerNames) and fails txt-1
    (FHIRPathEngine.checkHtmlNames). The DOM's comment text is as written (no space skipped, unlike the JSON
    reader's skipWhiteSpaceAndComments before the root). Comments outside the div are still dropped (fvleft15)."""
    assert errors(xml(DIV % '<p>a<!--DOCTYPE x--></p>')) == [("invariant", "Patient.text.div"),
                                                              ("narrative", "Patient.text.div")]
    assert errors(xml(DIV % '<p>a<!-- DOCTYPE x--></p>')) == []
    assert errors(xml(DIV % '<p>a<!--a note--></p>')) == []
    assert errors(xml('<!--c-->' + DIV % '<p>a</p>' + '<!--d--><gender value="male"/>')) == []
    assert errors(xml('<gender value="male"/><!--c-->stray')) == [("xml", "Patient")]


def test_only_the_root_resource_must_have_some_content() -> None:
    # XmlParser.checkElement (ELEMENT_MUST_HAVE_SOME_CONTENT) runs on the root and on each child element it
    # reads; a resource inside entry.resource or contained goes through parseResource, straight to parseChildren
    bundle = ('<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><fullUrl value="urn:uuid:'
              '2d7a4f5e-8f1c-4c3a-9a3e-0d6f1d2b7c11"/><resource><Patient%s</resource></entry></Bundle>')
    assert errors((bundle % "/>").encode()) == []
    assert errors((bundle % "> </Patient>").encode()) == []
    assert errors(b'<Patient xmlns="http://hl7.org/fhir"/>') == [("xml", "Patient")]


def test_a_resource_holder_is_read_for_its_first_resource_only() -> None:
    # XmlParser.parseResource reads XMLUtil.getFirstChild(container) and nothing after it, without a word
    bundle = ('<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry><fullUrl value="urn:uuid:'
              '2d7a4f5e-8f1c-4c3a-9a3e-0d6f1d2b7c11"/><resource><Patient><active value="true"/></Patient>'
              '<Patient><active value="no"/></Patient></resource></entry></Bundle>')
    assert errors(bundle.encode()) == []
    assert [i.severity for i in issues(bundle.replace("<Patient><active value=\"true\"/></Patient>", "")
                                       .replace("<Patient><active value=\"no\"/></Patient>", "").encode())] == ["fatal"]


def test_resource_definition_is_read_as_hl7s_parsers_read_it() -> None:
    # JsonParser.parse: the root's resourceDefinition is resolved (RESOURCEDEFINITION_PROPERTY_WRONG_TYPE /
    # _UNKNOWN otherwise); checkNotProcessed passes over it in any resource's object; XmlParser.parseChildren
    # passes over an attribute of that local name on any element
    sd = "http://hl7.org/fhir/StructureDefinition/Patient"
    assert errors(PATIENT % f'"resourceDefinition": "{sd}"') == []
    assert errors(PATIENT % '"resourceDefinition": "http://example.org/nothing"') == [("resource-type", "Patient")]
    assert errors(PATIENT % '"resourceDefinition": 3') == [("resource-type", "Patient")]
    assert errors(PATIENT % '"contained": [{"resourceType": "Patient", "id": "a", "resourceDefinition": 3}], '
                            '"link": [{"other": {"reference": "#a"}, "type": "seealso"}]') == []
    assert errors(PATIENT % '"name": [{"family": "F", "resourceDefinition": "x"}]') == [
        ("unknown-element", "Patient.name[0].resourceDefinition")]
    assert errors(f'<Patient xmlns="http://hl7.org/fhir" resourceDefinition="{sd}"><gender value="male"/>'
                  '</Patient>'.encode()) == []


def _decimal(value: str, fmt: str = "json") -> list[tuple[str, str, str]]:
    if fmt == "json":
        data = ('{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "text": {"status": '
                '"generated", "div": "<div xmlns=\\"http://www.w3.org/1999/xhtml\\">x</div>"}, '
                f'"valueQuantity": {{"value": {value}}}}}').encode()
    else:
        data = ('<Observation xmlns="http://hl7.org/fhir"><text><status value="generated"/><div '
                'xmlns="http://www.w3.org/1999/xhtml">x</div></text><status value="final"/><code><text value="x"/>'
                f'</code><valueQuantity><value value="{value}"/></valueQuantity></Observation>').encode()
    return [(i.severity, i.defect, i.location) for i in validate_bytes(data, base_source())
            if i.severity in ("fatal", "error", "warning")]


RANGE = [("warning", "decimal-range", "Observation.value.ofType(Quantity).value")]
FORMAT = [("error", "primitive-format", "Observation.value.ofType(Quantity).value")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("value", "expected"), [
    ("1e400", []),  # Utilities.checkDecimal OK: an exponent of 3 digits; was 'inf is not a valid decimal'
    ("-1E+400", []),
    ("1e-400", []),
    ("1e10000", RANGE),  # an exponent of more than 4 digits: TYPE_SPECIFIC_CHECKS_DT_DECIMAL_RANGE, a warning
    ("1e-00001", RANGE),
    ("1234567890123456789", RANGE),  # more than 18 digits
    ("1.2345678901234567890", RANGE),
    ("123456789012345678", []),
    ("1.5", []),
])
def test_a_decimal_is_judged_by_its_text(value: str, expected: list[tuple[str, str, str]], fmt: str) -> None:
    """InstanceValidator.checkPrimitive, decimal: HL7 keeps a number's text and asks Utilities.checkDecimal; only
    a syntax failure is an error (TYPE_SPECIFIC_CHECKS_DT_DECIMAL_VALID), RANGE a warning (fvleft15). A double
    would read 1e400 as infinity and 1e-400 as 0: the text is kept (safejson.FloatText)."""
    assert _decimal(value, fmt) == expected


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("value", "expected"), [
    ("0e5", FORMAT), ("-0E1", FORMAT), ("0e00005", FORMAT),  # SYNTAX is decided before RANGE's counts
    ("0.0e0", []), ("0", []), ("-0", []), ("0.5e1", []),
])
def test_a_zero_before_anything_but_a_point_is_no_decimal(value: str, expected: list[tuple[str, str, str]],
                                                           fmt: str) -> None:
    """Utilities.checkDecimal(text, true, allowLeadingZero false), as InstanceValidator.checkPrimitive calls it:
    a '0' followed by anything but '.' is SYNTAX, TYPE_SPECIFIC_CHECKS_DT_DECIMAL_VALID (an error); JSON can write
    that only with an exponent (0e5), and HL7's JsonLexer keeps the text (review15)."""
    assert _decimal(value, fmt) == expected


def test_an_xml_number_of_thousands_of_digits_is_judged_not_raised() -> None:
    """XmlParser keeps a value's text; int() refuses more than 4,300 digits (a ValueError out of validate_bytes
    before): a decimal's digits are checkDecimal's RANGE (a warning), an integer's Utilities.isInteger false
    (TYPE_SPECIFIC_CHECKS_DT_INTEGER_VALID, an error) (review15)."""
    assert _decimal("1" * 5000, "xml") == RANGE
    data = ('<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/'
            'xhtml">x</div></text><multipleBirthInteger value="' + "1" * 5000 + '"/></Patient>').encode()
    found = [(i.severity, i.location) for i in validate_bytes(data, base_source()) if i.is_error]
    assert found == [("error", "Patient.multipleBirth.ofType(integer)")]


def test_nan_and_infinity_stay_errors() -> None:
    """NaN and Infinity are words, not numbers, to HL7's JsonParser (an unquoted value): still errors here."""
    assert ("error", "primitive-format", "Observation.value.ofType(Quantity).value") in _decimal("Infinity")


@pytest.mark.parametrize(("lead", "fatal"), [(b" ", False), (b"\n\t", False), (b"\xef\xbb\xbf", False),
                                             (b"x", True), (b" <?xml version=\"1.0\"?>", True)])
def test_what_comes_before_the_root_element(lead: bytes, fatal: bool) -> None:
    """XmlParser.checkHeader logs XML_ENCODING_INVALID (an error) for any first byte other than '<' or a UTF-8
    BOM, leading whitespace included; then the SAX parse reads past whitespace, and refuses other text ("Content
    is not allowed in prolog", fatal) or a declaration after whitespace. Leading whitespace is left alone here
    (UK Core 2.0.2's own IllicitDrugs example starts with a space, and the issue holds UK Core's examples valid);
    other text is fatal in both."""
    found = validate_bytes(lead + b'<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>',
                           base_source())
    assert any(i.severity == "fatal" for i in found) is fatal
    assert fatal or not any(i.is_error for i in found)


def test_a_decimal_of_too_many_digits_is_judged_on(tmp_path: Path) -> None:
    """After TYPE_SPECIFIC_CHECKS_DT_DECIMAL_RANGE (a warning) HL7's checkPrimitive goes on to the element's
    maxValue/minValue (InstanceValidator, decimal: ``new Decimal(e.getValue())`` then DECIMAL_GT / DECIMAL_LT)."""
    sd = {"resourceType": "StructureDefinition", "id": "s-charge", "status": "draft", "kind": "resource",
          "url": "https://conformance.example/fhir/StructureDefinition/s-charge", "name": "SCharge",
          "abstract": False, "type": "ChargeItem", "derivation": "constraint",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/ChargeItem",
          "differential": {"element": [{"id": "ChargeItem.factorOverride", "path": "ChargeItem.factorOverride",
                                        "maxValueDecimal": 1}]}}
    (tmp_path / "s.json").write_text(json.dumps(sd))
    source = load_definitions([tmp_path / "s.json"])

    def found(value: str) -> list[tuple[str, str]]:
        data = ('{"resourceType": "ChargeItem", "meta": {"profile": ["' + sd["url"] + '"]}, "status": "billed", '
                '"code": {"text": "x"}, "subject": {"display": "x"}, "factorOverride": ' + value + '}').encode()
        return sorted((i.severity, i.defect) for i in validate_bytes(data, source)
                      if i.location == "ChargeItem.factorOverride")
    assert found("1.00000000000000000001") == [("error", "max-value"), ("warning", "decimal-range")]  # as BigDecimals
    assert found("0.50000000000000000001") == [("warning", "decimal-range")]
    assert found("2") == [("error", "max-value")]
