"""FHIRPath invariants (``ElementDefinition.constraint``), evaluated with fhirpathpy.

Expressions are parsed once per process and kept. A few base invariants are checked natively
instead, each deliberately (``NATIVE``):

- ``ele-1`` and ``ext-1`` sit on nearly every element; evaluating them through FHIRPath for each one
  would cost more than the rest of validation together, and both are one-line structural facts;
- ``dom-2``..``dom-5`` and ``ref-1`` are about contained resources and local references, which the
  walker already tracks (dom-3's published expression walks every descendant once per contained
  resource, quadratic in the resource's size);
- ``txt-1`` / ``txt-2`` call ``htmlChecks()``, which no FHIRPath engine outside HL7's Java one
  implements: fhirpath.narrative_problem checks the XHTML rules with lxml instead;
- ``bdl-7`` (fullUrl + versionId unique) is quadratic through ``isDistinct()`` on large Bundles, and
  ``bdl-3`` / ``bdl-4`` re-evaluate ``%resource.type`` for every entry (0.4 ms of a 0.5 ms two-entry Bundle).

An expression the FHIRPath grammar rejects is an error at each element it applies to, as HL7's checkInvariant
reports it (``Unparseable``); one fhirpathpy cannot evaluate is skipped with an ``information`` issue naming it,
never a crash. fhirpath.py runs fhirpathpy and holds its wraps; each case that needed one is recorded in
``tests/fhirval/test_validate_invariants.py``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from conformance.fhirval.expression_fixes import fixed
from conformance.fhirval.fhirpath import R4_MODEL, engine
from conformance.fhirval.fhirpath_logic import EvaluationError, as_bool
from conformance.fhirval.fhirpath_resolve import SLICE_PLACE
from conformance.fhirval.fhirpath_singletons import parse_problem
from conformance.fhirval.fhirpath_syntax import parse, syntax_error
from conformance.fhirval.index import Node
from conformance.fhirval.invariant_natives import Comparison, Contains, Counts, Equality, PathAtom, native
from conformance.fhirval.invariant_natives import answer as native_answer
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json

NATIVE = frozenset({"ele-1", "ext-1", "dom-2", "dom-3", "dom-4", "dom-5", "dom-6", "ref-1", "txt-1", "txt-2",
                    "bdl-3", "bdl-4", "bdl-7"})

BEST_PRACTICE = "http://hl7.org/fhir/StructureDefinition/elementdefinition-bestpractice"
BEST_PRACTICE_SEVERITY = "best-practice"  # a constraint's severity, reported at the Sink's best-practice level
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
        # a constraint with no severity keeps "" (reported only when it cannot be parsed: check_constraints)
        given = c.get("severity")  # not a string (a number, a list): no severity HL7's parser reads
        severity = BEST_PRACTICE_SEVERITY if _best_practice(c) else given if isinstance(given, str) else ""
        out.append((key, severity, fixed(key, expression, node.fixes), c.get("human", "")))
    result = tuple(out)
    node.checks = result
    return result


def _best_practice(constraint: Any) -> bool:
    """A best-practice invariant is a recommendation: HL7's validator reports it at its best-practice level (a
    warning by default) whatever its stated severity (InstanceValidator.checkInvariant, EXT_BEST_PRACTICE,
    BestPracticeWarningLevel; ours: Options.best_practice, carried by the Sink)."""
    return any(isinstance(x, dict) and x.get("url") == BEST_PRACTICE and x.get("valueBoolean") is True
               for x in constraint.get("extension") or ())


@dataclass(frozen=True, eq=False)
class _Term:
    """One operand of the expression's and / or / implies, with the names it reads when it can be memoised."""

    tree: Any
    names: frozenset[str] | None  # None: depends on more than the item's own properties
    atom: tuple[str, str, bool] | None = None  # (name, exists|empty|hasValue, negated): see _atom
    native: PathAtom | Comparison | Equality | Contains | Counts | None = None  # answered from the JSON


