"""An obligation profile adds obligations to its base and nothing else, as HL7's StructureDefinitionValidator
checks it (validateStructureDefinition, validateObligationProfileElement, validateObligationProfileElementBinding,
2023-05-27; org.hl7.fhir.validation ...instance/type/StructureDefinitionValidator.java):

A StructureDefinition whose ``obligation-profile`` extension (the core or the tools URL, HL7's
``EXT_OBLIGATION_PROFILE_FLAG_NEW/_OLD``; the core one read first) is ``true``, judged with its base loaded
(the check sits inside ``if (sd != null && base != null)``):

- it is a constraint (SD_OBGLIGATION_PROFILE_DERIVATION; then nothing more is judged);
- each differential element's ``id`` is an element id of the base's snapshot (SD_OBGLIGATION_PROFILE_UNMATCHED;
  an element without an id matches nothing);
- such an element carries only ``id``, ``path`` (the base element's path: SD_OBGLIGATION_PROFILE_PATH_WRONG),
  ``min``, ``max``, ``mustSupport``, obligation extensions (core or tools ``obligation``) and a ``binding``;
  anything else is SD_OBGLIGATION_PROFILE_ILLEGAL (another extension named ``extension#url``);
- a binding only where the base element has one (SD_OBGLIGATION_PROFILE_ILLEGAL_BINDING), carrying only
  ``strength``, the base's (SD_OBGLIGATION_PROFILE_INVALID_BINDING_STRENGTH), and the tools'
  ``additional-binding`` extension (R4: HL7 reads the extension, not R5's ``additional``), whose ``purpose`` is
  not ``maximum``, ``required`` or ``extensible`` (SD_OBGLIGATION_PROFILE_INVALID_BINDING_CODE); another
  extension is SD_OBGLIGATION_PROFILE_ILLEGAL, anything else SD_OBGLIGATION_PROFILE_ILLEGAL_ON_BINDING.

HL7's element model reads a primitive's ``_name`` (its id and extensions) as the same child as ``name``: so
here, and an element's ``_mustSupport`` is ``mustSupport``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.source import definition_elements, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

# ExtensionDefinitions.EXT_OBLIGATION_PROFILE_FLAG_NEW, _OLD
FLAGS = ("http://hl7.org/fhir/StructureDefinition/obligation-profile",
         "http://hl7.org/fhir/tools/StructureDefinition/obligation-profile")
# ExtensionDefinitions.EXT_OBLIGATION_CORE, EXT_OBLIGATION_TOOLS
_OBLIGATIONS = frozenset({"http://hl7.org/fhir/StructureDefinition/obligation",
                          "http://hl7.org/fhir/tools/StructureDefinition/obligation"})
_ADDITIONAL_BINDING = "http://hl7.org/fhir/tools/StructureDefinition/additional-binding"
_ALLOWED = frozenset({"mustSupport", "min", "max", "id"})
_PURPOSES_NOT_ALLOWED = frozenset({"maximum", "required", "extensible"})


def is_obligation_profile(sd: Json) -> bool:
    """``src.getExtension(NEW, OLD)``: the core URL's extension if there is one, else the tools URL's, ``true``."""
    extensions = objects(sd.get("extension")) + objects(sd.get("modifierExtension"))
    flag = next((e for url in FLAGS for e in extensions if e.get("url") == url), None)
    return flag is not None and flag.get("valueBoolean") is True


def check(w: Walker, sd: Json, loc: str) -> None:
    base_url = sd.get("baseDefinition")
    base = w.model.index(base_url) if isinstance(base_url, str) else None
    if base is None or not is_obligation_profile(sd):
        return
    if sd.get("derivation") != "constraint":
        w.sink.error("obligation-profile", loc, "only a profile that constrains another profile can be marked as an "
                                                "obligation profile (derivation is not constraint)")
        return
    by_id = {ed["id"]: ed for ed in definition_elements(base.sd) if isinstance(ed.get("id"), str)}
    versioned = base.url + (f"|{base.sd['version']}" if isinstance(base.sd.get("version"), str) else "")
    for i, ed in enumerate(definition_elements(sd, "differential")):
        _element(w, ed, by_id, versioned, f"{loc}.differential.element[{i}]")


def _children(holder: Json) -> list[str]:
    """The holder's child names, a primitive's ``_name`` folded into ``name``."""
    names: list[str] = []
    for key in holder:
        name = key[1:] if key.startswith("_") else key
        if name not in names and name != "resourceType":
            names.append(name)
    return names


def _element(w: Walker, ed: Json, by_id: dict[str, Json], base_url: str, where: str) -> None:
    ident = ed.get("id")
    bd = by_id.get(ident) if isinstance(ident, str) else None
    if bd is None or not isinstance(ident, str):
        w.sink.error("obligation-profile", where, f"the element {ident!r} has no equivalent in the profile {base_url} "
                                                  "on which this obligation profile is based")
        return
    for name in _children(ed):
        at = f"{where}.{name}"
        if name == "extension":
            for j, ext in enumerate(objects(ed.get("extension"))):
                if ext.get("url") not in _OBLIGATIONS:
                    _illegal(w, f"{at}[{j}]", ident, f"extension#{ext.get('url')}")
        elif name in _ALLOWED:
            continue
        elif name == "binding":
            binding = ed.get("binding")
            if not isinstance(bd.get("binding"), dict):
                w.sink.error("obligation-profile", at, f"the element {ident!r} has a binding when the base element "
                                                       "does not, and this is not allowed in obligation profiles")
            elif isinstance(binding, dict):
                _binding(w, binding, bd["binding"], ident, at)
        elif name == "path":
            if ed.get("path") != bd.get("path"):
                w.sink.error("obligation-profile", at, f"the element {ident!r} path value of {ed.get('path')!r} "
                                                       f"doesn't match the base path {bd.get('path')!r}")
        else:
            _illegal(w, at, ident, name)


def _illegal(w: Walker, at: str, ident: str, what: str) -> None:
    w.sink.error("obligation-profile", at, f"the element {ident!r} has a property {what!r} which is not allowed in "
                                           "obligation profiles")


def _binding(w: Walker, binding: Json, base: Json, ident: str, where: str) -> None:
    for name in _children(binding):
        at = f"{where}.{name}"
        if name == "extension":
            for j, ext in enumerate(objects(binding.get("extension"))):
                if ext.get("url") != _ADDITIONAL_BINDING:
                    _illegal(w, f"{at}[{j}]", ident, f"extension#{ext.get('url')}")
                    continue
                purpose = next((p for p in objects(ext.get("extension")) if p.get("url") == "purpose"), None)
                code = purpose.get("valueCode") if purpose is not None else None
                if purpose is not None and code in _PURPOSES_NOT_ALLOWED:
                    w.sink.error("obligation-profile", f"{at}[{j}]", f"the element {ident!r} has an additional "
                                                                     f"binding purpose of {code!r} which is not "
                                                                     "allowed in obligation profiles")
        elif name == "strength":
            derived, own = binding.get("strength"), base.get("strength")
            if not isinstance(own, str) or own != derived:
                w.sink.error("obligation-profile", at, f"the element {ident!r} has a different binding strength "
                                                       f"({derived!r}) from the base ({own!r}) which is not allowed "
                                                       "in obligation profiles")
        else:
            w.sink.error("obligation-profile", at, f"the element {ident!r} has a binding property {name!r} which is "
                                                   "not allowed in obligation profiles")
