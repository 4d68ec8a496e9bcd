"""A narrative ``div`` read as HL7's Java validator reads one from JSON: its own lenient XHTML reader.

HL7's ``elementmodel.JsonParser`` hands the div's text to ``XhtmlParser.setXmlMode(true).parse(text, null)``
(hapifhir/org.hl7.fhir.core, ``org.hl7.fhir.utilities/.../xhtml/XhtmlParser.java``), a hand-written reader that is
not an XML parser: it takes attributes without quotes or values, repeated attributes (the last wins), ``--`` in
comments, ``]]>`` and ``<`` in attribute values, a root left open at the end and anything after the root's end
tag; it reads ``<!...>`` and ``<?...?>`` inside the div as comments and ``<![CDATA[...]]>`` as a CDATA node; a
numeric character reference it cannot read (``&#X41;``, ``&#xZZ;``) is dropped without a word. An exception it
throws is ``ERROR_PARSING_XHTML_`` (JsonParser); in XML mode a named entity other than XML's five is recorded as
``XHTML_XHTML_Entity_Illegal`` (an error, JsonParser logs each of ``getValidationIssues()``) and read all the same
when it is an HTML entity (``DEFINED_ENTITIES``: HTML5's names, less ``AMP``/``GT``/``LT``/``QUOT``), else thrown.

``fhirpath.parse_div`` reads a div with lxml first (fast, C) and comes here only when lxml refuses it or when
the two could read it differently (:func:`diverges`); what this returns is an lxml tree built as HL7's reader
builds its nodes, so that every narrative rule runs on it unchanged. Only what a rule can see is kept: a CDATA
node becomes a processing instruction (``cdata``: a child that is neither text nor an element, as HL7's
``NodeType.CData``), an attribute read without a value has the value :data:`NO_VALUE` (HL7's null), a name lxml
cannot hold is kept readable (:func:`raw_attribute`), characters XML cannot hold are replaced (a control
character by a space: Java's ``trim()`` takes it as whitespace too).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from conformance.fhirval.xhtml_reader import (
    END,
    Reader,
    XhtmlParseError,
    letter_or_digit,
    split_name,
)

MAX_DEPTH = 500  # XhtmlParser.MAX_XHTML_DEPTH
NO_VALUE = "\ue000"  # an attribute without a value (HL7: put(name, null)); a private-use character
RAW_NS = "urn:x-fhirval:xhtml-raw-name"  # an attribute name lxml cannot hold, kept hex-encoded under this namespace
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_UNDEFINED_NS = "http://error/undefined-namespace"  # NamespaceNormalizationMap.getNamespaceForPrefix
# lxml reads a div; these are where HL7's reader reads the same well-formed text otherwise: a CDATA section (a
# node HL7's txt-2 does not count as text), an end tag with whitespace before its '>' (HL7 compares the name with
# it: "Malformed XHTML"), and a '>' inside a quoted attribute value, where HL7's reader ends the tag
# (XhtmlParser.parseAttributeValue stops at '>': the value cut short, the rest text; review14b for href and src;
# fvleft15 for any attribute: ``<img alt="a>b"/>`` leaves the img open, "Malformed XHTML" at the parent's end tag).
# Matching more than needed costs only time. Each search starts with a literal ('<', '='), which re scans for
# quickly: the two in one alternation cost twelve times as much.
DIVERGES = re.compile(r"<!\[CDATA\[|</[^\s<>]*\s")  # '[^\s<>]': linear on a run of '</'
# any quoted value holding a '>' (rare), whatever the attribute
_QUOTED_GT = re.compile(r"""=\s*(?:"[^"<]*>|'[^'<]*>)""")


def diverges(div: str) -> bool:
    """Whether HL7's reader could read this div otherwise than lxml (see DIVERGES above)."""
    return DIVERGES.search(div) is not None or _QUOTED_GT.search(div) is not None


