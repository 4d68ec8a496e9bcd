"""An OperationDefinition's ``inputProfile`` and ``outputProfile`` agree with its parameters.

An operation says twice what it takes and returns: in its ``parameter`` list and in a profile on Parameters.
A client generated from one and a server from the other disagree wherever the two do, so HL7's
OperationDefinitionValidator (``validateProfile``, ``compareParameterDefinitions``) checks, for each slice
of the profile's ``Parameters.parameter`` whose ``name`` is fixed (or patterned) to a parameter of that use:

- the slice's ``min`` and ``max`` are the parameter's (OPDEF_PROFILE_NOT_VALUE_MISMATCH);
- each type of the slice's ``value[x]`` or ``resource`` (the one that is used: not prohibited, and the other
  two not required) is one the parameter allows (``type``, or its ``allowed-type`` extensions), and each
  allowed type is among them (OPDEF_PROFILE_TYPE_NOT_IN_PARAMS, _TYPE_NOT_IN_PROFILE);
- each of the parameter's ``targetProfile`` is one of the slice's, and (unless the parameter's type is
  Element) each of the slice's is one of the parameter's (OPDEF_PROFILE_PROFILE_NOT_IN_PROFILE,
  _PROFILE_NOT_IN_PARAMS);
- the profile is a profile on Parameters (OPDEF_PROFILE_NOT_PARAMETERS);
- each slice of ``Parameters.parameter`` in the profile's snapshot has a ``name`` element among its children
  (OPDEF_PROFILE_NO_SLICE: DefinitionNavigator over the snapshot as loaded; a generated one always has it).

And an operation does not derive from itself through the ``base`` chain of the loaded OperationDefinitions
(``validateOperationDefinition``: OPDEF_CIRCULAR_DEFINITION; each base fetched and its url compared, as there).

A profile that is not loaded is an error, as HL7's (OPDEF_PROFILE_NOT_FOUND): its test runner has only the case's
packages and supporting files too; one in a dependency this harness could not load is information.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.source import canonical_resource, items, split_canonical, version_matches

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_ALLOWED_TYPE = "http://hl7.org/fhir/StructureDefinition/operationdefinition-allowed-type"
_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_MANY = 1 << 31


def check(w: Walker, od: Json, loc: str) -> None:
    _check_circular(w, od, loc)
    for key, use in (("inputProfile", "in"), ("outputProfile", "out")):
        url = od.get(key)
        if not isinstance(url, str):
            continue
        try:
            sd = w.model.source.structure(url)
        except Exception:  # noqa: BLE001 - a profile whose snapshot cannot be built is not judged here
            continue
        version = split_canonical(url)[1]
        if sd is None or (version is not None and not version_matches(version, sd.get("version"))):
            _not_found(w, url, use, f"{loc}.{key}")  # a version not loaded is not found (CanonicalResourceManager.get)
            continue
        if sd.get("type") != "Parameters":
            w.sink.error("operation-profile", f"{loc}.{key}", f"the {use} profile {url} is a profile on "
                                                              f"{sd.get('type')}, not on Parameters")
            continue
        _check_slice_names(w, sd, use, f"{loc}.{key}")
        _compare(w, od, sd, use, url, loc)


def _not_found(w: Walker, url: str, use: str, where: str) -> None:
    """OPDEF_PROFILE_NOT_FOUND (validateProfile: context.fetchResource finds no StructureDefinition), an error as
    in HL7's validator, which has no more than its loaded packages either; information when the profile is in a
    dependency of a loaded package that this harness could not load (Model.missing_dependency)."""
    missing = w.model.missing_dependency(url)
    if missing is not None:
        w.sink.info("unknown-profile", where, f"the {use} profile {url} cannot be checked: it may be in {missing}, "
                                              "a dependency that is not loaded")
    else:
        w.sink.error("operation-profile", where, f"the {use} profile {url} is not known (not in the loaded "
                                                 "definitions)")


def _check_slice_names(w: Walker, sd: Json, use: str, where: str) -> None:
    snapshot = sd.get("snapshot")
    elements = [e for e in items(snapshot.get("element") if isinstance(snapshot, dict) else None)
                if isinstance(e, dict) and isinstance(e.get("path"), str)]
    for i, ed in enumerate(elements):
        if ed["path"] != "Parameters.parameter" or not isinstance(ed.get("sliceName"), str):
            continue
        children = []
        for child in elements[i + 1:]:
            if not child["path"].startswith("Parameters.parameter."):
                break
            children.append(child["path"])
        if "Parameters.parameter.name" not in children:
            w.sink.error("operation-profile", where, f"the slice {ed['sliceName']!r} of the {use} profile "
                                                     f"{sd.get('url')} has no name element to match a parameter by")


def _check_circular(w: Walker, od: Json, loc: str) -> None:
    """An operation whose ``base`` chain, over the loaded OperationDefinitions, comes back to its own url."""
    url, current = od.get("url"), od.get("base")
    seen: set[str] = set()
    while isinstance(url, str) and isinstance(current, str) and current not in seen:
        seen.add(current)
        found = canonical_resource(w.model.source, "OperationDefinition", current)
        if not isinstance(found, dict):
            return
        if found.get("url") == url:
            w.sink.error("operation-profile", f"{loc}.base", f"the operation {url} derives from itself (through "
                                                             f"{od.get('base')})")
            return
        current = found.get("base")


def _compare(w: Walker, od: Json, sd: Json, use: str, url: str, loc: str) -> None:
    snapshot = sd.get("snapshot")
    elements = {e.get("id"): e for e in items(snapshot.get("element") if isinstance(snapshot, dict) else None)
                if isinstance(e, dict)}
    params = [p for p in items(od.get("parameter")) if isinstance(p, dict)]
    for sid, slice_ in elements.items():
        if not isinstance(sid, str) or not sid.startswith("Parameters.parameter:") or "." in sid[21:]:
            continue
        name_ed = elements.get(f"{sid}.name")
        name = _fixed(name_ed) if name_ed is not None else None
        if not isinstance(name, str):
            continue
        index = next((i for i, p in enumerate(params) if p.get("name") == name and p.get("use") == use), None)
        if index is not None:
            where = f"{loc}.parameter[{index}]"
            _parameter(w, params[index], slice_, [elements.get(f"{sid}.{c}") for c in ("value[x]", "resource",
                                                                                       "part")], where, use, url)


def _fixed(ed: Json) -> Any:
    return next((v for k, v in ed.items() if k.startswith(("fixed", "pattern"))), None)


def _max(value: Any) -> int:
    if value == "*":
        return _MANY
    return int(value) if isinstance(value, str) and value.isdigit() else -1


def _parameter(w: Walker, param: Json, slice_: Json, kinds: list[Json | None], where: str, use: str,
               url: str) -> None:
    name = param.get("name")
    if isinstance(param.get("min"), int) and param["min"] != slice_.get("min"):
        w.sink.error("operation-profile", where, f"the parameter {name!r} has min {param['min']} but the {use} "
                                                 f"profile {url} says {slice_.get('min')}")
    most, slice_most = _max(param.get("max")), _max(slice_.get("max"))
    if most > -1 and slice_most > -1 and most != slice_most:
        w.sink.error("operation-profile", where, f"the parameter {name!r} has max {param.get('max')} but the "
                                                 f"{use} profile {url} says {slice_.get('max')}")
    allowed = [e.get("valueUri") or e.get("valueCode") for e in items(param.get("extension"))
               if isinstance(e, dict) and e.get("url") == _ALLOWED_TYPE]
    if not allowed and isinstance(param.get("type"), str):
        allowed = [param["type"]]
    targets = [t for t in items(param.get("targetProfile")) if isinstance(t, str)]
    types: list[str] = []
    profile_targets: list[str] = []
    value, resource, part = kinds
    for focus, others in ((value, (resource, part)), (resource, (value, part))):
        if focus is None or str(focus.get("max")) == "0" or any(o is not None and o.get("min", 0) > 0 for o in others):
            continue
        for t in items(focus.get("type")):
            code = _code(t)
            types.append(code)
            profile_targets += [p for p in items(t.get("targetProfile")) if isinstance(p, str)]
            if code not in allowed:
                w.sink.error("operation-profile", where, f"the {use} profile {url} allows the type {code} for "
                                                         f"{name!r}, which the parameter does not")
    for t in allowed:
        if t not in types:
            w.sink.error("operation-profile", where, f"the parameter {name!r} allows the type {t}, which the {use} "
                                                     f"profile {url} does not")
    for p in targets:
        if p not in profile_targets:
            w.sink.error("operation-profile", where, f"the parameter {name!r} allows the target {p}, which the "
                                                     f"{use} profile {url} does not")
    if isinstance(param.get("type"), str) and param["type"] != "Element":
        for p in profile_targets:
            if p not in targets:
                w.sink.error("operation-profile", where, f"the {use} profile {url} allows the target {p} for "
                                                         f"{name!r}, which the parameter does not")


def _code(t: Json) -> str:
    """The type's working code: its fhir-type extension for a primitive's value, else its code."""
    ext = next((e for e in items(t.get("extension")) if isinstance(e, dict) and e.get("url") == _FHIR_TYPE), None)
    found = (ext.get("valueUrl") or ext.get("valueUri")) if ext is not None else t.get("code")
    return str(found)
