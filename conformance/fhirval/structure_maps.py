"""A StructureMap's groups, rules and variables hang together, as HL7's StructureMapValidator checks them.

The structural half of HL7's checks, those that need no type inference over the mapped structures:

- a group's, an input's and a rule's name, a source's and a target's ``context`` and a context-free target's
  ``variable`` are plain identifiers, ``[a-zA-Z][a-zA-Z0-9]*`` (SM_NAME_INVALID, idIsValid);
- a group's inputs have distinct names (SM_GROUP_INPUT_DUPLICATE), a mode ``source`` or ``target``
  (SM_GROUP_INPUT_MODE_INVALID) that agrees with the structure its type names by alias (the structure's mode,
  or an input ``source`` of a ``target`` structure: SM_GROUP_INPUT_MODE_MISMATCH), and a type that is either
  such an alias or a FHIR type (SM_GROUP_INPUT_TYPE_UNKNOWN_TYPE; a URL, which HL7 may resolve to a loaded
  structure, is not judged);
- a source's ``context`` is a source variable, a target's a target variable, in scope where the rule stands
  (SM_SOURCE_CONTEXT_UNKNOWN, SM_TARGET_CONTEXT_UNKNOWN);
- a context-free target ``create`` takes at most one parameter (SM_TARGET_TRANSFORM_PARAM_COUNT_RANGE), a
  FHIR type or a target structure's alias when it makes a named variable (SM_TARGET_TYPE_UNKNOWN; a URL is not
  judged), and ``uuid`` none (SM_TARGET_TRANSFORM_MISSING_PARAMS);
- a group's ``extends`` and a rule's ``dependent`` name a group of this map or of a map it imports
  (SM_RULEGROUP_NOT_FOUND), a dependent passes as many variables as that group has inputs
  (SM_RULEGROUP_PARAM_COUNT_MISMATCH), each a variable in scope of the input's mode (a target may stand
  for a source: SM_DEPENDENT_PARAM_NOT_FOUND).

HL7 defines a rule's variables only as far as it can type them; here every variable a source or target
declares is in scope, so a variable HL7 could not type makes this module say less than HL7, never more.
Imports that are not loaded (or a wildcard) leave group names unjudged. What needs the mapped structures'
elements and types (paths, transforms' types, parameter types, ConceptMap translation) is not checked here.
SM_GROUP_NAME_DUPLICATE is not reachable in HL7's validator (a name is remembered only once found twice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from conformance.fhirval.source import canonical_resource, items, objects, value_of

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9]*")
DEFAULT_GROUP = "DefaultMappingGroupAnonymousAlias"  # StructureMapUtilities.DEF_GROUP_NAME


@dataclass
class _Scope:
    """Variables in scope, as (name, mode) pairs; a later one of a name and mode replaces the earlier."""

    names: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, mode: str) -> None:
        self.names = [v for v in self.names if v != (name, mode)] + [(name, mode)]

    def mode_of(self, name: str, source: bool) -> str | None:
        """The mode of the variable ``name`` that is a source (``source``) or not, as VariableSet.getVariable."""
        return next((m for n, m in self.names if n == name and (m == "source") == source), None)

    def copy(self) -> _Scope:
        return _Scope(list(self.names))


def check(w: Walker, sm: Json, loc: str) -> None:
    groups = objects(sm.get("group"))
    inputs_of = _group_inputs(w, sm, groups)
    for i, group in enumerate(groups):
        where = f"{loc}.group[{i}]"
        _name(w, group.get("name"), where, "group")
        extends = group.get("extends")
        if isinstance(extends, str) and inputs_of is not None and extends not in inputs_of:
            w.sink.error("structure-map", f"{where}.extends", f"the group {extends!r} this group extends is not "
                                                              "a group of this map or of the maps it imports")
        scope = _Scope()
        for j, inp in enumerate(objects(group.get("input"))):
            _input(w, sm, inp, scope, f"{where}.input[{j}]")
        for j, rule in enumerate(objects(group.get("rule"))):
            _rule(w, sm, rule, scope, inputs_of, f"{where}.rule[{j}]")


def _group_inputs(w: Walker, sm: Json, groups: list[Json]) -> dict[str, list[str]] | None:
    """Group name -> its inputs' modes, over this map and the maps it imports; None when an import is not held."""
    found: dict[str, list[str]] = {}
    for url in items(sm.get("import")):
        imported = canonical_resource(w.model.source, "StructureMap", url) if isinstance(url, str) else None
        if imported is None or not isinstance(url, str) or "*" in url:
            return None
        for g in objects(imported.get("group")):
            found.setdefault(str(g.get("name")), [str(i.get("mode")) for i in objects(g.get("input"))])
    for g in groups:
        found[str(g.get("name"))] = [str(i.get("mode")) for i in objects(g.get("input"))]
    return found


def _name(w: Walker, name: object, where: str, what: str) -> bool:
    if isinstance(name, str) and _ID.fullmatch(name):
        return True
    w.sink.error("structure-map", where, f"the {what} name {name!r} is not valid: a map's names are letters and "
                                         "digits, starting with a letter")
    return False


