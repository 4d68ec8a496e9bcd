"""A StructureMap's groups, rules and variables hang together, as HL7's StructureMapValidator checks them.

- a group's, an input's and a rule's name, a source's and a target's ``context`` and a context-free target's
  ``variable`` are plain identifiers, ``[a-zA-Z][a-zA-Z0-9]*`` (SM_NAME_INVALID, idIsValid); so is a typed
  source's or target's ``variable``;
- a group's inputs have distinct names (SM_GROUP_INPUT_DUPLICATE), a mode ``source`` or ``target``
  (SM_GROUP_INPUT_MODE_INVALID) that agrees with the structure its type names by alias (the structure's mode,
  or an input ``source`` of a ``target`` structure: SM_GROUP_INPUT_MODE_MISMATCH), and a type that is either
  such an alias or a FHIR type (SM_GROUP_INPUT_TYPE_UNKNOWN_TYPE; a URL, which HL7 may resolve to a loaded
  structure, is not judged);
- a source's ``context`` is a source variable, a target's a target variable, in scope where the rule stands
  (SM_SOURCE_CONTEXT_UNKNOWN, SM_TARGET_CONTEXT_UNKNOWN);
- under a typed variable (structure_map_types), a source's ``element`` is a child of the variable's element
  (SM_SOURCE_PATH_INVALID) of the ``type`` it names (SM_SOURCE_TYPE_INVALID); the target's are judged in
  structure_map_targets;
- a group's ``extends`` and a rule's ``dependent`` name a group of this map or of a map it imports
  (SM_RULEGROUP_NOT_FOUND), a dependent passes as many variables as that group has inputs
  (SM_RULEGROUP_PARAM_COUNT_MISMATCH), each a variable in scope of the input's mode (a target may stand
  for a source: SM_DEPENDENT_PARAM_NOT_FOUND), of that mode (SM_DEPENDENT_PARAM_MODE_MISMATCH) and type
  (SM_DEPENDENT_PARAM_TYPE_MISMATCH); the default group a typed ``vvv`` pair asks for exists
  (SM_SOURCE_TYPE_NOT_FOUND, SM_TARGET_TYPE_NOT_FOUND, SM_MATCHING_RULEGROUP_NOT_FOUND).

Groups are walked in HL7's order: those whose inputs are all typed, then those a dependent gave typed
parameters, then the rest. HL7 keeps a variable only as far as it can type it; here every variable a source
or target declares is kept, untyped where HL7 drops it, so that this module says less than HL7, never more.
A group name found neither here nor in the imports is not judged when an import is not loaded (or a
wildcard). SM_GROUP_NAME_DUPLICATE is not
reachable in HL7's validator (a name is remembered only once found twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.fhirval.source import canonical_resource, items, objects
from conformance.fhirval.structure_map_targets import DEFAULT_GROUP, Rule, check_target, context_variable
from conformance.fhirval.structure_map_types import Types, Var, Vars, same_types, type_codes, type_matches, valid_id

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

AUTO_VAR = "vvv"  # StructureMapUtilities.AUTO_VAR_NAME


@dataclass
class MapContext:
    """One map's walk: the map, its loaded imports (None when one is not held), the groups' parameters."""

    w: Walker
    sm: Json
    types: Types
    imports: list[Json] | None
    params: dict[int, Vars] = field(default_factory=dict)  # group index -> map_parameters

    def name(self, name: object, where: str, what: str) -> bool:
        if valid_id(name):
            return True
        self.w.sink.error("structure-map", where, f"the {what} name {name!r} is not valid: a map's names are "
                                                  "letters and digits, starting with a letter")
        return False

    def error(self, where: str, message: str) -> None:
        self.w.sink.error("structure-map", where, message)

    def resolve_group(self, name: str) -> tuple[Json | None, Json, int | None] | None:
        """resolveGroup: (the imported map or None for this one, the group, its index here)."""
        for i, g in enumerate(objects(self.sm.get("group"))):
            if g.get("name") == name:
                return None, g, i
        for imported in self.imports or ():
            for g in objects(imported.get("group")):
                if g.get("name") == name:
                    return imported, g, None
        return None


def check(w: Walker, sm: Json, loc: str) -> None:
    ctx = MapContext(w, sm, Types(w.model), _imports(w, sm))
    groups = objects(sm.get("group"))
    done: set[int] = set()
    fired = True
    while fired:  # validateStructureMap: typed groups first, then those given parameters, until none fires
        fired = False
        for i, group in enumerate(groups):
            if i not in done and (_has_input_types(group) or i in ctx.params):
                done.add(i)
                fired = True
                _group(ctx, group, f"{loc}.group[{i}]")
    for i, group in enumerate(groups):
        if i not in done:  # an orphan group (HL7 hints SM_ORPHAN_GROUP), validated untyped
            _group(ctx, group, f"{loc}.group[{i}]")


def _imports(w: Walker, sm: Json) -> list[Json] | None:
    found: list[Json] = []
    for url in items(sm.get("import")):
        imported = canonical_resource(w.model.source, "StructureMap", url) if isinstance(url, str) else None
        if imported is None or not isinstance(url, str) or "*" in url:
            return None
        found.append(imported)
    return found


def _has_input_types(group: Json) -> bool:
    return all("type" in i for i in objects(group.get("input")))


def _group(ctx: MapContext, group: Json, where: str) -> None:
    ctx.name(group.get("name"), where, "group")
    extends = group.get("extends")
    if isinstance(extends, str) and ctx.imports is not None and ctx.resolve_group(extends) is None:
        ctx.error(f"{where}.extends", f"the group {extends!r} this group extends is not a group of this map or of "
                                      "the maps it imports")
    variables = Vars()
    index = next(i for i, g in enumerate(objects(ctx.sm.get("group"))) if g is group)
    pvars = ctx.params.get(index)
    for j, inp in enumerate(objects(group.get("input"))):
        _input(ctx, inp, variables, pvars, f"{where}.input[{j}]")
    for j, rule in enumerate(objects(group.get("rule"))):
        _rule(ctx, rule, variables, f"{where}.rule[{j}]")


def _input(ctx: MapContext, inp: Json, variables: Vars, pvars: Vars | None, where: str) -> None:
    """validateInput."""
    name, mode, kind = inp.get("name"), inp.get("mode"), inp.get("type")
    pv = None
    if kind is None and pvars is not None and isinstance(name, str) and isinstance(mode, str):
        pv = pvars.get(name, mode == "source") or pvars.get(name, mode == "target")  # a target can become source
        kind = ctx.types.working_type(pv) if pv is not None else None
    if not ctx.name(name, where, "input") or not isinstance(name, str):
        return
    if variables.has(name):
        ctx.error(where, f"the group has two inputs named {name!r}")
        return
    var = variables.add(name, str(mode))
    if mode not in ("source", "target"):
        ctx.error(where, f"the input {name!r} has the mode {mode!r}, not source or target")
        return
    if not isinstance(kind, str):
        return  # HL7 warns that it cannot check an untyped input
    if pv is not None:
        var.set_type(pv.sd, pv.ed, None)
        return
    structure = next((s for s in objects(ctx.sm.get("structure")) if s.get("alias") == kind), None)
    if structure is None:
        if not ctx.types.is_type(kind) and not any(c in kind for c in "/:"):
            ctx.error(where, f"the input type {kind!r} is neither a structure's alias nor a FHIR type")
            return
        sd = ctx.types.type_definition(kind)
    else:
        url = structure.get("url")
        sd = ctx.types.structure(url) if isinstance(url, str) else None  # unknown: HL7 warns
        smode = structure.get("mode")
        if isinstance(smode, str) and mode != smode and not (smode == "target" and mode == "source"):
            ctx.error(where, f"the input {name!r} has the mode {mode}, but the structure {kind!r} has the mode "
                             f"{smode}")
            return
    elements = objects((sd or {}).get("snapshot", {}).get("element"))
    if sd is not None and elements:
        var.set_type(sd, elements[0], None)


def _rule(ctx: MapContext, rule: Json, outer: Vars, where: str) -> None:
    """validateRule."""
    ctx.name(rule.get("name"), where, "rule")
    info = Rule(rule)
    variables = outer.copy()
    for k, source in enumerate(objects(rule.get("source"))):
        _source(ctx, source, variables, info, k, f"{where}.source[{k}]")
    for k, target in enumerate(objects(rule.get("target"))):
        check_target(ctx, target, variables, info, f"{where}.target[{k}]")
    for k, child in enumerate(objects(rule.get("rule"))):
        _rule(ctx, child, variables, f"{where}.rule[{k}]")
    for k, dependent in enumerate(objects(rule.get("dependent"))):
        _dependent(ctx, dependent, variables, f"{where}.dependent[{k}]")


def _source(ctx: MapContext, source: Json, variables: Vars, info: Rule, k: int, at: str) -> None:
    """validateRuleSource."""
    if k > 0:
        info.def_variable = None
    context, variable = source.get("context"), source.get("variable")
    v = context_variable(ctx, context, variable, variables, at, source=True)
    if v is None:
        return
    vn: Var | None = None
    if variable is not None:
        if ctx.name(variable, at, "source variable") and isinstance(variable, str):
            vn = variables.add(variable, v.mode)
            if k == 0:
                info.def_variable = variable
    element = source.get("element")
    if not isinstance(element, str):
        if vn is not None:
            vn.copy_type(v)
        return
    assert v.sd is not None and v.ed is not None
    els = ctx.types.element_definitions(v.sd, v.ed, v.type, element)
    path = f"{v.ed.get('path')}.{element}"
    if not els:
        if ctx.types.judges_children(v.sd, v.ed, v.type, element):
            ctx.error(at, f"the source path {context}.{element} refers to the path {path}, which is unknown")
        return
    if len(els) != 1:
        return  # HL7 warns of several matches
    sd, ed = els[0]
    kind = source.get("type")
    if isinstance(kind, str) and ctx.types.knows_types_of(ed) and not ctx.types.has_type(ed, kind):
        ctx.error(at, f"the source type {kind!r} is not one of the types of {path} "
                      f"({', '.join(t.get('code', '') for t in objects(ed.get('type')))})")
    if vn is not None:
        vn.set_type(sd, ed, kind if isinstance(kind, str) else None)


def _dependent(ctx: MapContext, dependent: Json, variables: Vars, at: str) -> None:
    """validateDependent."""
    name = dependent.get("name")
    if not isinstance(name, str):
        return
    if name == DEFAULT_GROUP:
        _default_group(ctx, variables, at)
        return
    found = ctx.resolve_group(name)
    if found is None and ctx.imports is None:
        return  # perhaps a group of a map imported and not held
    if found is None:
        ctx.error(at, f"the group {name!r} is not a group of this map or of the maps it imports")
        return
    owner, group, index = found
    inputs = objects(group.get("input"))
    passed = [p for p in items(dependent.get("variable"))]
    if len(passed) != len(inputs):
        ctx.error(at, f"the group {name!r} takes {len(inputs)} inputs, and {len(passed)} are passed")
        return
    lvars = Vars()
    ok = True
    for k, (param, inp) in enumerate(zip(passed, inputs, strict=True)):
        mode, pname = inp.get("mode"), str(inp.get("name"))
        v = variables.get(param, mode == "source") if isinstance(param, str) else None
        if v is None and mode == "source" and isinstance(param, str):
            v = variables.get(param, source=False)  # a target can become a source
        if v is None:
            ctx.error(f"{at}.variable[{k}]", f"the variable {param!r} passed to {name!r} as its {mode} input is not "
                                             "in scope")
            ok = False
        elif not (v.mode == mode or (v.mode == "target" and mode == "source")):
            ctx.error(f"{at}.variable[{k}]", f"the variable {param!r} has the mode {v.mode}, and the input "
                                             f"{pname!r} of {name!r} the mode {mode}")
            ok = False
        elif not _types_match(ctx.types, v, _input_type(ctx.sm if owner is None else owner, inp)):
            ctx.error(f"{at}.variable[{k}]", f"the variable {param!r} is a {ctx.types.working_type(v)}, which is not "
                                             f"the type {inp.get('type')!r} of the input {pname!r} of {name!r}")
            ok = False
        else:
            lvars.add_as(pname, v)
    if ok and index is not None and index not in ctx.params:
        ctx.params[index] = lvars


def _input_type(owner: Json, inp: Json) -> str | None:
    """resolveType(grp, input, map): the URL of the structure the input's type aliases, else the type."""
    kind = inp.get("type")
    for s in objects(owner.get("structure")):
        if isinstance(s.get("alias"), str) and s.get("alias") == kind:
            url = s.get("url")
            return url if isinstance(url, str) else None
    return kind if isinstance(kind, str) else None


