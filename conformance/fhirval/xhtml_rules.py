"""The narrative's XHTML beyond txt-1/txt-2: the attributes, nesting and hyperlinks HL7's validator allows.

HL7's Java validator judges every ``Narrative.div`` with its ``XhtmlValidator`` (hapifhir/org.hl7.fhir.core,
``org.hl7.fhir.validation/.../instance/type/XhtmlValidator.java``) and ``InstanceValidator.checkReferences``;
each rule here is one of theirs, an error there too:

- an attribute outside ``HTML_ATTRIBUTES`` / ``HTML_COMBO_LIST`` (``xmlns*`` always allowed, ``xml:space``
  only a hint): ``XHTML_XHTML_ATTRIBUTE_ILLEGAL`` (``checkInnerNames``);
- a block element (div, blockquote, table, ol, ul, p) anywhere inside a ``<p>``:
  ``XHTML_XHTML_ELEMENT_ILLEGAL_IN_PARA``;
- a comment that is a DOCTYPE: ``XHTML_XHTML_DOCTYPE_ILLEGAL``;
- the nesting rules of ``checkXhtmlStructure``: no div/pre/table/ul/ol inside a paragraph or text element
  (``XHTML_XHTML_BLOCK_IN_PARA``), no children in br/img/hr/area (``XHTML_XHTML_NO_CHILDREN``), no inline
  element inside itself (``XHTML_XHTML_NO_RECURSION``), only rows in a table body, only items in a list
  (``XHTML_XHTML_ILLEGAL_CHILDREN``), rows, cells, items and captions only where they belong
  (``XHTML_XHTML_OUT_OF_PLACE``);
- an ``a href`` / ``img src`` with characters a URL cannot have, or empty (``checkUrls``, ``UrlUtil.checkValidUrl``:
  ``XHTML_URL_INVALID``); an empty ``href`` (``TYPE_SPECIFIC_CHECKS_DT_XHTML_EMPTY_HREF``) and a ``javascript:``
  or ``vbscript:`` one (``TYPE_SPECIFIC_CHECKS_DT_XHTML_ACTIVE_HREF``).

Text that is only whitespace is no content, as ``XhtmlNode.hasContent`` trims (Java's ``trim()``); but any text,
comment or instruction inside br/img/hr/area is a child (``XhtmlNode.hasChildren``: HL7's parser keeps every
non-empty text node).
"""

from __future__ import annotations

import re

from lxml import etree

from conformance.fhirval.java_text import alphabetic, digit, trim, trim_ws
from conformance.fhirval.primitives import base64_valid
from conformance.fhirval.references import is_absolute_url  # Utilities.isAbsoluteUrl, asked before a scheme is judged
from conformance.fhirval.xhtml_parser import NO_VALUE, raw_attribute

XHTML_NS = "http://www.w3.org/1999/xhtml"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_ATTRIBUTES = frozenset(
    "title style class id lang xml:lang dir accesskey tabindex span width align valign char charoff abbr axis "
    "headers scope rowspan colspan".split())
_COMBOS = frozenset(
    "a.href a.name img.src img.border div.xmlns blockquote.cite q.cite a.charset a.type a.hreflang a.rel a.rev "
    "a.shape a.coords img.alt img.longdesc img.height img.width img.usemap img.ismap map.name area.shape "
    "area.coords area.href area.nohref area.alt table.summary table.width table.border table.frame table.rules "
    "table.cellspacing table.cellpadding pre.space td.nowrap".split())