@dataclass(frozen=True, eq=False)
class _Logic:
    """The expression's boolean connectives (and, or, implies, through parentheses) as a tree over operands
    fhirpathpy evaluates, so that three-valued logic can stop early and run the cheap operands first."""

    op: str  # "and" | "or" | "implies" | "leaf"
    parts: tuple[_Logic, ...] = ()
    term: _Term | None = None  # for a leaf

    @property
    def cost(self) -> int:
        """0 a native atom, 1 an operand that can be memoised, 2 a connective, 3 anything else."""
        if self.term is None:
            return 2
        if self.term.atom is not None or self.term.native is not None:
            return 0
        return 1 if self.term.names is not None else 3

    def leaves(self) -> list[_Term]:
        return [self.term] if self.term is not None else [t for p in self.parts for t in p.leaves()]


@dataclass(frozen=True, eq=False)
class _Compiled:
    logic: _Logic
    tree: Any  # the whole expression, for fhirpathpy when an operand is not a boolean


_UNMEMOISABLE_NODES = frozenset({"ThisInvocation", "IndexInvocation", "TotalInvocation"})
_UNMEMOISABLE_FUNCTIONS = frozenset({"children", "descendants", "resolve", "repeat", "now", "today", "timeOfDay",
                                     "conformsTo", "memberOf", "hasValue", "htmlChecks", "slice"})
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


_CONNECTIVES = {("AndExpression", "and"): "and", ("OrExpression", "or"): "or",
                ("ImpliesExpression", "implies"): "implies"}


def _logic(node: Any) -> _Logic:
    while (node.get("type") == "TermExpression" and len(node.get("children") or ()) == 1
           and node["children"][0].get("type") == "ParenthesizedTerm"):
        node = node["children"][0]["children"][0]  # (x) is x
    words = node.get("terminalNodeText") or [""]
    op = _CONNECTIVES.get((node.get("type"), words[0]))
    if op is None or len(node.get("children") or ()) != 2:
        atom = _atom_of(node)
        return _Logic("leaf", term=_Term(node, _names(node), atom, None if atom is not None else native(node)))
    parts = [_logic(c) for c in node["children"]]
    if op == "implies":
        return _Logic(op, tuple(parts))
    flat = [q for p in parts for q in (p.parts if p.op == op else (p,))]
    flat.sort(key=lambda p: p.cost)  # and / or commute in FHIRPath's three-valued logic: the cheap ones first
    return _Logic(op, tuple(flat))


class Unparseable(Exception):
    """An expression the FHIRPath grammar rejects (fhirpath_syntax: HL7's parser rejects it too, where fhirpathpy's
    recovers silently): InstanceValidator.checkInvariant reports it, PROBLEM_PROCESSING_EXPRESSION__IN_PROFILE__
    PATH__, an error whatever the invariant's severity, at each element the invariant is checked on."""


def _compile(expression: str) -> Any:
    """The expression's connectives and operands (cached), or the parse error."""
    hit = _PARSED.get(expression)
    if hit is None:
        problem = syntax_error(expression)
        if problem is not None:
            hit = _PARSED[expression] = Unparseable(problem)
            return hit
        try:
            top = parse(expression)["children"][0]
            problem = parse_problem(top)  # a function HL7's parser does not know, or the wrong number of parameters
            hit = Unparseable(problem) if problem else _Compiled(_logic(top), top)
        except Exception as exc:  # noqa: BLE001 - any parser failure means "cannot evaluate"
            hit = exc.with_traceback(None)
        _PARSED[expression] = hit
    return hit


def _raise_cached(problem: Exception) -> NoReturn:
    """Raise a copy of a cached parse failure: raising the cached object itself would grow its traceback with
    every raise (keeping each validated resource alive through its frames) and share it between threads."""
    try:
        fresh = copy.copy(problem)
    except Exception:  # noqa: BLE001 - an exception type that cannot be rebuilt from its args
        fresh = RuntimeError(str(problem))
    raise fresh.with_traceback(None)


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


_READS: dict[tuple[frozenset[str], str], bool] = {}  # (an operand's names, a JSON key) -> whether it reads the key


