"""FHIRPath invariants (``ElementDefinition.constraint``), evaluated with fhirpathpy.

Expressions are parsed once per process and kept. A few base invariants are checked natively
instead, each deliberately (``NATIVE``):

- ``ele-1`` and ``ext-1`` sit on nearly every element; evaluating them through FHIRPath for each one
  would cost more than the rest of validation together, and both are one-line structural facts;
- ``dom-2``..``dom-5`` and ``ref-1`` are about contained resources and local references, which the
  walker already tracks (dom-3's published expression walks every descendant once per contained
  resource, quadratic in the resource's size);
- ``txt-1`` / ``txt-2`` call ``htmlChecks()``, which no FHIRPath engine outside HL7's Java one
  implements: :func:`narrative_problem` checks the XHTML rules with lxml instead;
- ``bdl-7`` (fullUrl + versionId unique) is quadratic through ``isDistinct()`` on large Bundles, and
  ``bdl-3`` / ``bdl-4`` re-evaluate ``%resource.type`` for every entry (0.4 ms of a 0.5 ms two-entry Bundle).

An expression fhirpathpy cannot parse or evaluate is skipped with an ``information`` issue naming it,
never a crash. Cases where fhirpathpy needed wrapping are recorded in
``tests/fhirval/test_validate_invariants.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fhirpathpy.engine import do_eval
from fhirpathpy.engine.invocations import equality
from fhirpathpy.engine.invocations.constants import constants
from fhirpathpy.engine.nodes import FP_DateTime, FP_Type, ResourceNode
from fhirpathpy.engine.util import get_data, process_user_invocation_table
from fhirpathpy.models import models
from fhirpathpy.parser import parse
from lxml import etree

from conformance.fhirval.index import Node
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json

NATIVE = frozenset({"ele-1", "ext-1", "dom-2", "dom-3", "dom-4", "dom-5", "dom-6", "ref-1", "txt-1", "txt-2",
                    "bdl-3", "bdl-4", "bdl-7"})
R4_MODEL: dict[str, Any] = models["r4"]

Constraint = tuple[str, str, str, str]  # key, severity, expression, human
_PARSED: dict[str, Any] = {}


def constraints_of(node: Node) -> tuple[Constraint, ...]:
    """The node's invariants that go through FHIRPath (cached per node)."""
    if node.checks is not None:
        checks: tuple[Constraint, ...] = node.checks
        return checks
    out = []
    for c in node.ed.get("constraint") or ():
        key, expression = c.get("key", ""), c.get("expression")
        if key in NATIVE or not isinstance(expression, str) or not expression.strip():
            continue
        out.append((key, c.get("severity", "error"), expression, c.get("human", "")))
    result = tuple(out)
    node.checks = result
    return result


@dataclass(frozen=True, eq=False)
class _Term:
    """One operand of a top-level ``or`` / ``implies``, with the names it reads when it can be memoised."""

    tree: Any
    names: frozenset[str] | None  # None: depends on more than the item's own properties
    atom: tuple[str, str, bool] | None = None  # (name, exists|empty|hasValue, negated): see _atom


@dataclass(frozen=True, eq=False)
class _Compiled:
    op: str  # "or" | "implies" | "single"
    terms: tuple[_Term, ...]


_UNMEMOISABLE_NODES = frozenset({"ThisInvocation", "IndexInvocation", "TotalInvocation"})
_UNMEMOISABLE_FUNCTIONS = frozenset({"children", "descendants", "resolve", "repeat", "now", "today", "timeOfDay",
                                     "conformsTo", "memberOf", "hasValue", "htmlChecks"})
# Functions whose argument is evaluated once per item of their input (FHIRPath section 5), so member
# names inside it are that item's, not the invariant's element's: `coding.where(code = 'x')` reads
# coding (whole, nested values included), never the element's own `code`.
_ITERATING_FUNCTIONS = frozenset({"where", "select", "exists", "all", "any"})
_CONSTANTS = frozenset({"ucum"})  # %ucum is fixed; %resource, %context and the like are not


