"""The narrative's XHTML as HL7's XhtmlValidator and checkReferences judge it (xhtml_rules.py): each synthetic
narrative breaks one of their rules and is an error; the allowed forms next to them stay valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.validate import validate_resource
from conformance.fhirval.xhtml_rules import url_problem

DIV = '<div xmlns="http://www.w3.org/1999/xhtml">%s</div>'


def narrative_errors(inner: str) -> list[tuple[str, str]]:
    res = {"resourceType": "Basic", "code": {"text": "x"}, "text": {"status": "generated", "div": DIV % inner}}
    return [(i.defect, i.location) for i in validate_resource(res, base_source()) if i.is_error]


@pytest.mark.parametrize("inner", [
    '<p foo="x">a</p>',  # XHTML_XHTML_ATTRIBUTE_ILLEGAL
    '<table><tr><td bgcolor="red">a</td></tr></table>',
    '<p xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="x">a</p>',
    '<p>a<div>b</div></p>',  # XHTML_XHTML_ELEMENT_ILLEGAL_IN_PARA, XHTML_XHTML_BLOCK_IN_PARA
    '<span>a<table><tr><td>b</td></tr></table></span>',
    '<a href="http://x.org">a<a href="http://y.org">b</a></a>',  # XHTML_XHTML_NO_RECURSION
    'a<br>b</br>',  # XHTML_XHTML_NO_CHILDREN
    '<ul>text<li>b</li></ul>',  # XHTML_XHTML_ILLEGAL_CHILDREN
    '<li>b</li>',  # XHTML_XHTML_OUT_OF_PLACE
    '<table><td>b</td></table>',
    '<a href="">b</a>',  # XHTML_URL_INVALID (empty), TYPE_SPECIFIC_CHECKS_DT_XHTML_EMPTY_HREF
    '<a href="javascript:alert(1)">b</a>',  # TYPE_SPECIFIC_CHECKS_DT_XHTML_ACTIVE_HREF
    '<a href="cid:abc">b</a>',  # TYPE_SPECIFIC_CHECKS_DT_XHTML_LITERAL_HREF
    '<a href="http://x.org/a b">b</a>',  # UrlUtil.checkValidUrl: a space
    '<img src="#nope"/>',  # TYPE_SPECIFIC_CHECKS_DT_XHTML_RESOLVE_IMG
    '<!--DOCTYPE html-->a',  # XHTML_XHTML_DOCTYPE_ILLEGAL
])
def test_narrative_rule_broken(inner: str) -> None:
    found = narrative_errors(inner)  # and txt-1 (an invariant) where htmlChecks() rejects it too
    assert ("narrative", "Basic.text.div") in found
    assert set(found) <= {("narrative", "Basic.text.div"), ("invariant", "Basic.text.div")}


@pytest.mark.parametrize("inner", [
    '<p class="x" style="color:red" title="t" id="i" lang="en" xml:lang="en" dir="ltr">a</p>',
    '<table border="1" cellpadding="2" width="100%"><tbody><tr><th scope="col">h</th></tr>'
    '<tr><td colspan="2" nowrap="nowrap">b</td></tr></tbody></table>',
    '<p xml:space="preserve">a</p>',  # only a hint in HL7's validator
    '<a name="x">a</a> <a href="#x">x</a> <a href="http://x.org/a?b=c&amp;d=%20e#f">b</a>',
    '<ul>\n  <li>a <b>b</b></li>\n</ul><dl><dt>t</dt><dd>d</dd></dl><br/><img src="http://x.org/i.png" alt="i"/>',
    '<p>a <span>b <a href="mailto:x@y.org">m</a></span></p><blockquote cite="http://x.org">q</blockquote>',
    '<a href="data:text/plain;base64,SGVsbG8=">d</a>',
])
def test_allowed_narrative(inner: str) -> None:
    assert narrative_errors(inner) == []


def test_url_problem() -> None:
    assert url_problem("http://x.org/ä") is None
    assert url_problem("http://x.org/{x}") is not None
    assert url_problem("data:abc") is not None
    assert url_problem("data:a,b,c") is not None


def _source_controlled(tmp_path: Path, level: str) -> tuple[LayeredSource, str]:
    url = "https://conformance.example/fhir/StructureDefinition/sourced-" + level
    (tmp_path / f"sd-{level}.json").write_text(json.dumps({
        "resourceType": "StructureDefinition", "url": url, "name": "Sourced", "status": "active",
        "fhirVersion": "4.0.1", "kind": "resource", "abstract": False, "type": "Basic", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Basic", "differential": {"element": [{
            "id": "Basic.text", "path": "Basic.text",
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/narrative-source-control",
                           "valueCode": level}]}]}}))
    return load_definitions([tmp_path]), url


@pytest.mark.parametrize(("inner", "bad"), [
    ("<p>a</p>", True), ("loose text", True), ('<p class="x y">a</p>', True),
    ('<p class="generated">a</p><p class="original">b</p><div class="boilerplate">c</div><br/>', False),
    ('<p class="x generated">a</p>', False),
])
def test_narrative_source_control(tmp_path: Path, inner: str, bad: bool) -> None:
    """checkNarrative: XHTML_CONTROL_NO_SOURCE, each part of the narrative says where it came from by its class."""
    source, url = _source_controlled(tmp_path, "error")
    res = {"resourceType": "Basic", "code": {"text": "x"}, "text": {"status": "generated", "div": DIV % inner}}
    found = [(i.defect, i.location) for i in validate_resource(res, source, (url,)) if i.is_error]
    assert found == ([("narrative", "Basic.text")] if bad else [])


def test_narrative_source_control_below_error_is_not_an_error(tmp_path: Path) -> None:
    source, url = _source_controlled(tmp_path, "warning")
    res = {"resourceType": "Basic", "code": {"text": "x"}, "text": {"status": "generated", "div": DIV % "<p>a</p>"}}
    assert [i for i in validate_resource(res, source, (url,)) if i.is_error] == []


def test_an_element_or_attribute_htmlchecks_rejects_is_two_errors_as_hl7() -> None:
    # HL7 reports txt-1 (FHIRPath htmlChecks) and XhtmlValidator's "Invalid element/attribute name" both
    # (fhir-test-cases pat-security-bad-xhtml, ips-htmlrefs-forwards)
    both = [("invariant", "Basic.text.div"), ("narrative", "Basic.text.div")]
    assert narrative_errors("<script>x</script><p>a</p>") == both
    assert narrative_errors('<table><tr idref="x"><td>a</td></tr></table>') == both
    assert narrative_errors('<table><tr id="x"><td>a</td></tr></table>') == []


def test_each_text_element_holding_a_block_is_one_finding_however_many_there_are() -> None:
    """The findings were keyed by id() of lxml's element proxies, which die once walked past: a later <dd> could
    get a freed id and merge with an earlier one (30 findings for 200 such <dd>, varying from run to run)."""
    from lxml import etree

    from conformance.fhirval.xhtml_rules import structure_problems

    xml = ("<div xmlns='http://www.w3.org/1999/xhtml'><dl>"
           + "".join(f"<dt>t{i}</dt><dd><p>x</p><ul><li>a</li></ul></dd>" for i in range(200)) + "</dl></div>")
    found = [f for f in structure_problems(etree.fromstring(xml)) if f.startswith("block structure")]
    assert len(found) == 200 and all(f.endswith("<dd>: ul") for f in found)


# ---- each of HL7's narrative checks on its own (FHIRPathEngine.checkHtmlNames, XhtmlValidator.validate) ----------

def _messages(inner: str) -> list[tuple[str, str]]:
    res = {"resourceType": "Basic", "code": {"text": "x"}, "text": {"status": "generated", "div": DIV % inner}}
    return [(i.defect, i.message) for i in validate_resource(res, base_source()) if i.is_error]


def test_an_illegal_element_with_an_illegal_attribute_is_txt1_and_both_names() -> None:
    """fhir-test-cases list-xhtml-element: txt-1, XHTML_XHTML_Element_Illegal and XHTML_XHTML_Attribute_Illegal."""
    found = _messages('<object value="1">a</object>')
    assert [d for d, _ in found] == ["invariant", "narrative", "narrative"]
    assert "'object'" in found[1][1] and "'value'" in found[2][1]


def test_an_event_attribute_is_txt1_and_an_illegal_attribute_name_case_kept() -> None:
    """list-xhtml-attribute: HL7 names the attribute as written ('onClick') and fails txt-1 as well."""
    found = _messages('<p onClick="x">a</p>')
    assert [d for d, _ in found] == ["invariant", "narrative"] and "'onClick'" in found[1][1]


def test_unreadable_xhtml_fails_txt1_and_txt2_too() -> None:
    """list-xhtml-syntax: JsonParser leaves the div's XHTML null, so htmlChecks() fails for both invariants."""
    found = _messages("<p>a</pa>")
    assert [d for d, _ in found] == ["narrative", "invariant", "invariant"]
    assert found[1][1].startswith("txt-1") and found[2][1].startswith("txt-2")


