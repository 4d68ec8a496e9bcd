"""Narrative language control: a profile's ``narrative-language-control`` on a Narrative element.

HL7 defined the extension (R5 era, in its core namespace) so a profile can say whether the narrative is
split into language sections (a child ``<div lang="..">`` of the narrative's div) and which: ``_no``
none, ``_yes`` some, ``_resource`` one for the resource's own ``language``, or a language code that must
have its section. HL7's validator enforces it; so do we, on the same reading.

Also here: a narrative's in-page links (``#x``) must lead somewhere (``unresolved_anchors``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from conformance.fhirval.fhirpath import parse_div
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json, items

LANGUAGE_CONTROL = "http://hl7.org/fhir/StructureDefinition/narrative-language-control"
_XHTML = "{http://www.w3.org/1999/xhtml}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def language_controls(ed: Json) -> list[str]:
    """The element definition's narrative-language-control codes (empty: no control)."""
    return [e["valueCode"] for e in ed.get("extension") or ()
            if isinstance(e, dict) and e.get("url") == LANGUAGE_CONTROL and isinstance(e.get("valueCode"), str)]


def sections(div: str) -> list[str] | None:
    """The languages of the narrative's language sections, in order; None when the div is not XHTML at all
    (txt-1 says so already)."""
    try:
        root = parse_div(div)
    except etree.XMLSyntaxError:
        return None
    found = []
    for child in root:
        # XhtmlValidator.isLangDiv: a child div with xml:lang (an HTML lang alone does not make a section)
        if isinstance(child.tag, str) and child.tag == f"{_XHTML}div":
            lang = child.get(_XML_LANG)
            if lang is not None:
                found.append(lang)
    return found


def check_language_control(controls: list[str], narrative: Any, resource: Json, loc: str, sink: Sink) -> None:
    """Each control on one Narrative value: sections prohibited, required, or required for given languages."""
    div = narrative.get("div") if isinstance(narrative, dict) else None
    if not isinstance(div, str):
        return
    langs = sections(div)
    if langs is None:
        return
    shown = ", ".join(sorted(set(langs)))
    for control in controls:
        if control == "_no" and langs:
            sink.error("narrative", loc, f"the narrative has language sections ({shown}), but the profile prohibits "
                                         "them here (narrative-language-control _no)")
        elif control == "_yes" and not langs:
            sink.error("narrative", loc, "the narrative has no language sections, but the profile requires them here "
                                         "(narrative-language-control _yes)")
        elif not langs and control != "_no":
            # InstanceValidator.checkNarrative: for _resource or a language, no sections at all is a warning
            # (XHTML_CONTROL_LANGS_NONE, _NONE_NO_DEFAULT, _NONE2), a section missing among others an error
            sink.warning("narrative", loc, f"the profile asks for language sections in this narrative "
                                           f"(narrative-language-control {control}), but it has none")
        elif control == "_resource":
            language = resource.get("language")
            if isinstance(language, str) and language not in langs:
                sink.error("narrative", loc, f"the profile requires a narrative section for the resource's language "
                                             f"({language}), but there is none (found {shown})")
        elif not control.startswith("_") and control not in langs:
            sink.error("narrative", loc, f"the profile requires a narrative section in {control}, but there is none "
                                         f"(found {shown})")


SOURCE_CONTROL = "http://hl7.org/fhir/StructureDefinition/narrative-source-control"
_SOURCE_CLASSES = frozenset({"generated", "boilerplate", "original"})


def check_source_control(ed: Json, narrative: Any, loc: str, sink: Sink) -> None:
    """A profile's ``narrative-source-control`` at level ``error``: each part of the narrative (a child of its
    div with content) says where it came from by its class: generated, boilerplate or original
    (InstanceValidator.checkNarrative, XHTML_CONTROL_NO_SOURCE). HL7's code as it stands falls through its
    levels (a hint is also an error) and its hasClass accepts any single class; judged here is only what both
    its intent and its code call an error: level ``error``, and a part with no class, or several classes none
    of them a source."""
    levels = [e.get("valueCode", e.get("valueString")) for e in ed.get("extension") or ()
              if isinstance(e, dict) and e.get("url") == SOURCE_CONTROL]
    div = narrative.get("div") if isinstance(narrative, dict) else None
    if "error" not in levels or not isinstance(div, str):
        return
    try:
        root = parse_div(div)
    except etree.XMLSyntaxError:
        return
    parts: list[tuple[str, str | None]] = [(root.text or "", None)] if (root.text or "").strip() else []
    for child in root:
        if isinstance(child.tag, str) and "".join(child.itertext()).strip():
            parts.append(("".join(child.itertext()), child.get("class")))
        if (child.tail or "").strip():
            parts.append((child.tail or "", None))
    for text, classes in parts:
        names = (classes or "").split()
        if not names or (len(names) > 1 and not _SOURCE_CLASSES & set(names)):
            sink.error("narrative", loc, f"the narrative part {' '.join(text.split())[:30]!r} does not say its "
                                         "source (class generated, boilerplate or original), as the profile "
                                         "requires (narrative-source-control)")


# an in-page link, or an image from the page (HL7: TYPE_SPECIFIC_CHECKS_DT_XHTML_RESOLVE, ..._RESOLVE_IMG)
_ANCHOR_LINK = re.compile(r"""<(?:a\s[^>]*\bhref|img\s[^>]*\bsrc)\s*=\s*["']#([^"']+)["']""")
_TARGET = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""")


def without_comments(div: str) -> str:
    """The div without its comments and CDATA sections, which hold no element: HL7's checkReferences visits only the
    parsed XHTML's ``a`` and ``img`` elements, so a link written inside a comment is no link (review14b). One pass,
    linear: an unterminated comment or section runs to the end."""
    if "<!" not in div:
        return div
    out: list[str] = []
    i = 0
    while (j := div.find("<!", i)) >= 0:
        out.append(div[i:j])
        for opening, closing in (("<!--", "-->"), ("<![CDATA[", "]]>")):
            if div.startswith(opening, j):
                end = div.find(closing, j + len(opening))
                i = len(div) if end < 0 else end + len(closing)
                break
        else:
            out.append("<!")
            i = j + 2
    out.append(div[i:])
    return "".join(out)


def unresolved_anchors(div: str, resource: Json, root: Json) -> list[str]:
    """In-page links (``<a href="#x">``) of a narrative that lead nowhere: no element of the narrative has that id
    or name, no contained resource that id, and nothing else in the whole instance (a Bundle's other entries
    included) carries it as an id, an XHTML id or a name. HL7's validator says such a link "does not
    resolve"; the search is wide on purpose, so that only a link to nothing at all is reported."""
    links = _ANCHOR_LINK.findall(without_comments(div))
    if not links:
        return []
    targets = set(_TARGET.findall(div)) | {c.get("id") for c in items(resource.get("contained"))
                                           if isinstance(c, dict)}
    missing = [x for x in dict.fromkeys(links) if x not in targets]
    if not missing:
        return []
    everywhere = json.dumps(root)
    return [x for x in missing
            if f'"id": {json.dumps(x)}' not in everywhere and not re.search(
                r"""\b(?:id|name)\s*=\s*\\?["']""" + re.escape(json.dumps(x)[1:-1]) + r"""\\?["']""", everywhere)]