def _reads(names: frozenset[str], key: str) -> bool:
    """Whether a JSON key is one of the names, or their shadow or choice (``_status``, ``valueString``); kept, as
    the same few keys meet the same operands on every resource."""
    bare = key[1:] if key.startswith("_") else key
    read = bare in names or any(bare.startswith(n) and len(bare) > len(n) and bare[len(n)].isupper() for n in names)
    if len(_READS) < _MEMO_LIMIT:
        _READS[(names, key)] = read
    return read


def _projection(item: Json, names: frozenset[str]) -> Any:
    """The item's properties an operand can read (whole, nested values included), as a hashable key, or
    _NOT_MEMOISABLE when they are too large to be worth it. Conditions, allergies and observations carry
    the same few status codings again and again, so resource-level invariants hit the memo too."""
    out = []
    budget = [_FREEZE_BUDGET]
    for key, value in item.items():
        read = _READS.get((names, key))
        if read is None:
            read = _reads(names, key)
        if not read:
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
_WANTED: dict[tuple[str, str], frozenset[str]] = {}  # (name, element path) -> its JSON names, from the model


def _atom(atom: tuple[str, str, bool], item: Any, base_path: str) -> list[Any] | None:
    """The atom's value on a JSON object, or None to let fhirpathpy decide (anything unusual: a primitive's
    ``_name`` extension shadow, nulls, a non-object item). Checked against fhirpathpy in test_validate_invariants."""
    if not isinstance(item, dict):
        return None
    name, fn, negated = atom
    wanted = _WANTED.get((name, base_path))
    if wanted is None:
        choices = _CHOICES.get(f"{base_path}.{name}")
        wanted = _WANTED[(name, base_path)] = (  # value[x] is valueString..., never value
            frozenset(name + t for t in choices) if choices else frozenset({name}))
    if len(wanted) == 1 and name in wanted:  # not a choice: its own key and its shadow's, no scan of the others
        if "_" + name in item:
            return None
        values = [item[name]] if name in item else []
    else:
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
    elif term.native is not None:
        answer = native_answer(term.native, item, base_path)
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
    result = engine(term.tree, item, base_path, env)
    # only values are kept: a result holding the item's own nodes (``address.where(use = 'home')``, read by an
    # extension's fhirpath context for the node's identity) would hand a later resource the first one's nodes
    if memo_key is not None and not any(isinstance(r, dict | list) for r in result):
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[memo_key] = result
    return result


class _NotBoolean(Exception):
    """An operand of and / or / implies gave something other than true, false or empty."""


_PATH_TYPES: dict[str, str] = R4_MODEL["path2Type"]


def _typed_path(base_path: str) -> str:
    """An element of a complex datatype as that type (``Questionnaire.useContext`` -> ``UsageContext``): fhirpathpy
    finds a choice (``value`` as ``valueCodeableConcept``) only under the type's own path, so a profile's invariant
    on such an element (SDC's sdc-uc-1: ``value is CodeableConcept``) saw no value. Backbone elements, which
    have no type of their own, and resources keep their path."""
    typed = _PATH_TYPES.get(base_path)
    if typed is None or not typed[:1].isupper() or typed == "Resource" or typed.startswith("System."):
        return base_path
    return typed


def evaluate(expression: str, item: Any, base_path: str, resource: Json, root: Json,
             place: tuple[str, str | None] | None = None) -> list[Any]:
    """Evaluate one expression on an element (typed by its path, for choice elements) of a resource; ``place``, the
    profile walked and the slice the element was walked as, gives ``%profile`` and ``slice()``.

    and / or / implies are applied here, as FHIRPath defines them, to operands fhirpathpy evaluates: or
    stops at a true operand, and at a false one, implies at a false antecedent, so a costly operand
    (``%resource``...) is often never run. An operand that is not a boolean (FHIRPath's singleton rules
    then apply) sends the whole expression to fhirpathpy. An error HL7's engine raises too (``EvaluationError``)
    propagates: the invariant then fails, as in checkInvariant.
    """
    compiled = _compile(expression)
    if isinstance(compiled, Exception):
        _raise_cached(compiled)
    base_path = _typed_path(base_path)
    env: dict[str, Any] = {"resource": resource, "rootResource": root}
    if place is not None:
        env.update({"profile": place[0], SLICE_PLACE: (*place, id(item))})
    logic = compiled.logic
    if logic.term is not None:
        return _run(logic.term, item, base_path, env)
    try:
        value = _truth(logic, item, base_path, env)
    except _NotBoolean:
        return engine(compiled.tree, item, base_path, env)
    return [] if value is None else [value]