def _types_match(types: Types, v: Var, kind: str | None) -> bool:
    """typesMatch, where HL7 fails the type too. HL7's typeMatches never reads the element's type code as a
    FHIR URL, and it climbs only the derivation of the variable's chosen type, so an element variable (a
    HumanName read from Patient.name, no type chosen) never matches the input type HumanName there: such a
    pair, a variable whose element's type or structure derives from the input's type, is taken as matching
    here, as is a type not held here (fewer errors than HL7, never more)."""
    if kind is None or not v.typed or v.sd is None or v.ed is None:
        return True
    if kind in (v.sd.get("url"), v.sd.get("type")) or v.type == kind:
        return True
    codes = type_codes(v.ed)
    if any(type_matches(kind, code) or same_types(kind, code) for code in codes):
        return True
    target = types.type_definition(kind)
    if target is None:
        return True
    starts = [types.type_definition(c) for c in [v.type or "", *codes] if c] + [v.sd]
    return any(s.get("url") == target.get("url") for start in starts for s in types.base_chain(start))


def _default_group(ctx: MapContext, variables: Vars, at: str) -> None:
    """The default group a rule's ``vvv`` source and target ask for (validateDependent, findDefaultGroup)."""
    src, tgt = variables.get(AUTO_VAR, source=True), variables.get(AUTO_VAR, source=False)
    if src is None or tgt is None or not src.typed or not tgt.typed or src.sd is None or tgt.sd is None:
        return
    src_type, tgt_type = ctx.types.working_type(src), ctx.types.working_type(tgt)
    if src_type is None:
        ctx.error(at, "the type of the source of the default group cannot be worked out")
        return
    if tgt_type is None:
        ctx.error(at, "the type of the target of the default group cannot be worked out")
        return
    src_url, tgt_url = str(src.sd.get("url")), str(tgt.sd.get("url"))
    for owner, local in [(ctx.sm, True)] + [(m, False) for m in ctx.imports or ()]:
        for g in objects(owner.get("group")):
            inputs = objects(g.get("input"))
            if g.get("typeMode") not in ("types", "type-and-types") or len(inputs) != 2:
                continue
            if local and inputs[0].get("mode") != "source":
                continue
            if not local and (inputs[0].get("mode"), inputs[1].get("mode")) != ("source", "target"):
                continue
            s, t = (_default_input_type(ctx, owner, i, local) for i in inputs)
            if s is None or t is None:
                return  # a type HL7 may know and this may not: not judged
            if (same_types(s, src_type) and same_types(t, tgt_type)) or (same_types(s, src_url)
                                                                         and same_types(t, tgt_url)):
                return
    if ctx.imports is None:
        return  # perhaps in a map imported and not held
    ctx.error(at, f"no default group maps the source type {src_type} to the target type {tgt_type}")


def _default_input_type(ctx: MapContext, owner: Json, inp: Json, local: bool) -> str | None:
    """resolveInputType: an imported map's alias as its structure's URL (HL7 looks up a local input's alias
    under the input, where there is none), else the URL of the FHIR type."""
    kind = inp.get("type")
    if not isinstance(kind, str):
        return ""
    if not local:
        for s in objects(owner.get("structure")):
            if s.get("alias") == kind and isinstance(s.get("url"), str):
                return str(s["url"])
    sd = ctx.types.type_definition(kind)
    if sd is None:
        return None if any(c in kind for c in "/:") or ctx.types.is_type(kind) else ""
    return str(sd.get("url"))
