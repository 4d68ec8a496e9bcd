"""The rules of FHIR XML that its JSON form cannot show: judged on the parsed document, before conversion.

:mod:`conformance.fhirval.xml` turns XML into FHIR JSON and drops what has no JSON form (processing
instructions, namespaced attributes, the encoding declaration). HL7's validator reads XML with its own
parser (``org.hl7.fhir.r5.elementmodel.XmlParser``, policy EVERYTHING) and reports those as errors; so does
this module, so that an XML resource is judged as HL7 judges it:

- ``checkHeader``: an ``encoding`` declared other than UTF-8 (XML_ENCODING_INVALID);
- ``checkForProcessingInstruction``: a processing instruction beside the root
  (NO_PROCESSING_INSTRUCTIONS_ALLOWED_IN_RESOURCES), and ``parseChildren``: one inside a FHIR element
  (NODE_TYPE__IS_NOT_ALLOWED, node type 7);
- ``parseChildren``' attribute loop: an attribute that is no property of the element, such as
  ``xsi:schemaLocation`` or ``xml:lang`` (UNDEFINED_ATTRIBUTE__ON__FOR_TYPE__PROPERTIES__). HL7 allows
  ``xsi:schemaLocation`` only when ``allowXsiLocation`` is set, which neither its CLI nor its test runner
  does (``InstanceValidator.validate`` passes its field, false unless a caller sets it).

The narrative's XHTML is not FHIR content and is left to the XHTML rules.

Not ported: ``parseChildren``' CDATA_IS_NOT_ALLOWED. The validator parses with policy EVERYTHING, through a SAX to
DOM identity transform (``TransformerFactory.newInstance()``: the JDK's XSLTC or Saxon-HE), and neither builds a
CDATA_SECTION_NODE: the section's text is merged into the text beside it, as lxml merges it (run on JDK 17 and 25
and Saxon-HE 9.9 with XmlParser's factories and XmlLocationAnnotator's overrides; fvleft15). Only the non-validating
DocumentBuilder path keeps the nodes. A non-blank section is TEXT_SHOULD_NOT_BE_PRESENT, as its text.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from conformance.fhirval.issues import Issue
from conformance.fhirval.java_text import trim
from conformance.fhirval.xml import FHIR_NS

# HL7 reads the first five characters after encoding=" (or ') and compares them to UTF-8, ignoring case
_ENCODING = re.compile(rb"""^<\?xml[^>]*?\bencoding=["']([^"']*)""")


def xml_header_issues(raw: bytes) -> list[Issue]:
    """XmlParser.checkHeader, read before the document is parsed (HL7 reports it beside a parse failure too): past
    a UTF-8 byte order mark, an ``encoding`` declared other than UTF-8; a UTF-16 byte order mark is no UTF-8 start
    at all (checkHeader throws XML_ENCODING_INVALID, "not 'null'"). HL7 says that of any first byte other than
    "<" too; leading whitespace is left alone here, as the rest of the validator reads past it."""
    if raw[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return [Issue("error", "xml", "", "the XML is not UTF-8 (a UTF-16 byte order mark): FHIR XML must be UTF-8")]
    declared = _ENCODING.match(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
    if declared and declared.group(1)[:5].upper() != b"UTF-8":
        name = declared.group(1).decode("latin-1")
        return [Issue("error", "xml", "", f"the XML declares the encoding {name!r}: FHIR XML must be UTF-8")]
    return []


def xml_document_issues(root: Any) -> list[Issue]:
    """Errors for the parts of an XML document (parsed keeping its processing instructions) FHIR forbids."""
    issues: list[Issue] = []
    around = [*root.itersiblings(preceding=True), *root.itersiblings()]
    if any(isinstance(node, etree._ProcessingInstruction) for node in around):
        issues.append(Issue("error", "xml", "", "processing instructions are not allowed in a FHIR resource"))
    _walk(root, etree.QName(root).localname, issues)
    return issues


def _walk(el: Any, path: str, issues: list[Issue], root: bool = True) -> None:
    """Processing instructions and namespaced attributes inside FHIR-namespace elements, depth first; a resource
    with no content at all (``<Patient xmlns="http://hl7.org/fhir"/>``: XmlParser.checkElement,
    ELEMENT_MUST_HAVE_SOME_CONTENT; any other empty element already fails ele-1, and its JSON twin ``{}`` too).
    Only the document's root: a resource inside ``contained``, ``entry.resource``... is read by
    XmlParser.parseResource, straight to parseChildren, with no checkElement on its own element."""
    local = etree.QName(el).localname
    if root and not el.attrib and len(el) == 0 and not trim(el.text or ""):  # getTextContent().trim(): Java's
        issues.append(Issue("error", "xml", path, f"the element <{local}> must have some content"))
    for name in el.attrib:
        # xsi:type only where a logical model's element says so, never in R4's; resourceDefinition in any namespace
        # is passed over (XmlParser.parseChildren: !existsInList(attr.getLocalName(), "resourceDefinition"))
        if name.startswith("{") and not name.endswith("}resourceDefinition"):
            issues.append(Issue("error", "unknown-element", path, f"the attribute {_show(name)} is not allowed on "
                                                                   f"<{etree.QName(el).localname}> (no FHIR property)"))
    for child in el:
        if isinstance(child, etree._ProcessingInstruction):
            issues.append(Issue("error", "xml", path, "a processing instruction is not allowed inside a FHIR element"))
        elif isinstance(child.tag, str) and etree.QName(child).namespace == FHIR_NS:
            _walk(child, f"{path}.{etree.QName(child).localname}", issues, False)


def _show(name: str) -> str:
    """``xsi:schemaLocation`` rather than lxml's ``{namespace}schemaLocation``, for the usual prefixes."""
    ns, _, local = name[1:].partition("}")
    prefix = {"http://www.w3.org/2001/XMLSchema-instance": "xsi",
              "http://www.w3.org/XML/1998/namespace": "xml"}.get(ns)
    return f"{prefix}:{local}" if prefix else name
