"""A JSON narrative read as HL7's JsonParser reads it: ``XhtmlParser.setXmlMode(true).parse(div, null)``
(org.hl7.fhir.utilities xhtml/XhtmlParser.java), a lenient reader, not an XML parser (xhtml_parser.py,
xhtml_reader.py). Each synthetic div is one of its readings; every test failed before, when lxml alone read the
div (an error where HL7 has none, or none where HL7 has one, or a different number of errors)."""

from __future__ import annotations

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource
from conformance.fhirval.xhtml_parser import NO_VALUE, XhtmlParseError, parse
from conformance.fhirval.xhtml_reader import java_trim

X = 'xmlns="http://www.w3.org/1999/xhtml"'


def errors(div: str) -> list[tuple[str, str]]:
    res = {"resourceType": "Basic", "code": {"text": "x"}, "text": {"status": "generated", "div": div}}
    return [(i.defect, i.message) for i in validate_resource(res, base_source()) if i.is_error]


@pytest.mark.parametrize("div", [
    f'<div {X}><table><tr><td nowrap>a</td></tr></table></div>',  # parseAttributes: a name alone is null
    f'<div {X}><p class=x>a</p></div>',  # parseAttributeValue(END_OF_CHARS): unquoted, to '>' or '/'
    f'<div {X}><p class="x" class="y">a</p></div>',  # attributes are a map: the last wins
    f'<div {X}><p class="x"id="y">a</p></div>',  # no whitespace needed between attributes
    f'<div {X}><p title="a<b">a</p></div>',  # '<' is just a character in a value
    f'<div {X}><p>a</p>',  # parseElementInner stops at the end of the text: a root left open
    f'<div {X}>a</div>junk<p>x</p>',  # parse() returns when the root's end tag is read
    f'<div {X}>a<!-- c -- d --></div>',  # readToCommentEnd keeps a '--'
    f'<div {X}>a<?xml version="1.0"?></div>',  # '<?...>' inside is a comment
    f'<div {X}>a<!foo></div>',  # '<!...>' inside is a comment
    f'<div {X}>a]]>b</div>',
    f'<div {X}>a&#X41;b&#xZZ;c</div>',  # parseLiteral: '#' then neither an integer nor 'x'+hex: dropped
    f'<div {X}>a&#0;b&#1;</div>',  # Character.toString(0): any code point
    f'<div {X}>a\u0001b\ud800c</div>',  # JsonLexer makes \\u0001 and \\ud800 chars; the reader takes any char
    f'<div {X}>' + "<span>" * 300 + "a" + "</span>" * 300 + "</div>",  # MAX_XHTML_DEPTH is 500 (lxml: 256)
    f'<div {X}><a href>a</a><img src/></div>',  # a null href / src: checkReferences and checkUrls skip it
    f'<DIV {X}>a</div>',  # the root's name is read lower-cased
    f'<div {X}>\u00a0</div>',  # String.trim() keeps a no-break space: content for txt-2
])
def test_what_hl7s_reader_takes_is_no_error(div: str) -> None:
    assert errors(div) == []


@pytest.mark.parametrize(("div", "entities"), [
    (f'<div {X}>a&nbsp;b</div>', ["&nbsp;"]),
    (f'<div {X}>&nbsp;</div>', ["&nbsp;"]),  # read as U+00A0: content, so not txt-2 as well
    (f'<div {X}><p title="&copy;">a&nbsp;&nbsp;&rsquo;</p></div>', ["&copy;", "&nbsp;", "&rsquo;"]),
])
def test_an_html_entity_is_one_error_each_and_is_read(div: str, entities: list[str]) -> None:
    """XmlMode: a named entity other than XML's five is XHTML_XHTML_Entity_Illegal (JsonParser logs each of
    getValidationIssues() as an error; one message per entity, as HL7's outcome drops repeats) and, being in
    DEFINED_ENTITIES, read: the div is not unreadable (before: not well-formed, txt-1 and txt-2)."""
    found = errors(div)
    assert [d for d, _ in found] == ["narrative"] * len(entities)
    assert all(e in m for (_, m), e in zip(found, entities, strict=True))