def _names(tree: Any) -> frozenset[str] | None:
    """The element's own properties a subtree reads, or None when its value can depend on anything else."""
    names: set[str] = set()
    stack: list[tuple[Any, bool]] = [(tree, True)]
    while stack:
        node, own = stack.pop()
        kind = node.get("type")
        if kind in _UNMEMOISABLE_NODES:
            return None
        children = node.get("children") or []
        if kind == "ExternalConstant" and not (children and children[0].get("text") in _CONSTANTS):
            return None
        if kind == "InvocationTerm" and children and children[0].get("type") == "FunctionInvocation":
            return None
        if kind == "Functn" and children and children[0].get("text") in _UNMEMOISABLE_FUNCTIONS:
            return None
        if kind == "MemberInvocation" and children and own:
            names.add(str(children[0].get("text", "")).strip("`"))
        if kind == "InvocationExpression" and len(children) == 2 and _iterating(children[1]):
            stack.append((children[0], own))
            stack.append((children[1], False))  # scanned for what makes it unmemoisable, names not kept
            continue
        stack.extend((c, own) for c in children)
    return frozenset(names)


def _iterating(invocation: Any) -> bool:
    """Whether an invocation is a call of one of _ITERATING_FUNCTIONS (``x.where(...)``)."""
    if invocation.get("type") != "FunctionInvocation":
        return False
    functn = (invocation.get("children") or [{}])[0]
    name = (functn.get("children") or [{}])[0]
    return functn.get("type") == "Functn" and name.get("text") in _ITERATING_FUNCTIONS


def _flatten(node: Any, op: str) -> list[Any]:
    if node.get("type") == "OrExpression" and node.get("terminalNodeText") == [op]:
        return [t for child in node["children"] for t in _flatten(child, op)]
    return [node]


def _compile(expression: str) -> Any:
    """The expression split at a top-level ``or`` / ``implies`` (cached), or the parse error."""
    hit = _PARSED.get(expression)
    if hit is None:
        try:
            top = parse(expression)["children"][0]  # type: ignore[no-untyped-call]
            if top.get("type") == "ImpliesExpression":
                hit = _Compiled("implies", tuple(_Term(c, _names(c), _atom_of(c)) for c in top["children"]))
            else:
                parts = _flatten(top, "or")
                terms = [_Term(c, _names(c), _atom_of(c)) for c in parts]
                terms.sort(key=lambda t: t.atom is None)  # or commutes: the cheap operands first
                hit = _Compiled("or" if len(parts) > 1 else "single", tuple(terms))
        except Exception as exc:  # noqa: BLE001 - any parser failure means "cannot evaluate"
            hit = exc
        _PARSED[expression] = hit
    return hit


_SCALARS = (str, int, float, bool)
_NOT_MEMOISABLE: Any = object()


_FREEZE_BUDGET = 64  # JSON nodes per projection: past that, hashing costs more than it saves