_BLOCKS_IN_P = frozenset({"div", "blockquote", "table", "ol", "ul", "p"})
_PARA = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "address"})
_INLINE = frozenset("a b em i strong small big sub sup code tt dfn q var abbr acronym cite bdo kbd samp".split())
_BLOCK_DESCENDANTS = frozenset({"div", "pre", "table", "ul", "ol"})
_EMPTY = frozenset({"br", "img", "hr", "area"})
_ONLY_CHILDREN = {
    "table": frozenset({"tbody", "tr", "caption", "thead", "tfoot", "col", "colgroup"}),
    "tr": frozenset({"td", "th"}), "tbody": frozenset({"tr"}), "thead": frozenset({"tr"}),
    "tfoot": frozenset({"tr"}), "ul": frozenset({"li"}), "ol": frozenset({"li"}), "dl": frozenset({"dd", "dt"}),
    "map": frozenset({"area"}),
}
_PARENTS = {
    "tr": ("table", "thead", "tfoot", "tbody"), "tbody": ("table",), "thead": ("table",), "tfoot": ("table",),
    "caption": ("table",), "colgroup": ("table",), "col": ("colgroup", "table"), "th": ("tr", "thead", "tfoot"),
    "td": ("tr", "thead", "tfoot"), "li": ("ul", "ol"), "dd": ("dl",), "dt": ("dl",),
}
_URL_PUNCTUATION = frozenset(";?:@&=+$.,/%-_~#[]!'()*|")
# MimeTypeUtil.checkValidMimeType, Java's \w being ASCII
_MIME_TYPE = re.compile(r"(\w+|\*)/([\w+\-]+|\*)(;\s*\w+=\s*\S+)?", re.ASCII)


def _name(el: etree._Element) -> str:
    tag = str(el.tag)
    return tag.rpartition("}")[2]


def _attribute(name: str) -> str:
    """An attribute's name as HL7's parser keeps it: ``xml:lang``; any other namespace keeps its URI (lxml's
    reading) or its prefix (xhtml_parser's)."""
    if name.startswith(f"{{{_XML_NS}}}"):
        return "xml:" + name.rpartition("}")[2]
    return raw_attribute(name)


def root_attribute_ok(element: str, name: str) -> bool:
    """An attribute FHIRPathEngine.checkHtmlNames (htmlChecks(), txt-1) allows: its list is XhtmlValidator's and
    ``xml:space``; it reads the root's attributes too, XhtmlValidator only the descendants'."""
    attr = _attribute(name)
    return attr.startswith("xmlns") or attr in _ATTRIBUTES or f"{element}.{attr}" in _COMBOS or attr == "xml:space"