def raw_attribute(name: str) -> str:
    """An attribute's name as HL7's reader keeps it, from the lxml name this module gave it."""
    if name.startswith("{" + RAW_NS + "}"):
        return bytes.fromhex(name.rpartition("}")[2][1:]).decode("utf-8", "surrogatepass")
    return name


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]|[\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """What lxml will hold: a control character becomes a space (whitespace to Java's trim, as it was), a lone
    surrogate or U+FFFE/FFFF the replacement character (content, as it was)."""
    if not _XML_BAD.search(text):
        return text
    return _XML_BAD.sub(lambda m: " " if m.group() < " " else "\ufffd", text)


class _Names:
    """XhtmlParser.NamespaceNormalizationMap: the default namespace, the prefix the element was moved from, and
    the prefixes in scope."""

    __slots__ = ("default", "original", "prefixes")

    def __init__(self, parent: _Names | None) -> None:
        self.default: str | None = parent.default if parent else None
        self.original: str | None = parent.original if parent else None
        self.prefixes: dict[str, str | None] = dict(parent.prefixes) if parent else {}

    def namespace_of(self, prefix: str) -> str | None:
        if self.original is not None and self.original == prefix:
            return self.default
        return self.prefixes[prefix] if prefix in self.prefixes else _UNDEFINED_NS


def _normalise(name: str, attrs: dict[str, str | None], parent: _Names | None, root: bool) -> _Names:
    """XhtmlParser.normalizeNamespaces: the xmlns attributes into the map, the element's prefix resolved, and an
    ``xmlns`` put back where the default namespace changes (the one attribute XhtmlValidator.checkInnerNS reads)."""
    names = _Names(parent)
    for key in [k for k in attrs if k == "xmlns" or k.startswith("xmlns:")]:
        value = attrs.pop(key)
        if key == "xmlns":
            names.default = value
        else:
            names.prefixes[key[6:]] = value
    prefix, _ = split_name(name)
    if prefix is not None:
        namespace = names.namespace_of(prefix)
        if namespace is None:
            raise XhtmlParseError("Cannot invoke \"String.equals(Object)\" because \"elementNamespace\" is null")
        if namespace != names.default:
            attrs["xmlns"] = namespace
            names.default = namespace
            names.original = prefix
            names.prefixes.pop(prefix, None)
    if names.default is not None and (root or parent is None or names.default != parent.default):
        attrs["xmlns"] = names.default
    return names


class _Builder:
    """The lxml tree of what HL7's reader builds."""

    @staticmethod
    def element(parent: Any, name: str, names: _Names, attrs: dict[str, str | None]) -> Any:
        local = name if _valid_name(name) else "_" + re.sub(r"[^\w.-]", "_", name)
        tag = f"{{{names.default}}}{local}" if names.default else local
        el = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
        for key, value in attrs.items():
            if key == "xmlns" or key.startswith("xmlns:"):
                continue
            text = NO_VALUE if value is None else _xml_safe(value)
            prefix, attr = split_name(key)
            if prefix == "xml" and _valid_name(attr):
                el.set(f"{{{_XML_NS}}}{attr}", text)
            elif prefix is None and _valid_name(key):
                el.set(key, text)
            else:
                el.set(f"{{{RAW_NS}}}x{key.encode('utf-8', 'surrogatepass').hex()}", text)
        return el

    @staticmethod
    def text(el: Any, buffer: list[str]) -> None:
        """addTextNode: text read so far, to the element (before its first child) or the last child's tail."""
        if not buffer:
            return
        text = _xml_safe("".join(buffer))
        buffer.clear()
        if len(el):
            last = el[-1]
            last.tail = (last.tail or "") + text
        else:
            el.text = (el.text or "") + text

    @staticmethod
    def comment(el: Any, text: str) -> None:
        safe = _xml_safe(text).replace("--", "- ")
        el.append(etree.Comment(safe[:-1] + " " if safe.endswith("-") else safe))


_NAME_OK: dict[str, bool] = {}


def _valid_name(name: str) -> bool:
    """Whether lxml takes ``name`` as an element or attribute name (an XML NCName)."""
    known = _NAME_OK.get(name)
    if known is None:
        try:
            etree.Element(name)
            known = ":" not in name
        except ValueError:
            known = False
        if len(_NAME_OK) < 4096:
            _NAME_OK[name] = known
    return known


def parse(source: str) -> tuple[Any, list[str]]:
    """The div as HL7's ``XhtmlParser.parse(source, null)`` in XML mode reads it: its root element (an lxml
    element) and the entities ``XHTML_XHTML_Entity_Illegal`` names (``&nbsp;``...). Raises XhtmlParseError where
    HL7's reader throws."""
    r = Reader(source)
    build = _Builder()
    r.before_root()
    if r.peek() != "<":
        raise XhtmlParseError(f"Unable to Parse HTML - does not start with tag. Found '{r.peek()}'")
    r.read()
    name = r.read_name().lower()
    attrs = r.attributes(split_name(name)[1])
    names = _normalise(name, attrs, None, True)
    root = build.element(None, split_name(name)[1], names, attrs)
    if r.read() == "/":
        if r.peek() != ">":
            raise XhtmlParseError(f"unexpected non-end of element {name}")
        r.read()
        return root, r.issues
    # parseElementInner / parseElement, with the open elements on a stack instead of Java's recursion
    stack: list[tuple[Any, str, _Names, list[str]]] = [(root, split_name(name)[1], names, [])]
    while stack:
        el, local, names, buffer = stack[-1]
        ch = r.peek()
        if ch == END:
            build.text(el, buffer)
            stack.pop()
        elif ch == "&":
            r.literal(buffer)
        elif ch != "<":
            buffer.append(r.read())
        else:
            build.text(el, buffer)
            r.read()
            ch = r.peek()
            if ch == "!":
                r.read()
                if r.peek() == "[":
                    r.cdata()
                    el.append(etree.ProcessingInstruction("cdata"))
                else:
                    r.pushed.append("!")
                    build.comment(el, r.to_comment_end(True))
            elif ch == "?":
                build.comment(el, r.to_tag_end())
            elif ch == "/":
                r.read()
                closing = split_name(r.to_tag_end())[1]
                if closing != local:
                    raise XhtmlParseError(f'Malformed XHTML: Found "</{closing}>" expecting "</{local}>"')
                stack.pop()
            elif letter_or_digit(ch):
                if len(stack) - 1 > MAX_DEPTH:
                    raise XhtmlParseError(f"XHTML nesting depth exceeds maximum of {MAX_DEPTH}")
                child_name = r.read_name()
                child_local = split_name(child_name)[1]
                attrs = r.attributes(child_local)
                child_names = _normalise(child_name, attrs, names, False)
                child = build.element(el, child_local, child_names, attrs)
                if r.read() == "/":
                    if r.peek() != ">":
                        raise XhtmlParseError(f"unexpected non-end of element {child_name}")
                    r.read()
                elif child_local == "script":
                    script(r, child)
                else:
                    stack.append((child, child_local, child_names, []))
            else:
                raise XhtmlParseError(f"Unable to Parse HTML - node '{local}' has unexpected content '{ch}'")
    return root, r.issues


def script(r: Reader, el: Any) -> None:
    """parseScriptInner: everything up to ``</script>`` is its text."""
    out: list[str] = []
    while r.peek() != END and "".join(out[-9:]) != "</script>":
        out.append(r.read())
    text = "".join(out)
    text = text[:-9] if len(text) >= 9 else text
    if text:
        el.text = _xml_safe(text)