def _input(w: Walker, sm: Json, inp: Json, scope: _Scope, where: str) -> None:
    name, mode, kind = inp.get("name"), inp.get("mode"), inp.get("type")
    if not _name(w, name, where, "input") or not isinstance(name, str):
        return
    if any(n == name for n, _ in scope.names):
        w.sink.error("structure-map", where, f"the group has two inputs named {name!r}")
        return
    scope.add(name, str(mode))
    if mode not in ("source", "target"):
        w.sink.error("structure-map", where, f"the input {name!r} has the mode {mode!r}, not source or target")
        return
    if not isinstance(kind, str):
        return  # HL7 warns that it cannot check an untyped input
    structure = next((s for s in objects(sm.get("structure")) if s.get("alias") == kind), None)
    if structure is None:
        if not w.model.is_type_name(kind) and not any(c in kind for c in "/:"):
            w.sink.error("structure-map", where, f"the input type {kind!r} is neither a structure's alias nor a "
                                                 "FHIR type")
        return
    smode = structure.get("mode")
    if isinstance(smode, str) and mode != smode and not (smode == "target" and mode == "source"):
        w.sink.error("structure-map", where, f"the input {name!r} has the mode {mode}, but the structure {kind!r} "
                                             f"has the mode {smode}")


def _rule(w: Walker, sm: Json, rule: Json, outer: _Scope, inputs_of: dict[str, list[str]] | None, where: str) -> None:
    _name(w, rule.get("name"), where, "rule")
    scope = outer.copy()
    for k, source in enumerate(objects(rule.get("source"))):
        _in_context(w, source, scope, f"{where}.source[{k}]", "source")
    for k, target in enumerate(objects(rule.get("target"))):
        _target(w, sm, target, scope, f"{where}.target[{k}]")
    for k, child in enumerate(objects(rule.get("rule"))):
        _rule(w, sm, child, scope, inputs_of, f"{where}.rule[{k}]")
    for k, dependent in enumerate(objects(rule.get("dependent"))):
        _dependent(w, dependent, scope, inputs_of, f"{where}.dependent[{k}]")


def _target(w: Walker, sm: Json, target: Json, scope: _Scope, at: str) -> None:
    context, variable = target.get("context"), target.get("variable")
    if context is None:
        named = variable is not None and _name(w, variable, at, "target variable") and isinstance(variable, str)
        if named:
            scope.add(str(variable), "target")
        params = objects(target.get("parameter"))
        transform = target.get("transform")
        if transform == "create" and len(params) > 1:
            w.sink.error("structure-map", at, f"create takes 0 or 1 parameters, not {len(params)}")
        elif transform == "create" and params and named:
            made = value_of(params[0])
            if isinstance(made, str) and _unknown_type(w, sm, made):
                w.sink.error("structure-map", at, f"create({made!r}) names no FHIR type nor a target structure's "
                                                  "alias")
        elif transform == "uuid" and params:
            w.sink.error("structure-map", at, "uuid takes no parameters")
        return
    _in_context(w, target, scope, at, "target")


def _in_context(w: Walker, part: Json, scope: _Scope, at: str, side: str) -> None:
    """A source or target read from or written to its ``context``: a variable of that side in scope; the part's
    own ``variable`` then comes into scope with that variable's mode."""
    context, variable = part.get("context"), part.get("variable")
    if not _name(w, context, at, f"{side} context") or not isinstance(context, str):
        return
    mode = scope.mode_of(context, source=side == "source")
    if mode is None:
        w.sink.error("structure-map", at, f"the {side} context {context!r} is no {side} variable here")
    elif isinstance(variable, str):
        scope.add(variable, mode)


def _unknown_type(w: Walker, sm: Json, made: str) -> bool:
    """A create() type that is no FHIR type, no URL and no target structure's alias (resolveType, then
    fetchTypeDefinition)."""
    if any(c in made for c in "/:") or w.model.is_type_name(made):
        return False
    return not any(s.get("alias") == made and s.get("mode") == "target" for s in objects(sm.get("structure")))


def _dependent(w: Walker, dependent: Json, scope: _Scope, inputs_of: dict[str, list[str]] | None, at: str) -> None:
    name = dependent.get("name")
    if inputs_of is None or not isinstance(name, str) or name == DEFAULT_GROUP:
        return
    modes = inputs_of.get(name)
    if modes is None:
        w.sink.error("structure-map", at, f"the group {name!r} is not a group of this map or of the maps it imports")
        return
    variables = dependent.get("variable")
    passed = variables if isinstance(variables, list) else []
    if len(passed) != len(modes):
        w.sink.error("structure-map", at, f"the group {name!r} takes {len(modes)} inputs, and {len(passed)} are "
                                          "passed")
        return
    for k, (variable, mode) in enumerate(zip(passed, modes, strict=True)):
        found = isinstance(variable, str) and (scope.mode_of(variable, mode == "source") is not None or (
            mode == "source" and scope.mode_of(variable, source=False) is not None))
        if not found:
            w.sink.error("structure-map", f"{at}.variable[{k}]", f"the variable {variable!r} passed to {name!r} as "
                                                                 f"its {mode} input is not in scope")