def _elements(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def has_content(text: str | None) -> bool:
    """Whether a text node has something left after Java's ``trim()`` (XhtmlNode.hasContent, FHIRPathEngine.
    checkForContent), which takes off only characters up to U+0020 (a no-break space is content)."""
    return text is not None and trim(text) != ""


def _has_text(el: etree._Element) -> bool:
    """Whether the element holds text with content of its own (not its children's)."""
    return has_content(el.text) or any(has_content(c.tail) for c in el)


def url_problem(value: str) -> str | None:
    """Why a hyperlink or image source is not a valid URL (``UrlUtil.checkValidUrl``), or None."""
    if not value:
        return "the URL is empty"
    if value.startswith("data:"):
        parts = value[5:].split(",")
        while parts and not parts[-1]:  # as Java's String.split, which drops trailing empty strings
            parts.pop()
        if len(parts) < 2:
            return f"no data found in the data: URL {value[:60]!r}"
        if len(parts) > 2:
            return f"comma found in the data portion of the data: URL {value[:60]!r}"
        # in UrlUtil's order: ';base64' read before the head is trimmed (Utilities.trimWS, and only when it starts
        # with a space); the media type is judged unless String.trim() leaves nothing
        if parts[0].endswith(";base64") and not base64_valid(parts[1]):
            return f"the data of the data: URL {value[:60]!r} is not valid base64"
        head = trim_ws(parts[0]) if parts[0].startswith(" ") else parts[0]
        media = head.rpartition(";")[0] if head.endswith(";base64") else head
        if trim(media) and not _MIME_TYPE.fullmatch(media):
            return f"the media type {media[:60]!r} of the data: URL is not valid"
        return None
    # Character.isDigit or Character.isAlphabetic on each char (java_text: Python's isalpha refused the vowel
    # signs of Indic scripts, which Java's isAlphabetic takes, and took a supplementary letter, two surrogates to Java)
    bad = sorted({ch for ch in value if not (ch in _URL_PUNCTUATION or alphabetic(ch) or digit(ch))})
    if bad:
        return f"the URL {value[:80]!r} contains characters a URL cannot have: {', '.join(repr(c) for c in bad)}"
    return None


_TEXTUAL = _PARA | _INLINE | {"span", "caption", "dd", "dt"}


def _element_rules(el: etree._Element, name: str, parent: str, in_para: bool) -> list[str]:
    """The rules about one element itself: its attributes, its place, its own children, its link."""
    found = []
    for raw in el.keys():
        attr = _attribute(str(raw))
        if not (attr.startswith("xmlns") or attr in _ATTRIBUTES or f"{name}.{attr}" in _COMBOS
                or attr == "xml:space"):
            found.append(f"the attribute {attr!r} is not allowed on <{name}> in a narrative")
    if in_para and name in _BLOCKS_IN_P:
        found.append(f"<{name}> is not allowed inside a paragraph (<p>)")
    if name in _EMPTY and (len(el) or el.text):  # XhtmlNode.hasChildren: any node, whitespace or a comment too
        found.append(f"<{name}> cannot have children")
    allowed = _ONLY_CHILDREN.get(name)
    if allowed is not None:
        extra = (["text"] if _has_text(el) else []) + [_name(c) for c in _elements(el) if _name(c) not in allowed]
        if extra:
            found.append(f"<{name}> cannot have these children: {', '.join(extra)}")
    parents = _PARENTS.get(name)
    if parents is not None and parent not in parents:
        found.append(f"<{name}> must be in {' or '.join(f'<{p}>' for p in parents)}, not in <{parent}>")
    if name == "a" and el.get("href") not in (None, NO_VALUE):  # an attribute without a value is HL7's null
        href = el.get("href") or ""
        why = url_problem(href)
        if why:
            found.append(f"the hyperlink is not valid: {why}")
        if not href:
            found.append("a hyperlink (<a href>) is empty")
        elif is_absolute_url(href) and href.split(":", 1)[0] in ("javascript", "vbscript"):
            found.append(f"the hyperlink {href[:60]!r} has active content (scheme {href.split(':', 1)[0]!r}), "
                         "a security risk that is not allowed")
    elif name == "img" and el.get("src") not in (None, NO_VALUE):
        why = url_problem(el.get("src") or "")
        if why:
            found.append(f"the image source is not valid: {why}")
    return found


# an element with none of these names and no attributes has nothing of its own to judge (most table cells)
_SPECIAL = _BLOCKS_IN_P | _EMPTY | frozenset(_ONLY_CHILDREN) | frozenset(_PARENTS) | {"a", "img"}
_WATCHED = _BLOCK_DESCENDANTS | _INLINE


def structure_problems(root: etree._Element) -> list[str]:
    """What HL7's XhtmlValidator finds wrong in a narrative div whose elements are all allowed ones. One walk:
    the rules about what an element may hold below it (no block in a paragraph or text element, no inline
    element in itself) are told from each element's open ancestors."""
    found: list[str] = []
    nested: dict[int, tuple[str, str, list[str]]] = {}  # ancestor -> (its name, the rule, what it holds)
    # Ancestors are told apart by the order they were entered, never by id(): lxml's element proxies die once
    # walked past, and a later one may get the same id, which merged two ancestors' findings (a count that
    # changed from run to run).
    ancestors: list[tuple[str, int]] = []
    entered = [0]

    def walk(el: etree._Element, parent: str, in_para: bool) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                if isinstance(child, etree._Comment) and (child.text or "").startswith("DOCTYPE"):
                    found.append("a DOCTYPE declaration is not allowed in a narrative")
                continue
            name = tag.rpartition("}")[2]
            if name in _SPECIAL or (in_para and name in _BLOCKS_IN_P) or len(child.attrib):
                found.extend(_element_rules(child, name, parent, in_para))
            if name in _WATCHED:
                for above, serial in ancestors:
                    if (name in _BLOCK_DESCENDANTS and above in _TEXTUAL) or (name == above and name in _INLINE):
                        rule = "block" if name in _BLOCK_DESCENDANTS and above in _TEXTUAL else "nested"
                        nested.setdefault(serial * 2 + (rule == "nested"), (above, rule, []))[2].append(name)
            if len(child):
                entered[0] += 1
                ancestors.append((name, entered[0]))
                walk(child, name, in_para or name == "p")
                ancestors.pop()

    walk(root, _name(root), False)
    for above, rule, inner in nested.values():
        if rule == "block":
            found.append(f"block structure inside the paragraph/text element <{above}>: {', '.join(inner)}")
        else:
            found.append(f"<{above}> cannot contain a nested <{above}>")
    return found