def _freeze(value: Any, budget: list[int]) -> Any:
    """A JSON value as a hashable key that keeps types apart (1, 1.0, True and "1" differ)."""
    budget[0] -= 1
    if budget[0] < 0:
        raise OverflowError
    if isinstance(value, dict):
        return ("{", tuple((k, _freeze(v, budget)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_freeze(v, budget) for v in value))
    return (type(value).__name__, value)


def _projection(item: Json, names: frozenset[str]) -> Any:
    """The item's properties an operand can read (whole, nested values included), as a hashable key, or
    _NOT_MEMOISABLE when they are too large to be worth it. Conditions, allergies and observations carry
    the same few status codings again and again, so resource-level invariants hit the memo too."""
    out = []
    budget = [_FREEZE_BUDGET]
    for key, value in item.items():
        bare = key[1:] if key.startswith("_") else key
        if bare not in names and not any(bare.startswith(n) and len(bare) > len(n) and bare[len(n)].isupper()
                                         for n in names):
            continue
        if isinstance(value, _SCALARS):
            out.append((key, type(value).__name__, value))
            continue
        try:
            out.append((key, "json", _freeze(value, budget)))
        except OverflowError:
            return _NOT_MEMOISABLE
    return tuple(out)


_MEMO: dict[tuple[int, str, Any], list[Any]] = {}
_MEMO_LIMIT = 50_000


_ATOM = re.compile(r"([a-z][A-Za-z0-9]*)\.(exists|empty|hasValue)\(\)(\.not\(\))?")


def _atom_of(tree: Any) -> tuple[str, str, bool] | None:
    """``name.exists()``, ``name.empty()``, ``name.hasValue()``, each optionally ``.not()``: the commonest
    operands of the base invariants (tim-*, per-1, qty-3, bdl-5, ...), answered from the JSON directly."""
    m = _ATOM.fullmatch(str(tree.get("text") or ""))
    return (m.group(1), m.group(2), m.group(3) is not None) if m else None


_CHOICES: Any = R4_MODEL["choiceTypePaths"]


def _atom(atom: tuple[str, str, bool], item: Any, base_path: str) -> list[Any] | None:
    """The atom's value on a JSON object, or None to let fhirpathpy decide (anything unusual: a primitive's
    ``_name`` extension shadow, nulls, a non-object item). Checked against fhirpathpy in test_validate_invariants."""
    if not isinstance(item, dict):
        return None
    name, fn, negated = atom
    choices = _CHOICES.get(f"{base_path}.{name}")
    wanted = {name + t for t in choices} if choices else {name}  # value[x] is valueString..., never value
    values = []
    for key, value in item.items():
        if key in wanted:
            values.append(value)
        elif key[:1] == "_" and key[1:].startswith(name):
            return None
    if any(v is None or v == [] or (isinstance(v, list) and None in v) for v in values):
        return None
    count = sum(len(v) if isinstance(v, list) else 1 for v in values)
    if fn == "hasValue":
        if count and (count > 1 or isinstance(values[0], (dict, list))):
            return None
        result = count == 1
    else:
        result = (count > 0) == (fn == "exists")
    return [result != negated]


def _run(term: _Term, item: Any, base_path: str, env: dict[str, Any]) -> list[Any]:
    """One operand. When it reads only the item's own properties and those are scalars (or absent), its value
    is a pure function of them, so it is computed once per distinct set of values."""
    if term.atom is not None:
        answer = _atom(term.atom, item, base_path)
        if answer is not None:
            return answer
    memo_key: tuple[int, str, Any] | None = None
    if term.names is not None and isinstance(item, dict):
        projection = _projection(item, term.names)
        if projection is not _NOT_MEMOISABLE:
            memo_key = (id(term), base_path, projection)
            hit = _MEMO.get(memo_key)
            if hit is not None:
                return hit
    result = _engine(term.tree, item, base_path, env)
    if memo_key is not None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[memo_key] = result
    return result


def _engine(tree: Any, item: Any, base_path: str, env: dict[str, Any]) -> list[Any]:
    """fhirpathpy's own evaluation of a parsed expression, as ``apply_parsed_path`` does it less the setup that
    never changes (the function table it rebuilds on every call was a sixth of a short invariant's time)."""
    constants.reset()  # type: ignore[no-untyped-call]
    node = ResourceNode.create_node(item, base_path)  # type: ignore[no-untyped-call]
    root = [node]
    ctx = {"dataRoot": root, "vars": {"context": node, "ucum": UCUM, **env}, "model": R4_MODEL,
           "userInvocationTable": _TABLE, "traceFn": _OPTIONS["traceFn"]}
    out = do_eval(ctx, root, tree)  # type: ignore[no-untyped-call]
    result = []
    for value in out if isinstance(out, list) else [out]:
        data = get_data(value)  # type: ignore[no-untyped-call]
        if isinstance(data, dict) and not isinstance(data, FP_Type) and list(data) == ["extension"]:
            continue  # fhirpathpy's representation of a primitive with extensions and no value, as it drops it
        result.append(data)
    return result


def evaluate(expression: str, item: Any, base_path: str, resource: Json, root: Json) -> list[Any]:
    """Evaluate one expression on an element (typed by its path, for choice elements) of a resource.

    A top-level ``or`` stops at the first true operand and ``implies`` at a false or empty antecedent,
    as FHIRPath defines them, so a costly operand (``%resource``...) is often never run.
    """
    compiled = _compile(expression)
    if isinstance(compiled, Exception):
        raise compiled
    env = {"resource": resource, "rootResource": root}
    if compiled.op == "single":
        return _run(compiled.terms[0], item, base_path, env)
    if compiled.op == "implies":
        if compiled.terms[1].atom is not None and _run(compiled.terms[1], item, base_path, env) == [True]:
            return [True]  # anything implies true (an empty antecedent too), so the costly side can wait
        antecedent = _run(compiled.terms[0], item, base_path, env)
        if antecedent != [True]:
            return [True] if antecedent == [False] else []
        return _run(compiled.terms[1], item, base_path, env)
    unknown = False
    for term in compiled.terms:
        value = _run(term, item, base_path, env)
        if value == [True]:
            return [True]
        if value != [False]:
            unknown = True
    return [] if unknown else [False]


def _has_value(inputs: list[Any]) -> bool:
    """FHIRPath hasValue(), which fhirpathpy 2.2 lacks: a single primitive that has a value."""
    return len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], (dict, list))


