"""The names a profile's invariant walks exist on the element it is set on, as HL7's type check of it asks.

HL7's StructureDefinitionValidator.validateElementDefinitionInvariant runs ``FHIRPathEngine.checkOnTypes`` on
every snapshot constraint the structure itself states (``source`` empty or its own URL), from the types of the
element it sits on (the root: the structure's type). ``executeType`` throws FHIRPATH_UNKNOWN_NAME for a name
no focus type has ("The name 'Email' is not valid for any of the possible types: [Patient]"), reported as
ED_INVARIANT_EXPRESSION_ERROR (rule dated 2023-06-19). A name in the argument of ``where``, ``exists``,
``all``, ``select``, ``aggregate``, ``iif``, ``sort``, ``trace`` is typed on the input's items; one
in any other function's argument or an indexer (HL7's ``item``) on the outer ``$this`` (``evaluateParameters``).
A capitalised name first in an expression that is the focus type's or an ancestor's (``Patient.name``) is the
focus itself, as HL7's "special case for start up"; any other name is looked up among the focus's children.

Only what can be typed without HL7's whole inference is judged; anything else ends the judgement of that
branch (nothing is said): a step past a primitive, onto
``Resource`` or a type not loaded, constants (``%resource``), any function's result but ``where``/``first``/
``last``/``tail``/``skip``/``take``/``single``/``distinct`` (same items) and ``select`` (its argument's), and
the type arguments of ``ofType``/``as``/``is``, and ``repeat``'s argument (HL7 types it with ``canBeNone``: a
name found on no type there is no error).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from conformance.fhirval.fhirpath_syntax import parse
from conformance.fhirval.type_names import focus_types, step, type_and_ancestors

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.index import Node

Focus = list["Node"] | None  # None: not typed here (nothing below it is judged)

_ON_ITEMS = {"where", "exists", "all", "select", "aggregate", "iif", "sort", "trace", "defineVariable",
             "allTrue", "anyTrue", "allFalse", "anyFalse"}
_SAME_ITEMS = {"where", "first", "last", "tail", "skip", "take", "single", "distinct"}
_TYPE_ARGUMENT = {"ofType", "as", "is"}
_UNTYPED_ARGUMENT = _TYPE_ARGUMENT | {"repeat"}  # repeat's argument is typed with canBeNone: no unknown name


class UnknownName(Exception):
    """A name none of the focus types has: the name and the types' names."""

    def __init__(self, name: str, types: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.types = types


class _Typer:
    def __init__(self, w: Walker) -> None:
        self.w = w

    def expr(self, node: Any, focus: Focus, this: Focus, entry: bool = True) -> Focus:
        kind = node.get("type")
        kids = node.get("children") or []
        if kind in ("TermExpression", "InvocationTerm") and len(kids) == 1:
            return self.expr(kids[0], focus, this, entry)
        if kind == "ParenthesizedTerm" and len(kids) == 1:
            return self.expr(kids[0], focus, this)
        if kind == "MemberInvocation":
            return self.name(kids[0].get("text", ""), focus, entry)
        if kind == "ThisInvocation":
            return this
        if kind == "FunctionInvocation":
            return self.function(kids[0], focus, this)
        if kind == "InvocationExpression" and len(kids) == 2:
            left = self.expr(kids[0], focus, this)
            if left is None:
                self.arguments_only(kids[1], this)
                return None
            return self.expr(kids[1], left, this, False)
        if kind == "IndexerExpression" and len(kids) == 2:
            left = self.expr(kids[0], focus, this)
            self.expr(kids[1], this, this)
            return left
        if kind in ("TypeExpression",) and kids:
            self.expr(kids[0], focus, this)
            return None
        results = [self.expr(k, focus, this) for k in kids if isinstance(k, dict) and k.get("type")]
        if kind == "UnionExpression" and all(r is not None for r in results):
            return [n for r in results if r is not None for n in r]
        return None  # literals, operators' results, constants: not navigated further here

    def arguments_only(self, node: Any, this: Focus) -> None:
        """A step after an untyped focus: only the arguments typed on the outer ``$this`` are judged."""
        kids = node.get("children") or []
        if node.get("type") == "FunctionInvocation" and kids:
            name, params = _function_parts(kids[0])
            if name not in _ON_ITEMS and name not in _UNTYPED_ARGUMENT:
                for p in params:
                    self.expr(p, this, this)

    def function(self, functn: Any, focus: Focus, this: Focus) -> Focus:
        name, params = _function_parts(functn)
        if name in _UNTYPED_ARGUMENT:
            return None
        for p in params:
            if name in _ON_ITEMS:
                self.expr(p, focus, focus)
            else:
                self.expr(p, this, this)
        if name in _SAME_ITEMS:
            return focus
        if name == "select" and params:
            return self.expr(params[0], focus, focus)
        return None

    def name(self, text: str, focus: Focus, entry: bool) -> Focus:
        name = text.strip("`")
        if focus is None or not name or name.startswith(("$", "%")):
            return None
        if entry and name[:1].isupper() and name in self.type_names(focus):
            return focus  # HL7's "special case for start up": the focus type's name or an ancestor's
        found = step(self.w, focus, name)
        if found is not None and not found:
            raise UnknownName(name, focus_types(focus))
        return found

    def type_names(self, focus: list[Node]) -> set[str]:
        names: set[str] = set()
        for node in focus:
            for code in ([node.path] if "." not in node.path else []) + [t.code for t in node.types]:
                names |= type_and_ancestors(self.w, code)
        return names


def _function_parts(functn: Any) -> tuple[str, list[Any]]:
    kids = functn.get("children") or []
    name = kids[0].get("text", "") if kids else ""
    params = (kids[1].get("children") or []) if len(kids) > 1 and kids[1].get("type") == "ParamList" else []
    return name, params


@lru_cache(maxsize=4096)
def parsed(expression: str) -> Any:
    """fhirpathpy's parse tree (read only here; cached: profiles repeat their bases' invariants)."""
    return parse(expression)


def unknown_name(w: Walker, tree: Any, context: Node) -> UnknownName | None:
    """HL7's first FHIRPATH_UNKNOWN_NAME in the parsed expression on ``context``, if this typing finds one."""
    try:
        for top in tree.get("children") or []:
            _Typer(w).expr(top, [context], [context])
    except UnknownName as exc:
        return exc
    except RecursionError:
        return None
    return None