@pytest.mark.parametrize("div", [
    f'<div {X}>a &foo; b</div>',  # no such entity: "unable to parse character reference"
    f'<div {X}>a&AMP;b</div>',  # initEntities has AMP commented out, the if-chain reads only lower case
    f'<div {X}>a &amp b</div>',  # the reference runs to the next ;&'"><
    f'<div {X}>a&#99999999;</div>',  # Character.toString(int) throws
    f'<div {X}>a&#;</div>',  # c.charAt(1) throws
    f'<div {X}><a href=http://x.org>a</a></div>',  # unquoted: the value stops at '/', then "unexpected non-end"
    f'<div {X}><p>a</p ></div>',  # readToTagEnd: the name "p " is not "p" ("Malformed XHTML")
    f'<div {X}><p>a</div>',
])
def test_what_hl7s_reader_throws_on_is_a_parse_error_and_txt1_txt2(div: str) -> None:
    """ERROR_PARSING_XHTML_; JsonParser keeps no XHTML, so htmlChecks() fails txt-1 and txt-2 too. Guards that the
    lenient reader throws where HL7's does (lxml refused these too; ``</p >`` it took)."""
    found = errors(div)
    assert [d for d, _ in found] == ["narrative", "invariant", "invariant"]
    assert "not well-formed" in found[0][1]


def test_a_cdata_section_is_no_text_for_txt2() -> None:
    """readCData makes a CDATA node; FHIRPathEngine.checkForContent counts only Text nodes (and img)."""
    assert [m[:5] for _, m in errors(f'<div {X}><![CDATA[some text]]></div>')] == ["txt-2"]
    assert errors(f'<div {X}>a<![CDATA[some text]]></div>') == []


@pytest.mark.parametrize("div", [
    f'<div {X}>a<br> </br></div>',  # addTextNode keeps whitespace: br has a child (XHTML_XHTML_NO_CHILDREN)
    f'<div {X}>a<br><!--x--></br></div>',
    f'<div {X}>a<img src="http://x.org/i.png"> </img></div>',
])
def test_any_node_in_an_empty_element_is_a_child(div: str) -> None:
    assert [d for d, _ in errors(div)] == ["narrative"]


def test_the_roots_own_attributes_are_read_by_htmlchecks() -> None:
    """checkHtmlNames starts at the root, attributes included; XhtmlValidator.checkInnerNames only below it."""
    assert [m[:5] for _, m in errors(f'<div {X} foo="x">a</div>')] == ["txt-1"]
    assert errors(f'<div {X} lang="en" xml:lang="en" class="c">a</div>') == []


def test_no_namespace_div_with_an_image_has_content() -> None:
    """checkForContent finds the img whatever its namespace: only the namespace is wrong."""
    found = errors('<div><img src="http://x.org/i.png"/></div>')
    assert len(found) == 1 and "namespace" in found[0][1]


def test_an_undeclared_prefix_is_the_undefined_namespace() -> None:
    """NamespaceNormalizationMap.getNamespaceForPrefix: http://error/undefined-namespace, one namespace error
    (XhtmlValidator.checkInnerNS), not unreadable; an undeclared attribute prefix is only an illegal name."""
    found = errors(f'<div {X}><x:p>a</x:p></div>')
    assert len(found) == 1 and "http://error/undefined-namespace" in found[0][1]
    assert sorted(d for d, _ in errors(f'<div {X}><a xlink:href="http://x.org">a</a></div>')) == [
        "invariant", "narrative"]


def test_the_reader_itself() -> None:
    root, entities = parse(f'<div {X}><p a d="e" b=c f>x&nbsp;&#65;&#x42;</p>tail</div>')
    p = root[0]
    assert (p.get("a"), p.get("d"), p.get("b")) == (NO_VALUE, "e", "c f")  # unquoted: to '>' or '/'

    assert p.text == "x\u00a0AB" and p.tail == "tail" and entities == ["&nbsp;"]
    with pytest.raises(XhtmlParseError):
        parse("text<div/>")
    assert java_trim("\u00a0 \x01a\x1f ") == "\u00a0 \x01a"