_DATE_LIKE = re.compile(r"\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?")


def _temporal(value: Any) -> Any:
    """A FHIR date/dateTime string as fhirpathpy's FP_DateTime; anything else unchanged."""
    value = get_data(value)  # type: ignore[no-untyped-call]
    if isinstance(value, str) and _DATE_LIKE.fullmatch(value):
        return FP_DateTime(value)  # type: ignore[no-untyped-call]
    return value


_DIGIT = str.maketrans("0123456789", "9999999999")


def _same_shape_order(a: Any, b: Any) -> int | None:
    """-1/0/1 for two FHIR dates or dateTimes written alike (same precision and layout, same zone), where
    text order is time order; None for anything else (FP_DateTime then decides, at about 0.2 ms a pair)."""
    if not (isinstance(a, str) and isinstance(b, str) and len(a) == len(b) and _DATE_LIKE.fullmatch(a)
            and _DATE_LIKE.fullmatch(b) and a.translate(_DIGIT) == b.translate(_DIGIT)):
        return None
    if "T" in a:
        zone_a, zone_b = a[19:].lstrip(".0123456789"), b[19:].lstrip(".0123456789")
        if zone_a != zone_b or not zone_a:
            return None
    return (a > b) - (a < b)


def _comparison(op: Callable[[int], bool], original: Callable[..., Any]) -> Callable[..., Any]:
    """An inequality that compares FHIR date/dateTime strings as dates, not as text.

    fhirpathpy compares a Period's ``start <= end`` (untyped JSON strings) lexically, so
    ``"2023-06-21" <= "2023-06-21T06:20:00Z"`` is true; FHIRPath (and HL7's validator) make a comparison
    of values at different precisions that agree up to the shorter one empty, which fails per-1.
    """
    def compare(left: list[Any], right: list[Any]) -> Any:
        if len(left) != 1 or len(right) != 1:
            return []
        quick = _same_shape_order(get_data(left[0]), get_data(right[0]))  # type: ignore[no-untyped-call]
        if quick is not None:
            return op(quick)
        a, b = _temporal(left[0]), _temporal(right[0])
        if isinstance(a, FP_DateTime) and isinstance(b, FP_DateTime):
            order = a.compare(b)  # type: ignore[no-untyped-call]
            return [] if order is None else op(order)
        return original(None, left, right)
    return compare


