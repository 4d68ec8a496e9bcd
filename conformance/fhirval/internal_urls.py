"""A ``#id`` URL in a canonical or uri element names something in its resource, as HL7's validator checks it.

InstanceValidator.validateReference (called from checkPrimitive for every uri, url and canonical that is not a
defining URL) counts, for a ``#fragment``, the elements of the root resource with that id and the XHTML elements
of its narratives with that id (or an ``<a name>``), then, with none, those of the enclosing Bundle
(countTargetMatches). None found is TYPE_SPECIFIC_CHECKS_DT_URL_INTERNAL: an error for a canonical and for
``ValueSet.compose.include.system`` / ``exclude.system`` (isHardErrorPathForInternal), a warning for any other
uri or url (an error with for-publication), only a hint on ``Meta.source``. The root of a contained resource is
its container (ValidationContext.forContained). HL7's runner always gives its validator a fetcher, which the
check needs; a textLink's ``data`` is text_links.py's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.text_links import count_ids, xhtml_ids

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
    if path.lower().endswith("meta.source"):  # isNotHardErrorPathForInternal, "an exemption for HAPI"
        (sink.warning if for_publication else sink.info)("reference-unresolved", loc, why)
    elif tcode == "canonical" or path in _HARD_PATHS or for_publication:
        sink.error("reference-unresolved", loc, why)
    else:
        sink.warning("reference-unresolved", loc, why)