@pytest.mark.parametrize("href", ["javascript:", "urn:", "cid:"])
def test_a_scheme_is_judged_only_on_an_absolute_url(href: str) -> None:
    """InstanceValidator.checkReferences judges the scheme (ACTIVE_HREF, LITERAL_HREF) only where
    Utilities.isAbsoluteUrl holds: something after the colon, and no space; UrlUtil.checkValidUrl takes these."""
    assert errors(f'<div {X}><a href="{href}">a</a></div>') == []
    assert len(errors(f'<div {X}><a href="{href}x">a</a></div>')) == 1


# ---- review14b: what lxml cannot hold, and where HL7's reader reads the same text otherwise ---------------------

@pytest.mark.parametrize("div", [
    '<div xmlns="a b">a</div>',  # a namespace lxml refuses: HL7 XHTML_XHTML_NS_InValid, an error too
    f'<div {X}><p xmlns="a{{b">a</p></div>',
    f'<div {X}><p\u00b5>a</p\u00b5></div>',  # a name Java's isLetterOrDigit takes and lxml does not
])
def test_what_lxml_cannot_hold_is_an_error_never_an_exception(div: str) -> None:
    assert "narrative" in [defect for defect, _ in errors(div)]


def test_a_numeric_reference_with_a_dotted_capital_i_is_dropped() -> None:
    """Character.digit('İ') is -1: the reference is dropped without a word (XhtmlParser.parseEntity)."""
    assert errors(f'<div {X}>a&#\u0130;b</div>') == []


def test_a_gt_in_a_quoted_href_ends_the_tag_as_hl7s_reader_does() -> None:
    """XhtmlParser.parseAttributeValue stops at '>' inside quotes: the href is cut short, the rest is text."""
    assert errors(f'<div {X}><a href="http://x.org/q?a>b">link</a></div>') == []


@pytest.mark.parametrize("attribute", ["alt", "title", "class"])
def test_a_gt_in_any_quoted_attribute_ends_the_tag_as_hl7s_reader_does(attribute: str) -> None:
    """XhtmlParser.parseAttributeValue stops at '>' whatever the attribute (fvleft15; href and src before): an
    ``<img .../>`` whose '/>' is then text stays open, and the parent's end tag is "Malformed XHTML"
    (ERROR_PARSING_XHTML_); a ``<p>``'s rest is text, no error. lxml read both as written."""
    div = f'<div {X}><p><img {attribute}="a>b" src="x.png"/></p></div>'
    assert [d for d, m in errors(div) if "Malformed XHTML" in m] == ["narrative"]
    cut = errors(f'<div {X}><p {attribute}="a">text</p></div>')  # txt-1 may refuse the attribute on a p: alt
    assert errors(f'<div {X}><p {attribute}="a>b">text</p></div>') == cut
    assert errors(f'<div {X}><p><img {attribute}="a&gt;b" src="x.png"/></p></div>') == []


def test_a_doctype_with_an_internal_subset_is_a_parse_error() -> None:
    """XhtmlParser.readToDocTypeEnd stops at the DOCTYPE's first '>', then parse() finds no root tag."""
    div = f'<!DOCTYPE div [<!ENTITY nbsp "&#160;">]><div {X}>a&nbsp;b</div>'
    assert "narrative" in [defect for defect, _ in errors(div)]


@pytest.mark.parametrize("link", ['<a href="#nowhere">x</a>', '<a href="urn:uuid:1234">x</a>'])
@pytest.mark.parametrize("wrap", ["<!-- {} -->", "<![CDATA[{}]]>"])
def test_a_link_inside_a_comment_or_cdata_is_no_link(link: str, wrap: str) -> None:
    """InstanceValidator.checkReferences visits the parsed XHTML's a elements: a comment or a CDATA section holds
    none (review14b); the same link outside them is still judged."""
    assert errors(f'<div {X}><p>text</p>{wrap.format(link)}</div>') == []
    assert "narrative" in [defect for defect, _ in errors(f'<div {X}><p>text</p>{link}</div>')]
