"""The validator's options (conformance/fhirval/options.py), each on and off, on small synthetic resources.

Every option is off by default (nothing else's verdict moves); each test shows the issue the option adds and
that the default walk does not report it.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.issues import Issue
from conformance.fhirval.options import Options, contains_html_tags, markdown_html, options_from
from conformance.fhirval.validate import validate_bytes, validate_resource, without_comments

DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">text</div>'}
WG = "http://hl7.org/fhir/StructureDefinition/structuredefinition-wg"


def _run(resource: dict[str, Any], **options: Any) -> list[Issue]:
    return validate_resource(resource, base_source(), options=Options(**options))


def _defects(resource: dict[str, Any], **options: Any) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location) for i in _run(resource, **options)]


def test_html_tags_are_found_as_hl7s_html_utilities_finds_them() -> None:
    # HTMLUtilities.containsHtmlTags and its unit test: a tag counts only when another "<" follows it
    assert contains_html_tags("<div><span>") and contains_html_tags("some text <em>content<strong>")
    assert contains_html_tags('<p class="note"><br>')
    assert not any(contains_html_tags(t) for t in ("<div>", "</div></span>", "<br/>", "3 < 5 > 2", "", "<123><456>"))


def test_security_checks_make_html_in_a_string_an_error() -> None:
    patient = {"resourceType": "Patient", "text": DIV, "name": [{"text": "<script>alert(1)</script>"}]}
    assert _defects(patient) == []
    assert _defects(patient, security_checks=True) == [("error", "security", "Patient.name[0].text")]
    # markdown too (only the narrative's xhtml is exempt)
    obs = {"resourceType": "Observation", "text": DIV, "status": "final", "code": {"text": "x"},
           "note": [{"text": "see <b>this</b> and <i>that</i>"}]}
    assert ("error", "security", "Observation.note[0].text") in _defects(obs, security_checks=True)
    assert not any(d == "security" for _, d, _ in _defects(patient | {"name": [{"text": "a < b > c"}]},
                                                           security_checks=True))


def test_security_checks_reach_xml_input() -> None:
    xml = (b'<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/'
           b'1999/xhtml"><p>ok</p></div></text><name><text value="&lt;b&gt;x&lt;i&gt;y"/></name></Patient>')
    assert [i.defect for i in validate_bytes(xml, base_source(), options=Options(security_checks=True))
            if i.is_error] == ["security"]
    assert not [i for i in validate_bytes(xml, base_source()) if i.is_error]


def test_html_in_markdown_at_the_level_asked_for() -> None:
    assert markdown_html("see <b>this") == "<b" and markdown_html("a <!-- c -->") == "<!"
    assert markdown_html(r"escaped \<b> and a < b") is None
    obs = {"resourceType": "Observation", "text": DIV, "status": "final", "code": {"text": "x"},
           "note": [{"text": "see <b>this</b>"}]}
    assert _defects(obs) == []
    assert _defects(obs, html_in_markdown="error") == [("error", "markdown-html", "Observation.note[0].text")]
    assert _defects(obs, html_in_markdown="warning") == [("warning", "markdown-html", "Observation.note[0].text")]
    # a string is not markdown: only security checks judge it
    string = obs | {"code": {"text": "see <b>this</b>"}, "note": [{"text": "plain"}]}
    assert not [d for _, d, _ in _defects(string, html_in_markdown="error") if d == "markdown-html"]


CONDITION = {"resourceType": "Condition", "text": DIV, "subject": {"reference": "Patient/1"},
             "contained": [{"resourceType": "Practitioner", "id": "x" * 65}]}


def test_contained_policy_valid_by_default_type_and_ignore_skip_the_walk() -> None:
    # HL7's contained-resource-bad-id: a 65-character id and dom-3 by default (CHECK_VALID), nothing under IGNORE
    assert {d for s, d, _ in _defects(CONDITION) if s == "error"} == {"primitive-format", "contained-unreferenced"}
    assert [s for s, *_ in _defects(CONDITION, contained="ignore") if s == "error"] == []
    assert [s for s, *_ in _defects(CONDITION, contained="type") if s == "error"] == []
    wrong = CONDITION | {"contained": [{"resourceType": "Nonsense", "id": "a"}]}
    assert ("error", "unknown-resource-type", "Condition.contained[0]") in _defects(wrong, contained="type")
    assert not [d for s, d, _ in _defects(wrong, contained="ignore") if s == "error"]


def test_bundle_entries_follow_the_contained_policy() -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://x.org/fhir/Patient/1", "resource": {"resourceType": "Patient", "id": "1",
                                                                 "birthDate": "1980-13-01"}}]}
    assert any(d == "primitive-format" for _, d, _ in _defects(bundle))
    assert not any(d == "primitive-format" for _, d, _ in _defects(bundle, contained="ignore"))


def test_example_urls_refused_when_examples_are_not_allowed() -> None:
    url = "http://example.org/fhir/StructureDefinition/something"
    patient = {"resourceType": "Patient", "text": DIV, "_birthDate": {"extension": [{"url": url, "valueCode": "a"}]},
               "birthDate": "1980-01-01", "photo": [{"url": "http://repository.example.org/photo/1"}]}
    assert [s for s, *_ in _defects(patient) if s == "error"] == []  # HL7's runner's default: examples allowed
    assert sorted(_defects(patient, allow_examples=False)) == sorted([
        ("error", "extension-unknown", "Patient.birthDate.extension[0]"),
        ("error", "example-url", "Patient.birthDate.extension[0].url"),
        ("error", "example-url", "Patient.photo[0].url")])
    # an extension's uri value is judged, unless the extension is one HL7 checks elsewhere (textLink)
    linked = {"resourceType": "Patient", "text": DIV, "extension": [
        {"url": "http://hl7.org/fhir/StructureDefinition/textLink", "valueUri": "http://example.org/a"},
        {"url": "http://x.org/fhir/StructureDefinition/link", "valueUri": "http://example.org/b"}]}
    assert [loc for _, d, loc in _defects(linked, allow_examples=False) if d == "example-url"] == [
        "Patient.extension[1].value.ofType(uri)"]
    # a canonical resource's own url is its identity, not a link: not judged
    vs = {"resourceType": "ValueSet", "text": DIV, "url": "http://example.org/fhir/ValueSet/x", "status": "draft"}
    assert not [d for s, d, _ in _defects(vs, allow_examples=False) if s == "error"]


def test_no_experimental_content_refuses_an_experimental_canonical_resource() -> None:
    vs = {"resourceType": "ValueSet", "text": DIV, "url": "http://x.org/fhir/ValueSet/x", "status": "draft",
          "experimental": True}
    assert not _defects(vs)
    assert _defects(vs, no_experimental_content=True) == [("error", "experimental", "ValueSet")]
    assert not _defects(vs | {"experimental": False}, no_experimental_content=True)
    # only canonical resources carry experimental
    assert not _defects({"resourceType": "Patient", "text": DIV}, no_experimental_content=True)


def test_for_publication_needs_a_work_group_on_an_hl7_canonical_resource() -> None:
    cs = {"resourceType": "CodeSystem", "text": DIV, "url": "http://hl7.org/fhir/x-codes", "status": "draft",
          "content": "not-present", "version": "1", "name": "X", "title": "X", "experimental": False,
          "description": "x", "caseSensitive": True}  # all a shareable HL7 CodeSystem states (below)
    assert not [i for i in _run(cs) if i.defect == "publication"]
    assert [(s, d) for s, d, _ in _defects(cs, for_publication=True) if d == "publication"] == [
        ("error", "publication")]
    with_wg = cs | {"extension": [{"url": WG, "valueCode": "vocab"}]}
    assert not [i for i in _run(with_wg, for_publication=True) if i.defect == "publication"]
    other = cs | {"url": "http://x.org/fhir/x-codes"}  # not HL7's: nothing to say
    assert not [i for i in _run(other, for_publication=True) if i.defect == "publication"]


def test_for_publication_an_hl7_terminology_resource_states_what_makes_it_shareable() -> None:
    """checkShareableValueSet / CodeSystem / ConceptMap / Measure: under -forPublication, an HL7 one (url holding
    "hl7") that is not contained misses none of url, version, title, status, experimental, description (a
    CodeSystem's content and caseSensitive, a Measure's name and publisher; its title only a warning)."""
    wg = [{"url": WG, "valueCode": "vocab"}]
    vs = {"resourceType": "ValueSet", "text": DIV, "url": "http://hl7.org/fhir/ValueSet/x", "status": "draft",
          "extension": wg, "name": "X"}
    assert not [i for i in _run(vs) if i.defect == "publication"]
    found = [(s, d) for s, d, _ in _defects(vs, for_publication=True) if d == "publication"]
    assert found == [("error", "publication")] * 4  # version, title, experimental, description
    full = vs | {"version": "1", "title": "X", "experimental": False, "description": "x"}
    assert not [i for i in _run(full, for_publication=True) if i.defect == "publication"]
    other = vs | {"url": "http://x.org/fhir/ValueSet/x"}  # not HL7's: nothing to say
    assert not [i for i in _run(other, for_publication=True) if i.defect == "publication"]
    measure = {"resourceType": "Measure", "text": DIV, "url": "http://hl7.org/fhir/Measure/x", "status": "draft",
               "extension": wg, "version": "1", "name": "X", "experimental": False,
               "publisher": "HL7 International / Terminology Infrastructure",
               "description": "x"}
    assert [(s, d) for s, d, _ in _defects(measure, for_publication=True) if d == "publication"] == [
        ("warning", "publication")]  # the title


@pytest.mark.parametrize(("level", "severity"), [("warning", "warning"), ("error", "error"),
                                                 ("hint", "information"), ("ignore", None)])
def test_best_practice_level_applies_to_best_practice_invariants(level: str, severity: str | None) -> None:
    patient = {"resourceType": "Patient"}  # dom-6, a best-practice invariant: no narrative
    found = [i.severity for i in _run(patient, best_practice=level) if "dom-6" in i.message]
    assert found == ([severity] if severity else [])


def test_an_unresolved_references_implied_type_is_an_error_only_when_assumed_valid() -> None:
    """Medication/1 on Observation.performer resolves to nothing here: a warning by default (HL7's default judges it
    not at all), an error with -assumeValidRestReferences (REFERENCE_REF_BADTARGETTYPE2)."""
    obs = {"resourceType": "Observation", "text": DIV, "status": "final", "code": {"text": "x"},
           "performer": [{"reference": "Medication/1"}]}
    assert _defects(obs) == [("warning", "reference-target", "Observation.performer[0]")]
    assert _defects(obs, assume_valid_rest_references=True) == [
        ("error", "reference-target", "Observation.performer[0]")]
    # a reference that resolves (contained) is judged an error either way
    local = obs | {"performer": [{"reference": "#m"}], "contained": [{"resourceType": "Medication", "id": "m"}]}
    assert ("error", "reference-target", "Observation.performer[0]") in _defects(local)


def test_crumb_trails_say_each_profile_walked_as_information() -> None:
    patient = {"resourceType": "Patient", "text": DIV, "meta": {"profile": [
        "http://hl7.org/fhir/StructureDefinition/bmi"]}}  # an Observation profile claimed by a Patient: not walked
    assert not [i for i in _run(patient) if i.defect == "signpost"]
    trails = [(i.severity, i.message) for i in _run(patient, crumb_trails=True) if i.defect == "signpost"]
    assert trails == [("information", "validate resource against profile "
                                      "http://hl7.org/fhir/StructureDefinition/Patient")]
    vitals = {"resourceType": "Observation", "text": DIV, "status": "final", "code": {"text": "x"},
              "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/vitalsigns"]}}
    assert [m for _, m in ((i.severity, i.message) for i in _run(vitals, crumb_trails=True) if i.defect == "signpost")
            ][-1].endswith("vitalsigns (per meta)")


def test_comments_in_json_only_when_allowed() -> None:
    text = '{"resourceType": "Patient", // a comment\n "text": {"status": "generated", "div": "<div xmlns=\\"' \
           'http://www.w3.org/1999/xhtml\\">a // b /* c */</div>"} /* block\n comment */}'
    assert [i.defect for i in validate_bytes(text, base_source())] == ["not-json"]
    issues = validate_bytes(text, base_source(), options=Options(allow_comments=True))
    assert not [i for i in issues if i.is_error]
    # a "//" or "/*" inside a string is text, and the lines stay where they were
    assert without_comments('{"a": "x // y /* z */", // c\n"b": 1}') == '{"a": "x // y /* z */",     \n"b": 1}'


def test_options_from_folds_the_older_keywords_in() -> None:
    opts = options_from(Options(security_checks=True), ["http://x.org/"], "error")
    assert (opts.security_checks, opts.extension_domains, opts.wrong_displays) == (True, ("http://x.org/",), "error")
    assert options_from(None) == Options()
    with pytest.raises(ValueError, match="contained"):
        Options(contained="sometimes")