# Functions fhirpathpy does not implement or gets wrong, supplied here (recorded in test_validate_invariants.py).
_OPTIONS: dict[str, Any] = {"traceFn": lambda label, value: None, "userInvocationTable": {
    "hasValue": {"fn": _has_value, "arity": {0: []}},
    "<": {"fn": _comparison(lambda c: c < 0, equality.lt), "arity": {2: ["Any", "Any"]}, "nullable": True},
    "<=": {"fn": _comparison(lambda c: c <= 0, equality.lte), "arity": {2: ["Any", "Any"]}, "nullable": True},
    ">": {"fn": _comparison(lambda c: c > 0, equality.gt), "arity": {2: ["Any", "Any"]}, "nullable": True},
    ">=": {"fn": _comparison(lambda c: c >= 0, equality.gte), "arity": {2: ["Any", "Any"]}, "nullable": True},
    # txt-1/txt-2 are checked natively (narrative_problem); the expression itself then passes.
    "htmlChecks": {"fn": lambda inputs: True, "arity": {0: []}},
}}
_TABLE = process_user_invocation_table(_OPTIONS["userInvocationTable"])  # type: ignore[no-untyped-call]
UCUM = "http://unitsofmeasure.org"


def check_constraints(
    constraints: tuple[Constraint, ...], item: Any, base_path: str, resource: Json, root: Json, loc: str, sink: Sink,
    noted: Callable[[str], bool],
) -> None:
    """Report each failing invariant at ``loc``; ``noted(key)`` is True the first time a key cannot be evaluated."""
    for key, severity, expression, human in constraints:
        try:
            result = evaluate(expression, item, base_path, resource, root)
        except Exception as exc:  # noqa: BLE001 - fhirpathpy raises plain Exceptions for unsupported features
            if noted("inv:" + key):
                sink.info("invariant-not-evaluated", loc,
                          f"invariant {key} not evaluated: fhirpathpy cannot evaluate {expression!r} ({_brief(exc)})")
            continue
        if _failed(result):
            level = "warning" if severity == "warning" else "error"
            sink.add(level, "invariant", loc, f"constraint failed: {key}: {human or expression}")


def _failed(result: list[Any]) -> bool:
    """An invariant fails on a single false and, as in HL7's Java validator (evaluateToBoolean), on an empty result."""
    return not result or (len(result) == 1 and result[0] is False)


def _brief(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 160 else text[:157] + "..."


# ---- htmlChecks() for txt-1 / txt-2 -------------------------------------------------------------

XHTML_NS = "http://www.w3.org/1999/xhtml"
_ALLOWED = frozenset(
    "a abbr acronym b big blockquote br caption cite code col colgroup dd dfn div dl dt em h1 h2 h3 h4 h5 h6 "
    "hr i img li ol p pre q samp small span strong sub sup table tbody td tfoot th thead tr tt ul var".split()
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def narrative_problem(div: str) -> str | None:
    """Why a ``Narrative.div`` breaks txt-1/txt-2 (XHTML div, basic formatting only, some content), or None."""
    try:
        root = etree.fromstring(div.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        return f"the narrative is not well-formed XHTML: {exc.msg}"
    if root.tag != f"{{{XHTML_NS}}}div":
        return "the narrative must be an XHTML div (<div xmlns=\"http://www.w3.org/1999/xhtml\">)"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ns, _, local = el.tag[1:].partition("}") if el.tag.startswith("{") else ("", "", el.tag)
        if ns != XHTML_NS or local not in _ALLOWED:
            return f"txt-1: the narrative contains <{local}>, which is not a basic XHTML formatting element"
        for attr in el.attrib:
            name = attr.rpartition("}")[2].lower()
            if name.startswith("on") or (name == "style" and "expression(" in el.attrib[attr]):
                return f"txt-1: the narrative has an active attribute {name!r}"
    text = "".join(root.itertext()).strip()
    if not text and not any(isinstance(el.tag, str) and el.tag.endswith("}img") for el in root.iter()):
        return "txt-2: the narrative SHALL have some non-whitespace content"
    return None
