"""A StructureMap rule's targets, as HL7's StructureMapValidator.validateRuleTarget checks them.

Under a typed target variable (structure_map_types) a target's ``element`` is a child of the variable's
element (SM_TARGET_PATH_INVALID); a target with no transform takes no parameters
(SM_TARGET_NO_TRANSFORM_NO_CHECKED); the transforms take the parameters HL7 counts (``create``/``copy`` at
most one, ``reference`` one: SM_TARGET_TRANSFORM_PARAM_COUNT_RANGE; ``evaluate`` one, with a value that
parses: SM_TARGET_TRANSFORM_PARAM_COUNT_SINGLE, _PARAM_UNPROCESSIBLE, _EXPRESSION_ERROR (syntax only: HL7
also type-checks the expression); ``cc`` two or three, ``append`` some, ``uuid`` none, ``translate`` three:
SM_TARGET_TRANSFORM_MISSING_PARAMS, SM_TARGET_TRANSFORM_TRANSLATE_NO_PARAM for a missing system, code,
source or map; translate's source variable in scope (SM_TARGET_TRANSFORM_TRANSLATE_UNKNOWN_SOURCE), a
contained map named when the source is missing (SM_TARGET_TRANSFORM_TRANSLATE_CM_NOT_FOUND, HL7's test),
its output mode one of code, system, display, Coding, CodeableConcept (_CM_BAD_MODE)); a resource made
into a variable is a known type (SM_TARGET_TRANSFORM_TYPE_UNKNOWN). A context-free target's ``create`` and
``uuid`` are judged as before (SM_TARGET_TRANSFORM_PARAM_COUNT_RANGE, SM_TARGET_TYPE_UNKNOWN,
SM_TARGET_TRANSFORM_MISSING_PARAMS).

A variable whose type HL7 may work out and this cannot (an ``evaluate`` result, a type from a map not
held) is left untyped, so that nothing under it is judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance.fhirval.fhirpath_syntax import syntax_error
from conformance.fhirval.source import objects
from conformance.fhirval.structure_map_types import Var, Vars, absolute, same_types, type_codes

if TYPE_CHECKING:
    from conformance.fhirval.source import Json
    from conformance.fhirval.structure_maps import MapContext

DEFAULT_GROUP = "DefaultMappingGroupAnonymousAlias"  # StructureMapUtilities.DEF_GROUP_NAME
_UNKNOWN = "?"  # a type HL7 may work out and this cannot


@dataclass
class Rule:
    """RuleInformation: the rule, and the variable of its one source (the default variable)."""

    rule: Json
    def_variable: str | None = None


def _value(param: Json) -> tuple[str | None, Any]:
    """A parameter's value[x]: (its type, its value), (None, None) when it has none."""
    for key, value in param.items():
        if key.startswith("value") and len(key) > 5:
            return key[5].lower() + key[6:], value
        if key.startswith("_value") and len(key) > 6:
            return key[6].lower() + key[7:], None
    return None, None


def _create_type(ctx: MapContext, made: str) -> str:
    """create(X)'s type: an absolute URL; else a target structure's alias, as its URL; else a type's name."""
    if absolute(made):
        return made
    for s in objects(ctx.sm.get("structure")):
        if s.get("alias") == made and s.get("mode") == "target" and isinstance(s.get("url"), str):
            return str(s["url"])
    sd = ctx.types.type_definition(made)
    return str(sd.get("type")) if sd is not None and isinstance(sd.get("type"), str) else made


def _unknown_type(ctx: MapContext, kind: str) -> bool:
    """A type that is no FHIR type, no URL (which HL7 may resolve to a structure held there)."""
    return not absolute(kind) and "/" not in kind and not ctx.types.is_type(kind)


def context_variable(ctx: MapContext, context: Any, variable: Any, variables: Vars, at: str, *, source: bool
                     ) -> Var | None:
    """A rule's source or target context variable when what is under it can be judged (typed); None when not: an
    invalid name or no such variable (each an error), or an untyped variable, whose new ``variable`` is kept,
    untyped (HL7 drops it), so that no use of it is judged."""
    kind = "source" if source else "target"
    if not ctx.name(context, at, f"{kind} context") or not isinstance(context, str):
        return None
    v = variables.get(context, source=source)
    if v is None:
        ctx.error(at, f"the {kind} context {context!r} is no {kind} variable here")
        return None
    if not v.typed:
        if isinstance(variable, str):
            variables.add(variable, v.mode)
        return None
    return v