def test_a_doctype_in_the_div_is_the_doctype_rule_and_txt1_not_a_parse_error() -> None:
    """list-xhtml-xxe: XhtmlParser keeps the DOCTYPE; XHTML_XHTML_DOCTYPE_ILLEGAL and checkHtmlNames fail."""
    found = _messages('\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file://x">]>\n<p>a &xxe;</p>')
    assert sorted(d for d, _ in found) == ["invariant", "narrative"]
    assert any(d == "narrative" and "DOCTYPE" in m for d, m in found)


def test_an_inner_element_in_another_namespace_is_one_namespace_error() -> None:
    """list-xhtml-wrongns2: checkInnerNS only; htmlChecks() looks at local names, so <p> passes txt-1."""
    found = _messages('<n:p xmlns:n="http://www.w3.org/1999/xhtmlx">a</n:p>')
    assert len(found) == 1 and "namespace" in found[0][1]


def test_a_style_with_expression_is_allowed_as_in_hl7() -> None:
    """htmlChecks() and XhtmlValidator allow any style attribute: no rule of HL7's looks inside it."""
    assert _messages('<p style="width:expression(1)">a</p>') == []


def test_empty_narrative_with_an_illegal_element_fails_both_invariants() -> None:
    """txt-1 and txt-2 are two constraints, each evaluated: an empty <object/> fails both."""
    assert [d for d, _ in _messages("<object/>")] == ["invariant", "narrative", "invariant"]
