"""A narrative's ``textLink`` extensions lead to what they name, as HL7's validator (InstanceValidator.checkNarrative).

``http://hl7.org/fhir/StructureDefinition/textLink`` (core extensions, R5 era, used on R4 narratives such as
the IPS') ties a part of the XHTML (``htmlid``: an id in the div) to the data it shows (``data``: ``#id`` of
an element of the resource, or of a resource in the same Bundle). HL7's validator reports an ``htmlid`` the div
lacks (TEXT_LINK_NO_ID), a link without ``data`` (TEXT_LINK_NO_DATA) and a ``#id`` that nothing has
(TEXT_LINK_DATA_NOT_FOUND) or that several have (TEXT_LINK_DATA_MULTIPLE_MATCHES). A ``data`` URL to another
resource (``Patient/x#y``) and the ``selector`` expression are not judged here.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json

TEXT_LINK = "http://hl7.org/fhir/StructureDefinition/textLink"
_ID = re.compile(r"""\bid\s*=\s*["']([^"']*)["']""")


def _list(value: Any) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _value(ext: Json) -> Any:
    return next((v for k, v in ext.items() if k.startswith("value")), None)


def _count_ids(node: Any, wanted: str) -> int:
    """Elements (and resources, contained ones included) with this id, as BaseValidator.getFragmentMatches."""
    if isinstance(node, dict):
        own = 1 if node.get("id") == wanted else 0
        return own + sum(_count_ids(v, wanted) for k, v in node.items() if k != "id")
    if isinstance(node, list):
        return sum(_count_ids(v, wanted) for v in node)
    return 0


def check(narrative: Json, resource: Json, bundle: Json | None, loc: str, sink: Sink) -> None:
    """``bundle``: the Bundle the resource is an entry of, whose entries' resources a ``#id`` may name too."""
    links = [e for e in _list(narrative.get("extension")) if e.get("url") == TEXT_LINK]
    if not links:
        return
    div = narrative.get("div")
    ids = set(_ID.findall(div)) if isinstance(div, str) else set()
    for link in links:
        parts = _list(link.get("extension"))
        for part in parts:
            html_id = _value(part) if part.get("url") == "htmlid" else None
            if isinstance(html_id, str) and html_id not in ids:
                sink.error("narrative", loc, f"the html id {html_id!r} of a textLink is not found in the xhtml")
        data = next((_value(p) for p in parts if p.get("url") == "data"), None)
        if data is None:
            sink.error("narrative", loc, "a textLink extension has no data element")
        elif isinstance(data, str) and data.startswith("#"):
            count = _count_ids(resource, data[1:]) + sum(
                1 for e in _list(bundle.get("entry") if bundle else None)
                if isinstance(e.get("resource"), dict) and e["resource"] is not resource
                and e["resource"].get("id") == data[1:])
            if count == 0:
                sink.error("narrative", loc, f"the target of the textLink data reference {data!r} is not found in "
                                             "the resource")
            elif count > 1:
                sink.error("narrative", loc, f"several targets match the textLink data reference {data!r}")
