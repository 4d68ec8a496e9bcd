"""The types of a StructureMap's variables, as HL7's StructureMapValidator infers them (its VariableDefn and
VariableSet, getElementDefinitions, hasType, typesMatch, inferType).

A variable is typed when HL7 knows the structure (``sd``) and the element of it (``ed``) it stands for, and
maybe one of that element's types (``type``, a source's ``type`` or a target's transform result). A group's
input is typed by the structure its ``type`` aliases (``uses``) or by a FHIR type; a source or target with an
``element`` steps from its context's element to the children of that element in the snapshot, or, where the
snapshot does not expand them, to the children of the element's types' own definitions.

Where a lookup here cannot find what HL7's could (a structure that is not loaded, a snapshot that cannot be
built), the variable is left untyped, so that nothing is judged under it: HL7 is silent or warns there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.fhirval.snapshot_checks import working_code as _working_code
from conformance.fhirval.source import FHIR_BASE, as_loaded, definition_elements, objects

if TYPE_CHECKING:
    from conformance.fhirval.context import Model
    from conformance.fhirval.source import Json

_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")


def valid_id(name: object) -> bool:
    """idIsValid."""
    return isinstance(name, str) and _ID.fullmatch(name) is not None


@dataclass
class Var:
    """VariableDefn: a variable's name and mode, and, when typed, its structure, element and chosen type."""

    name: str
    mode: str
    sd: Json | None = None
    ed: Json | None = None
    type: str | None = None

    @property
    def typed(self) -> bool:  # hasTypeInfo
        return self.sd is not None and self.ed is not None

    def set_type(self, sd: Json | None, ed: Json | None, kind: str | None) -> None:
        self.sd, self.ed, self.type = sd, ed, kind

    def copy_type(self, other: Var) -> None:
        self.sd, self.ed, self.type = other.sd, other.ed, other.type


@dataclass
class Vars:
    """VariableSet: the variables in scope; a later one of a name and mode replaces the earlier."""

    items: list[Var] = field(default_factory=list)

    def has(self, name: str) -> bool:
        return any(v.name == name for v in self.items)

    def add(self, name: str, mode: str) -> Var:
        self.items = [v for v in self.items if not (v.name == name and v.mode == mode)]
        var = Var(name, mode)
        self.items.append(var)
        return var

    def add_as(self, name: str, var: Var) -> None:
        """add(pname, v): a copy of ``var`` under another name (a group's parameter)."""
        self.items.append(Var(name, var.mode, var.sd, var.ed, var.type))

    def get(self, name: str, source: bool) -> Var | None:
        """getVariable(name, source): the first variable of that name that is (or is not) a source."""
        return next((v for v in self.items if v.name == name and (v.mode == "source") == source), None)

    def copy(self) -> Vars:
        return Vars([Var(v.name, v.mode, v.sd, v.ed, v.type) for v in self.items])


def working_code(tr: Json) -> str:
    """TypeRefComponent.getWorkingCode (snapshot_checks.working_code), "" for none."""
    return _working_code(tr) or ""


def type_codes(ed: Json) -> list[str]:
    return [working_code(t) for t in objects(ed.get("type"))]


def absolute(url: str) -> bool:
    """Utilities.isAbsoluteUrl as the map validator uses it: a scheme's colon."""
    return ":" in url


def same_types(a: str | None, b: str | None) -> bool:
    """sameTypes: equal once a bare type name is read as a FHIR base URL."""
    if a is None or b is None:
        return False
    return (a if absolute(a) else FHIR_BASE + a) == (b if absolute(b) else FHIR_BASE + b)


def type_matches(t1: str, t2: str) -> bool:
    """typeMatches as HL7 has it: only ``t1`` is read as a FHIR URL (its second test reads t1 again)."""
    return (t1 if absolute(t1) else FHIR_BASE + t1) == t2


