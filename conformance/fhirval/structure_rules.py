"""A StructureDefinition's type and element paths, as HL7's validator checks them (differential.py has the
differential's own rules):

- a logical model's type is a FHIR type or an absolute URL (a bare name is nobody's: "other types must
  have a namespace");
- a specialization defines a new type: not the type of the structure it specializes;
- every element path, in the differential and the snapshot, is the structure's type or starts with it and
  a dot (its last URL segment for a logical model's URL type);
- a differential's discriminator path starts with an element the sliced element has (``type`` is no
  element of an Extension). Paths that start with a function (``extension(..)``, ``resolve()``,
  ``ofType()``, ``$this``) and elements whose definition cannot be found are left alone;
- only an element that repeats in its base type's definition, or a choice, may be sliced, in the
  differential and the snapshot (StructureDefinitionValidator: SD_PATH_NO_SLICING, ``canSlice``; the
  base element looked up by path in the definition of the path's first segment, as HL7's validator).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from conformance.fhirval.index import Node, StructureIndex

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
    if sd.get("derivation") == "constraint":
        check_discriminators(w, sd, loc)
    check_sliceable(w, sd, loc)
    if not isinstance(base_url, str) or not _loaded(w, base_url):
        return  # HL7 walks the element lists (SD_PATH_TYPE_MISMATCH) only with the base loaded (validateElementList)
    name = rtype.rstrip("/").rsplit("/", 1)[-1] if absolute else rtype
    for part in ("differential", "snapshot"):
        holder: Any = sd.get(part)
        elements = holder.get("element") if isinstance(holder, dict) else None
        for i, ed in enumerate(elements if isinstance(elements, list) else ()):
            path = ed.get("path") if isinstance(ed, dict) else None
            # HL7's StructureDefinitionValidator (SD_PATH_TYPE_MISMATCH): the path is the type or starts with
            # "type."; a type may itself hold dots (R4's data elements: "Immunization.education.id").
            if isinstance(path, str) and path != name and not path.startswith(name + "."):
                w.sink.error("structure-type", f"{loc}.{part}.element[{i}]",
                             f"the path {path} must start with the type of the structure ({name})")


_FIRST_STEP = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _loaded(w: Walker, url: str) -> bool:
    """Whether a structure of that URL is held, as loaded (HL7's fetchResource): one whose own snapshot cannot be
    generated here (its base is R5's Base, say) is still there."""
    source = w.model.source
    try:
        return getattr(source, "raw_structure", source.structure)(url) is not None
    except Exception:  # noqa: BLE001 - a structure that cannot be read is not there
        return False


def check_discriminators(w: Walker, sd: Json, loc: str) -> None:
    rtype = sd.get("type")
    holder: Any = sd.get("differential")
    elements = holder.get("element") if isinstance(holder, dict) else None
    if not isinstance(rtype, str) or not isinstance(elements, list):
        return
    base = w.model.index(rtype)
    if base is None or base.root is None:
        return
    for i, ed in enumerate(elements):
        slicing = ed.get("slicing") if isinstance(ed, dict) else None
        path = ed.get("path") if isinstance(ed, dict) else None
        if not isinstance(slicing, dict) or not isinstance(path, str):
            continue
        if path not in base.by_id and path + "[x]" not in base.by_id:
            # HL7 types the discriminator only when the base type's snapshot has the sliced path itself
            # (StructureDefinitionValidator: tsd.getSnapshot().getElementByPath(path), else ted null, nothing
            # judged): a slicing below a content reference (Composition.section.section.section) is not judged
            continue
        names = _child_names(w, _node_at(base, path), ed)
        if names is None:
            continue
        for j, d in enumerate(slicing.get("discriminator") or ()):
            dpath = d.get("path") if isinstance(d, dict) else None
            if not isinstance(dpath, str):
                continue
            first = _FIRST_STEP.match(dpath)
            if first is None or dpath[first.end():first.end() + 1] == "(":  # $this or a function: not judged
                continue
            step = first.group(0)
            if step not in names and step + "[x]" not in names:
                w.sink.error("structure-slicing", f"{loc}.differential.element[{i}].slicing.discriminator[{j}]",
                             f"the discriminator path {dpath!r} does not name an element of {path}, the element "
                             "being sliced")


def _node_at(base: StructureIndex, path: str) -> Node | None:
    """The base's element at a path, through content references (``ExplanationOfBenefit.adjudication`` is
    ``#ExplanationOfBenefit.item.adjudication``), as HL7's FHIRPathEngine resolves a discriminator's types."""
    node: Node | None = base.root
    for part in path.split(".")[1:]:
        if node is None:
            return None
        node = _referenced(base, node)
        node = node.children.get(part) or node.children.get(part + "[x]")
    return _referenced(base, node) if node is not None else None


def _referenced(base: StructureIndex, node: Node) -> Node:
    """The element a local contentReference names, else the element itself."""
    ref = node.content_reference
    return base.by_id.get(ref[1:], node) if ref and ref.startswith("#") else node


def _child_names(w: Walker, node: Node | None, ed: Json) -> set[str] | None:
    """The names of the elements below the sliced element (its children, or its one type's); None: unknown."""
    if node is None:
        return None
    if node.children:
        return set(node.children)
    codes = {t.get("code") for t in ed.get("type") or () if isinstance(t, dict)} or {t.code for t in node.types}
    if len(codes) != 1:
        return None
    tidx = w.model.index(str(next(iter(codes))))
    if tidx is not None and tidx.sd.get("abstract") is True:
        # ``contained`` (Resource), sliced by ``code``: HL7 types a name on a type with all its descendants
        # (FHIRPathEngine.getChildTypesByName, addTypeAndDescendents), so any resource's element will do; not judged
        return None
    return set(tidx.root.children) if tidx is not None and tidx.root is not None and tidx.root.children else None


_CORE = "http://hl7.org/fhir/StructureDefinition/"


def check_sliceable(w: Walker, sd: Json, loc: str) -> None:
    """A sliced element repeats in its type's base definition, or is a choice (HL7's SD_PATH_NO_SLICING)."""
    maxima: dict[str, dict[str, Any] | None] = {}
    for part in ("differential", "snapshot"):
        holder: Any = sd.get(part)
        elements = holder.get("element") if isinstance(holder, dict) else None
        for i, ed in enumerate(elements if isinstance(elements, list) else ()):
            path = ed.get("path") if isinstance(ed, dict) else None
            if not isinstance(path, str) or not isinstance(ed.get("slicing"), dict) or "[x]" in path:
                continue
            type_name = path.partition(".")[0]
            if type_name not in maxima:
                base = w.model.source.structure(_CORE + type_name) if type_name[:1].isalpha() else None
                snap: Any = base.get("snapshot") if isinstance(base, dict) else None
                maxima[type_name] = {e["path"]: e.get("max") for e in reversed(snap.get("element") or ())
                                     if isinstance(e, dict) and isinstance(e.get("path"), str)} \
                    if isinstance(snap, dict) else None
            table = maxima[type_name]
            if table is not None and table.get(path, "*") == "1":
                w.sink.error("structure-slicing", f"{loc}.{part}.element[{i}].slicing",
                             f"slicing is not allowed at {path}: it does not repeat in its base definition")
