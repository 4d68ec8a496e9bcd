"""A narrative's ``textLink`` extensions lead to what they name, as HL7's validator (InstanceValidator.checkNarrative).

``http://hl7.org/fhir/StructureDefinition/textLink`` (core extensions, R5 era, used on R4 narratives such as
the IPS') ties a part of the XHTML (``htmlid``: an id in the div) to the data it shows (``data``: ``#id`` of
an element of the resource, or of a resource in the same Bundle). HL7's validator reports an ``htmlid`` the div
lacks (TEXT_LINK_NO_ID), a link without ``data`` (TEXT_LINK_NO_DATA) and a ``#id`` that nothing has
(TEXT_LINK_DATA_NOT_FOUND) or that several have (TEXT_LINK_DATA_MULTIPLE_MATCHES). A ``data`` URL to another
resource (``Patient/x#y``) must name an entry of the same Bundle (by Type/id or fullUrl), and its fragment an
element there. A fragment is counted as BaseValidator.getFragmentMatches counts it: the elements of the resource
searched with that id, the resource itself included, then every entry of its Bundle with that id, so a resource
named by its own id inside a Bundle is matched twice (TEXT_LINK_DATA_MULTIPLE_MATCHES). A ``selector`` (FHIRPath
selecting part of the data) must parse, and HL7 then type-checks it (FHIRPathEngine.check) on the type of the
first match: an unknown name there is TEXT_LINK_SELECTOR_INVALID too. That type is known here when the first
match is a resource (the one named, or an entry found by its id); a match inside a resource is not typed, and the
names are judged as far as constraint_types types them (``typed``).

An image of the narrative taken from the resource (``<img src="#x">``) must name one thing: HL7 counts the
elements of the enclosing resource with that id and the XHTML elements of its narratives with that id
(BaseValidator.countFragmentMatches) and reports several (TYPE_SPECIFIC_CHECKS_DT_XHTML_MULTIPLE_MATCHES, an
error for an image, InstanceValidator.checkImageSources; none is reported by narrative.py's wider search).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from conformance.fhirval.fhirpath import parse_div
from conformance.fhirval.fhirpath_syntax import syntax_error
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json, objects, value_of

TEXT_LINK = "http://hl7.org/fhir/StructureDefinition/textLink"


def count_ids(node: Any, wanted: str) -> int:
    """Elements (and resources, contained ones included) with this id, as BaseValidator.getFragmentMatches."""
    if isinstance(node, dict):
        own = 1 if node.get("id") == wanted else 0
        return own + sum(count_ids(v, wanted) for k, v in node.items() if k != "id")
    if isinstance(node, list):
        return sum(count_ids(v, wanted) for v in node)
    return 0


def _html_ids(div: Any) -> set[str] | None:
    """The id attributes of the div's elements, as the parsed XHTML has them (entities decoded, any quote); None
    when the div is not XHTML (that is reported already), so its ids are not judged."""
    if not isinstance(div, str):
        return set()
    try:
        root = parse_div(div)
    except etree.XMLSyntaxError:
        return None
    return {el.get("id", "") for el in root.iter() if isinstance(el.tag, str) and el.get("id") is not None}


def check(narrative: Json, resource: Json, bundle: Json | None, loc: str, sink: Sink,
          typed: Callable[[str, str], str | None] | None = None) -> None:
    """``resource``: the enclosing resource, the container when the narrative is a contained resource's
    (InstanceValidator resets it only for Bundle entries and Parameters); ``bundle``: the Bundle that resource is
    an entry of, whose entries' resources a ``#id`` may name too; ``typed``: (selector, type) -> why a name of the
    selector is unknown on that type, or None."""
    links = [e for e in objects(narrative.get("extension")) if e.get("url") == TEXT_LINK]
    if not links:
        return
    ids = _html_ids(narrative.get("div"))
    for link in links:
        parts = objects(link.get("extension"))
        for part in parts:
            html_id = value_of(part) if part.get("url") == "htmlid" else None
            if isinstance(html_id, str) and ids is not None and html_id not in ids:
                sink.error("narrative", loc, f"the html id {html_id!r} of a textLink is not found in the xhtml")
        selector = next((value_of(p) for p in parts if p.get("url") == "selector"), None)
        problem = syntax_error(selector) if isinstance(selector, str) else None
        if problem is not None:
            sink.error("narrative", loc, f"the textLink selector {selector!r} is not valid FHIRPath ({problem})")
        data = next((value_of(p) for p in parts if p.get("url") == "data"), None)
        target: str | None = None  # the type of the first match, when it is a resource
        if data is None:
            sink.error("narrative", loc, "a textLink extension has no data element")
        elif isinstance(data, str) and data.startswith("#"):
            count = _fragment_count(resource, bundle, data[1:])
            _report(count, data, loc, sink)
            target = _first_type(resource, bundle, data[1:]) if count else None
        elif isinstance(data, str):
            # another resource: an entry of the same Bundle, by Type/id or fullUrl (BaseValidator.getUrlMatches;
            # outside a Bundle nothing matches), then the fragment after '#' inside the first match
            url, hashed, fragment = data.partition("#")
            targets = [e["resource"] for e in objects(bundle.get("entry") if bundle else None)
                       if isinstance(e.get("resource"), dict) and url in (
                           f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}", e.get("fullUrl"))]
            _report(len(targets), data, loc, sink)
            if targets and hashed:
                count = _fragment_count(targets[0], bundle, fragment)
                _report(count, data, loc, sink)
                target = _first_type(targets[0], bundle, fragment) if count else None
            elif targets:
                target = _type(targets[0])
        if problem is None and isinstance(selector, str) and target is not None and typed is not None:
            unknown = typed(selector, target)
            if unknown is not None:
                sink.error("narrative", loc, f"the textLink selector {selector!r} is invalid: {unknown}")


def _fragment_count(resource: Json, bundle: Json | None, fragment: str) -> int:
    """BaseValidator.getFragmentMatches(element, fragment, stack): the elements of the resource with this id,
    itself included, then each entry of its Bundle with it, itself not excepted."""
    return count_ids(resource, fragment) + sum(
        1 for e in objects(bundle.get("entry") if bundle else None)
        if isinstance(e.get("resource"), dict) and e["resource"].get("id") == fragment)


def _first_type(resource: Json, bundle: Json | None, fragment: str) -> str | None:
    """The type of getFragmentMatches' first match when it is a resource: the resource itself (its own id), or,
    when nothing inside it has the id, the first entry of its Bundle that has it; None for an element inside."""
    if resource.get("id") == fragment:
        return _type(resource)
    if count_ids(resource, fragment):
        return None  # an element of the resource: not typed here
    return next((_type(e["resource"]) for e in objects(bundle.get("entry") if bundle else None)
                 if isinstance(e.get("resource"), dict) and e["resource"].get("id") == fragment), None)


def _type(resource: Json) -> str | None:
    kind = resource.get("resourceType")
    return kind if isinstance(kind, str) else None


def _report(count: int, data: str, loc: str, sink: Sink) -> None:
    """TEXT_LINK_DATA_NOT_FOUND and TEXT_LINK_DATA_MULTIPLE_MATCHES, both errors."""
    if count == 0:
        sink.error("narrative", loc, f"the target of the textLink data reference {data!r} is not found")
    elif count > 1:
        sink.error("narrative", loc, f"several targets match the textLink data reference {data!r}")


def check_images(narrative: Json, resource: Json, loc: str, sink: Sink) -> None:
    """Each ``<img src="#x">`` of the div names at most one element or XHTML id of the enclosing resource."""
    div = narrative.get("div")
    if not isinstance(div, str) or "<img" not in div:
        return
    try:
        root = parse_div(div)
    except etree.XMLSyntaxError:
        return
    sources = {el.get("src", "")[1:]: None for el in root.iter("{http://www.w3.org/1999/xhtml}img", "img")
               if el.get("src", "").startswith("#")}
    for ref in sources:
        if count_ids(resource, ref) + xhtml_ids(resource, ref) > 1:
            sink.error("narrative", f"{loc}.div", f"several elements match the image source '#{ref}' in the resource")


def xhtml_ids(node: Any, wanted: str) -> int:
    """XHTML elements with this id in every narrative under ``node`` (BaseValidator.countFragmentMatches)."""
    if isinstance(node, dict):
        return sum(_html_count(v, wanted) if k == "div" else xhtml_ids(v, wanted) for k, v in node.items())
    if isinstance(node, list):
        return sum(xhtml_ids(v, wanted) for v in node)
    return 0


def _html_count(div: Any, wanted: str) -> int:
    if not isinstance(div, str) or (wanted not in div and "&" not in div):  # an id may be written with entities
        return 0
    try:
        root = parse_div(div)
    except etree.XMLSyntaxError:
        return 0
    return sum(1 for el in root.iter() if isinstance(el.tag, str) and el.get("id") == wanted)