@dataclass
class Types:
    """The structures a map's types name, looked up in the model's definitions."""

    model: Model
    _type_names: dict[str, str] | None = field(default=None, repr=False)

    def structure(self, url: str) -> Json | None:
        """A StructureDefinition (with its snapshot) by canonical URL; None when not held."""
        idx = self.model.index(url) if url else None
        return idx.sd if idx is not None else None

    def type_definition(self, name: str | None) -> Json | None:
        """fetchTypeDefinition: a URL, else the specialisation (not a constraint) whose type the name is: FHIR's
        own first (the common case, one lookup), else TypeManager's index of every held one (``type_names``)."""
        if not name:
            return None
        if absolute(name):
            return self.structure(name)
        sd = self.structure(FHIR_BASE + name) if name[:1].isalpha() else None
        if sd is not None and sd.get("derivation") != "constraint":
            return sd
        url = self.type_names().get(name)
        return self.structure(url) if url is not None else None

    def type_names(self) -> dict[str, str]:
        """TypeManager.see / fetchTypeDefinition over the held StructureDefinitions that are not constraints: by
        ``type``, and a type that is a URL (a logical model's, CDA's ``http://hl7.org/cda/stu3/StructureDefinition/CD``)
        by its last segment too; a name several define is the one of them in FHIR's namespace, and none when that
        is not one (HL7 throws "Ambiguous type": nothing typed by it is judged)."""
        if self._type_names is None:
            found: dict[str, list[str]] = {}
            source = self.model.source
            listing = getattr(source, "urls", None)
            raw = as_loaded(source)  # no snapshot is needed for this
            for url in listing() if callable(listing) else ():
                sd = raw(url)
                kind = sd.get("type") if isinstance(sd, dict) else None
                if not isinstance(kind, str) or sd is None or sd.get("derivation") == "constraint":
                    continue
                found.setdefault(kind, []).append(url)
                if absolute(kind):
                    found.setdefault(kind.rstrip("/").rsplit("/", 1)[-1], []).append(url)
            self._type_names = {}
            for name, urls in found.items():
                ours = urls if len(urls) == 1 else [u for u in urls if u.startswith(FHIR_BASE)]
                if len(ours) == 1:
                    self._type_names[name] = ours[0]
        return self._type_names

    def is_type(self, name: str) -> bool:
        """A FHIR type's name, or one TypeManager would resolve (a logical model's type)."""
        return self.model.is_type_name(name) or self.type_definition(name) is not None

    def base_chain(self, sd: Json | None) -> list[Json]:
        out: list[Json] = []
        while sd is not None and len(out) < 16:
            out.append(sd)
            base = sd.get("baseDefinition")
            sd = self.structure(base) if isinstance(base, str) else None
        return out

    def is_abstract_type(self, ed: Json) -> bool:
        types = objects(ed.get("type"))
        if len(types) != 1:
            return False
        sd = self.type_definition(str(types[0].get("code") or ""))
        return sd is not None and sd.get("abstract") is True

    def working_type(self, v: Var) -> str | None:
        """VariableDefn.getWorkingType."""
        if v.type is not None:
            if v.ed is not None:
                for code in type_codes(v.ed):
                    sd = self.type_definition(code)
                    if sd is not None and sd.get("type") == v.type:
                        return code
            return v.type
        if v.ed is not None and v.sd is not None:
            path = str(v.ed.get("path") or "")
            if "." not in path:
                return path
            if self.is_abstract_type(v.ed):
                return f"{v.sd.get('url')}#{path}"
            codes = type_codes(v.ed)
            if len(codes) == 1:
                return codes[0]
        return None

    def element_definitions(self, sd: Json, ed: Json, kind: str | None, element: str) -> list[tuple[Json, Json]]:
        """getElementDefinitions: the children named ``element`` (a choice by its name without [x]) of ``ed``
        in ``sd``'s snapshot, a content reference followed; else those of the element's types' definitions."""
        children = _child_list(sd, ed)
        result: list[tuple[Json, Json]] = []
        if not children:
            for code in type_codes(ed):
                sdt = self.type_definition(code)
                if sdt is None:
                    continue
                if kind is not None and any(s.get("url") == sdt.get("url")
                                            for s in self.base_chain(self.type_definition(kind))):
                    self._add_elements(result, kind, element, code, self.type_definition(kind))
                else:
                    self._add_elements(result, kind, element, code, sdt)
            return result
        for t in children:
            if _name_base(t) != element:
                continue
            ref = t.get("contentReference")
            if isinstance(ref, str) and "#" in ref:
                url, _, path = ref.partition("#")
                sdt = sd if url in ("", sd.get("url")) else self.structure(url)
                target = None if sdt is None else _by_path_or_id(sdt, path)
                if sdt is not None and target is not None:
                    result.append((sdt, target))
            else:
                result.append((sd, t))
        return result

    @staticmethod
    def _add_elements(result: list[tuple[Json, Json]], kind: str | None, element: str, code: str,
                      sdt: Json | None) -> None:
        """addElementsToResult."""
        if sdt is None or not (kind is None or type_matches(code, kind) or sdt.get("type") == kind):
            return
        for t in definition_elements(sdt):
            if str(t.get("path") or "").count(".") == 1 and _name_base(t) == element:
                result.append((sdt, t))

    def has_type(self, ed: Json, kind: str) -> bool:
        """hasType: one of the element's types is ``kind``'s type, or in ``kind``'s derivation."""
        for code in type_codes(ed):
            sd = self.type_definition(code)
            if sd is not None and sd.get("type") == kind:
                return True
            if sd is not None and any(s.get("type") == sd.get("type") for s in self.base_chain(
                    self.type_definition(kind))):
                return True
        return False

    def judges_children(self, sd: Json, ed: Json, kind: str | None, element: str) -> bool:
        """Whether an element_definitions() that found nothing is sure of it: the element's children are in
        the snapshot and none has that name, or every type the children would come from is held here."""
        children = _child_list(sd, ed)
        if children:
            return not any(_name_base(c) == element for c in children)
        return (kind is None or self.type_definition(kind) is not None) and self.knows_types_of(ed)

    def knows_types_of(self, ed: Json) -> bool:
        """Every type of the element is a type definition held here (else hasType may differ from HL7's)."""
        return all(self.type_definition(code) is not None for code in type_codes(ed))


def _name_base(ed: Json) -> str:
    """ElementDefinition.getNameBase: the last path segment, without [x]."""
    return str(ed.get("path") or "").rpartition(".")[2].replace("[x]", "")


def _by_path_or_id(sd: Json, path: str) -> Json | None:
    elements = definition_elements(sd)
    return next((e for e in elements if e.get("path") == path), None) or next(
        (e for e in elements if e.get("id") == path), None)


def _child_list(sd: Json, ed: Json) -> list[Json]:
    """ProfileUtilities.getChildList(sd, ed): a content reference's target's, else the element's own direct
    children in the snapshot, from the element (by id) to the next element of its path (a next slice)."""
    ref = ed.get("contentReference")
    if isinstance(ref, str) and ref.startswith("#"):
        ed = next((t for t in definition_elements(sd) if t.get("id") == ref[1:]), ed)
    path, element_id = str(ed.get("path") or ""), ed.get("id")
    capturing = element_id is None
    out: list[Json] = []
    for e in definition_elements(sd):
        eid, p = e.get("id"), str(e.get("path") or "")
        if not capturing and element_id is not None and eid == element_id:
            capturing = True
        if capturing and eid is not None and element_id is not None and eid != element_id and p == path:
            break
        if capturing and p.startswith(path + ".") and "." not in p[len(path) + 1:]:
            out.append(e)
    return out
