"""A ``#id`` URL in a canonical or uri element names something in its resource, as HL7's validator checks it.

InstanceValidator.validateReference (called from checkPrimitive for every uri, url and canonical that is not a
defining URL) counts, for a ``#fragment``, the elements of the root resource with that id and the XHTML elements
of its narratives with that id (or an ``<a name>``), then, with none, those of the enclosing Bundle
(countTargetMatches). None found is TYPE_SPECIFIC_CHECKS_DT_URL_INTERNAL: an error for a canonical and for
``ValueSet.compose.include.system`` / ``exclude.system`` (isHardErrorPathForInternal) and for any value inside a
``textLink`` extension (isExtensionThatMatters: the value's extension, or the first of its enclosing extensions
with an absolute url, is EXT_TEXT_LINK), a warning for any other uri or url (an error with for-publication), only
a hint on ``Meta.source`` outside a textLink. The root of a contained resource is
its container (ValidationContext.forContained). HL7's runner always gives its validator a fetcher, which the
check needs; a textLink's ``data`` is text_links.py's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval.references import is_absolute_url
from conformance.fhirval.text_links import TEXT_LINK, count_ids, xhtml_ids

if TYPE_CHECKING:
    from conformance.fhirval.elements_values import Frame
    from conformance.fhirval.issues import Sink

_HARD_PATHS = frozenset({"ValueSet.compose.include.system", "ValueSet.compose.exclude.system"})


def _matches(frames: list[Frame], fragment: str) -> int:
    """countTargetMatches: the root resource (the nearest that is not contained), then each enclosing Bundle."""
    k = len(frames) - 1
    while k > 0 and frames[k].contained:
        k -= 1
    root = frames[k].resource if frames else {}
    count = count_ids(root, fragment) + xhtml_ids(root, fragment)
    if count == 0:
        for frame in frames[:k]:
            if frame.type == "Bundle":
                count += count_ids(frame.resource, fragment) + xhtml_ids(frame.resource, fragment)
    return count


def check(frames: list[Frame], path: str, tcode: str, url: str, loc: str, sink: Sink, for_publication: bool) -> None:
    """``url`` starts with ``#``; ``path`` is the element's definition path."""
    fragment = url[1:]
    if not fragment or _matches(frames, fragment):
        return
    why = f"the URL value {url!r} is invalid because there is no matching target in the resource"
    in_text_link = _in_text_link(frames, loc)
    # isNotHardErrorPathForInternal, "an exemption for HAPI"
    if path.lower().endswith("meta.source") and not in_text_link:
        (sink.warning if for_publication else sink.info)("reference-unresolved", loc, why)
    elif tcode == "canonical" or path in _HARD_PATHS or for_publication or in_text_link:
        sink.error("reference-unresolved", loc, why)
    else:
        sink.warning("reference-unresolved", loc, why)


_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?")


def _in_text_link(frames: list[Frame], loc: str) -> bool:
    """InstanceValidator.isExtensionThatMatters: from the object holding the value up, while it is an extension
    (an item of ``extension`` or ``modifierExtension``) whose url is not absolute (a sub-extension's), go to the
    object holding it; the first absolute url met is the textLink extension's. The objects are found by walking
    ``loc`` down from the resource being walked (only for a ``#`` URL that names nothing: no cost otherwise)."""
    if not frames or not loc.startswith(frames[-1].loc + "."):
        return False
    names = loc[len(frames[-1].loc) + 1:].split(".")
    if names and names[-1].startswith("ofType("):
        names.pop()
    chain: list[tuple[str, Any]] = []  # (the property it was reached by, the object)
    here: Any = frames[-1].resource
    for name in names[:-1]:  # down to the object that holds the value
        m = _SEGMENT.fullmatch(name)
        if m is None or not isinstance(here, dict):
            return False
        found = _step(here, m[1], m[2])
        here = found if isinstance(found, dict) else _step(here, "_" + m[1], m[2])
        chain.append((m[1], here))
    for prop, obj in reversed(chain):
        if prop not in ("extension", "modifierExtension") or not isinstance(obj, dict):
            return False
        url = obj.get("url")
        if isinstance(url, str) and is_absolute_url(url):
            return url == TEXT_LINK
    return False


def _step(obj: dict[str, Any], name: str, index: str | None) -> Any:
    found = obj.get(name)
    if index is not None:
        found = found[int(index)] if isinstance(found, list) and int(index) < len(found) else None
    return found