def check_target(ctx: MapContext, target: Json, variables: Vars, info: Rule, at: str) -> None:
    context, variable = target.get("context"), target.get("variable")
    if context is None:
        _free_target(ctx, target, variables, at)
        return
    v = context_variable(ctx, context, variable, variables, at, source=False)
    if v is None or v.sd is None or v.ed is None:
        return
    vn: Var | None = None
    if variable is not None and ctx.name(variable, at, "target variable") and isinstance(variable, str):
        vn = variables.add(variable, v.mode)
    element = target.get("element")
    if not isinstance(element, str):
        return
    els = ctx.types.element_definitions(v.sd, v.ed, v.type, element)
    if not els:
        if ctx.types.judges_children(v.sd, v.ed, v.type, element):
            ctx.error(at, f"the target path {context}.{element} refers to the path {v.ed.get('path')}.{element}, "
                          "which is unknown")
        return
    if len(els) != 1 and not all(e.get("sliceName") and e.get("path") == els[0][1].get("path") for _, e in els[1:]):
        return  # HL7 warns of several matches
    sd, ed = els[0]
    transform = target.get("transform")
    params = objects(target.get("parameter"))
    if transform is None:
        transform = "create"
        if params:
            ctx.error(at, "a target with no transform takes no parameters")
    codes = type_codes(ed)
    kind = codes[0] if len(codes) == 1 else _infer_type(ctx, info, variables, str(transform), params)
    kind = _transform(ctx, str(transform), params, kind, variables, at)
    if vn is None:
        return
    if kind == _UNKNOWN:
        return
    resource = len(objects(ed.get("type"))) == 1 and objects(ed.get("type"))[0].get("code") == "Resource"
    if resource and kind is not None:
        sdt = ctx.types.type_definition(kind)
        elements = objects((sdt or {}).get("snapshot", {}).get("element"))
        if sdt is not None and elements:
            vn.set_type(sdt, elements[0], None)
            return
        if _unknown_type(ctx, kind):
            ctx.error(at, f"the type {kind!r} made here is not known")
            vn.set_type(sd, ed, kind)
        return
    vn.set_type(sd, ed, kind)


def _transform(ctx: MapContext, transform: str, params: list[Json], kind: str | None, variables: Vars,
               at: str) -> str | None:
    """The checks of one transform under a typed target; the type it makes (``kind`` when unchanged)."""
    count = len(params)
    values = [_value(p) for p in params]
    if transform in ("create", "copy"):
        if count > 1:
            ctx.error(at, f"{transform} takes 0 or 1 parameters, not {count}")
        elif count == 1:
            made = values[0][1]
            if not isinstance(made, (str, int, float, bool)):
                return _UNKNOWN
            if transform == "copy":
                return str(made).lower() if isinstance(made, bool) else str(made)
            return _create_type(ctx, str(made))
    elif transform == "reference":
        if count != 1:
            ctx.error(at, f"reference takes 1 parameter, not {count}")
        else:
            return "string"
    elif transform == "evaluate":
        _evaluate(ctx, values, at)
        return _UNKNOWN
    elif transform == "cc":
        if count not in (2, 3):
            ctx.error(at, f"cc takes 2 or 3 parameters, not {count}")
        for i in (0, 1):
            if i >= count or values[i][0] is None:
                ctx.error(at, f"cc is missing its {('system', 'code')[i]} parameter")
    elif transform == "append" and count == 0:
        ctx.error(at, "append takes at least 1 parameter")
    elif transform == "uuid" and count:
        ctx.error(at, "uuid takes no parameters")
    elif transform == "translate":
        _translate(ctx, values, variables, at)
    return kind


def _evaluate(ctx: MapContext, values: list[tuple[str | None, Any]], at: str) -> None:
    if len(values) != 1:
        ctx.error(at, f"evaluate takes 1 parameter, not {len(values)}")
        return
    expression = values[0][1]
    if values[0][0] is None or expression is None:
        ctx.error(at, "the parameter of evaluate has no value")
        return
    problem = syntax_error(str(expression))
    if problem is not None:
        ctx.error(at, f"the expression evaluate is given is not valid FHIRPath: {problem}")