def select(expression: str, item: Any, base_path: str, resource: Json, root: Json) -> list[Any]:
    """What an expression selects, with the ``_name`` object of each primitive that has extensions (the object
    in the resource itself): so an extension on a primitive can be found among a context expression's results."""
    compiled = _compile(expression)
    if isinstance(compiled, Exception):
        _raise_cached(compiled)
    return engine(compiled.tree, item, base_path, {"resource": resource, "rootResource": root}, shadows=True)


def _truth(logic: _Logic, item: Any, base_path: str, env: dict[str, Any]) -> bool | None:
    """True, False or None (empty) for a connective or operand."""
    if logic.term is not None:
        try:  # one item that is not a boolean is true, as HL7's asBool reads it (fhirpath_logic)
            return as_bool(_run(logic.term, item, base_path, env), "")
        except EvaluationError:  # HL7 raises only if its left-to-right order reaches this operand: it decides
            raise _NotBoolean from None
    if logic.op == "implies":
        antecedent, consequent = logic.parts
        if consequent.cost == 0 and _truth(consequent, item, base_path, env) is True:
            return True  # anything implies true (an empty antecedent too), so the costly side can wait
        a = _truth(antecedent, item, base_path, env)
        if a is False:
            return True
        b = _truth(consequent, item, base_path, env)
        return b if a is True else (True if b is True else None)
    stop = logic.op == "or"  # or: true decides; and: false decides
    unknown = False
    for part in logic.parts:
        value = _truth(part, item, base_path, env)
        if value is stop:
            return stop
        if value is None:
            unknown = True
    return None if unknown else not stop


def check_constraints(
    constraints: tuple[Constraint, ...], item: Any, base_path: str, resource: Json, root: Json, loc: str, sink: Sink,
    noted: Callable[[str], bool], place: tuple[str, str | None] | None = None,
) -> None:
    """Report each failing invariant at ``loc``; ``noted(key)`` is True the first time a key cannot be evaluated.
    One that does not parse is an error whatever its severity (PROBLEM_PROCESSING_EXPRESSION__IN_PROFILE__PATH__)."""
    for key, severity, expression, human in constraints:
        try:
            result = evaluate(expression, item, base_path, resource, root, place)
        except Unparseable as exc:
            where = f" in profile {place[0]}" if place is not None and place[0] else ""
            sink.error("invariant", loc, f"invariant {key}: problem processing expression {expression!r}{where}: {exc}")
            continue
        except EvaluationError as exc:  # HL7's engine throws here too, and checkInvariant then fails the invariant
            result, human = [], f"{human or expression} ({exc})"
        except Exception as exc:  # noqa: BLE001 - fhirpathpy raises plain Exceptions for unsupported features
            if noted("inv:" + key):
                sink.info("invariant-not-evaluated", loc,
                          f"invariant {key} not evaluated: fhirpathpy cannot evaluate {expression!r} ({_brief(exc)})")
            continue
        if not _failed(result) or severity == "":
            # InstanceValidator.checkInvariant reports a failure by the constraint's severity: ruleInv for ERROR,
            # warningInv for WARNING, and nothing when it has none (getSeverity() null; parsed first, so an
            # unparsable one is still PROBLEM_PROCESSING_EXPRESSION__IN_PROFILE__PATH__ above)
            continue
        message = f"constraint failed: {key}: {human or expression}"
        if severity == BEST_PRACTICE_SEVERITY:
            sink.best_practice("invariant", loc, message)
        else:
            sink.add("warning" if severity == "warning" else "error", "invariant", loc, message)


def _failed(result: list[Any]) -> bool:
    """An invariant fails on a single false and, as in HL7's Java validator (evaluateToBoolean), on an empty result."""
    return not result or (len(result) == 1 and result[0] is False)


def _brief(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 160 else text[:157] + "..."
