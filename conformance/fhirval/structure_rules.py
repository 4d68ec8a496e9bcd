"""A StructureDefinition's type and element paths, as HL7's validator checks them (differential.py has the
differential's own rules):

- a logical model's type is a FHIR type or an absolute URL (a bare name is nobody's: "other types must
  have a namespace");
- a specialization defines a new type: not the type of the structure it specializes;
- every element path, in the differential and the snapshot, starts with the structure's type (its last
  URL segment for a logical model's URL type).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def check(w: Walker, sd: Json, loc: str) -> None:
    rtype = sd.get("type")
    if not isinstance(rtype, str) or not rtype:
        return
    absolute = ":" in rtype
    if sd.get("kind") == "logical" and not absolute and not w.model.is_type_name(rtype):
        w.sink.error("structure-type", f"{loc}.type", f"the type {rtype} is not a FHIR type: a logical model's own "
                                                      "type must be an absolute URL (a namespace)")
    base_url = sd.get("baseDefinition")
    if sd.get("derivation") == "specialization" and isinstance(base_url, str):
        index = w.model.index(base_url)
        raw = getattr(w.model.source, "raw_structure", None)  # as loaded, no snapshot generated: only its type
        base = index.sd if index is not None else raw(base_url) if callable(raw) else None
        if isinstance(base, dict) and base.get("type") == rtype:
            w.sink.error("structure-type", loc, f"the type {rtype} is the type of the base structure {base_url}: a "
                                                "specialization defines a new type")
    name = rtype.rstrip("/").rsplit("/", 1)[-1] if absolute else rtype
    for part in ("differential", "snapshot"):
        holder: Any = sd.get(part)
        elements = holder.get("element") if isinstance(holder, dict) else None
        for i, ed in enumerate(elements if isinstance(elements, list) else ()):
            path = ed.get("path") if isinstance(ed, dict) else None
            if isinstance(path, str) and path.split(".", 1)[0] != name:
                w.sink.error("structure-type", f"{loc}.{part}.element[{i}]",
                             f"the path {path} must start with the type of the structure ({name})")