def _translate(ctx: MapContext, values: list[tuple[str | None, Any]], variables: Vars, at: str) -> None:
    if len(values) != 3:
        ctx.error(at, f"translate takes 3 parameters, not {len(values)}")
    source = values[0] if values and values[0][0] is not None else None
    if source is None:
        ctx.error(at, "translate is missing its source parameter")
    elif source[0] == "id" and isinstance(source[1], str) and variables.get(source[1], True) is None:
        ctx.error(at, f"the source {source[1]!r} translate is given is no source variable here")
    mapped = values[1] if len(values) > 1 and values[1][0] is not None else None
    if mapped is None:
        ctx.error(at, "translate is missing its map_uri parameter")
    elif isinstance(mapped[1], str) and mapped[1].startswith("#") and source is None:
        ctx.error(at, f"the concept map {mapped[1]!r} translate is given is not found")
    mode = values[2] if len(values) > 2 and values[2][0] is not None else None
    if mode is not None and mode[1] not in ("code", "system", "display", "Coding", "CodeableConcept"):
        ctx.error(at, f"translate's output mode {mode[1]!r} is none of code, system, display, Coding, "
                      "CodeableConcept")


def _infer_type(ctx: MapContext, info: Rule, variables: Vars, transform: str, params: list[Json]) -> str | None:
    """inferType: a create/copy with no parameter under a rule of one source takes the target type of the
    imported group (the default group's, or a type-and-types one) whose source type is that source's."""
    if info.def_variable is None or transform not in ("create", "copy") or params:
        return None
    v = variables.get(info.def_variable, source=True)
    if v is None or v.ed is None or not (len(type_codes(v.ed)) == 1 or v.type is not None):
        return None
    dependents = objects(info.rule.get("dependent"))
    default = len(dependents) == 1 and dependents[0].get("name") == DEFAULT_GROUP
    if not default and dependents:
        return None
    if ctx.imports is None:
        return _UNKNOWN
    kind = _type_from_defn(ctx, v.ed, v.type) if v.type is not None else type_codes(v.ed)[0]
    for imported in ctx.imports:
        for g in objects(imported.get("group")):
            inputs = objects(g.get("input"))
            if len(inputs) != 2 or (not default and g.get("typeMode") != "type-and-types"):
                continue
            if same_types(kind, _group_input_type(imported, inputs[0])):
                found = _group_input_type(imported, inputs[1])
                if found is not None:
                    return found
    return None


def _type_from_defn(ctx: MapContext, ed: Json, kind: str) -> str:
    for code in type_codes(ed):
        sd = ctx.types.type_definition(code)
        if sd is not None and sd.get("type") == kind:
            return code
    return kind


def _group_input_type(owner: Json, inp: Json) -> str | None:
    """getTypeForGroupInput: the URL of the structure of the input's mode its type aliases, else the type."""
    kind = inp.get("type")
    if not isinstance(kind, str):
        return None
    mode = "source" if inp.get("mode") == "source" else "target"
    for s in objects(owner.get("structure")):
        if s.get("alias") == kind and s.get("mode") == mode and isinstance(s.get("url"), str):
            return str(s["url"])
    return kind


def _free_target(ctx: MapContext, target: Json, variables: Vars, at: str) -> None:
    """A target with no context (``-> create('Composition') as c``)."""
    variable = target.get("variable")
    vn = None
    if variable is not None and ctx.name(variable, at, "target variable") and isinstance(variable, str):
        vn = variables.add(variable, "target")
    params = objects(target.get("parameter"))
    transform = target.get("transform")
    kind: str | None = None
    if transform == "create" and len(params) > 1:
        ctx.error(at, f"create takes 0 or 1 parameters, not {len(params)}")
    elif transform == "create" and params:
        made = _value(params[0])[1]
        kind = _create_type(ctx, made) if isinstance(made, str) else None
    elif transform == "uuid":
        if params:
            ctx.error(at, "uuid takes no parameters")
        kind = "string"
    if vn is None or kind is None:
        return
    sdt = ctx.types.type_definition(kind)
    elements = objects((sdt or {}).get("snapshot", {}).get("element"))
    if sdt is not None and elements:
        vn.set_type(sdt, elements[0], None)
    elif _unknown_type(ctx, kind):
        ctx.error(at, f"create({kind!r}) names no FHIR type nor a target structure's alias")
