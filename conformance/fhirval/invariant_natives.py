"""Native answers for the commonest FHIRPath operand shapes past invariants.py's one-name atoms.

``a.b.exists()``, ``a.coding.where(system = 'S' and code = 'C').exists()``, ``where(use = 'home').empty()``
(each with ``exists`` or ``empty``, optionally ``.not()``): a path of member names down the JSON, an optional
``where`` of string equalities, and a count. They are the operands of the base R4 invariants that still went to
fhirpathpy on the UK Core examples (ait-1/ait-2, con-3..con-5, lst-1/lst-2, bdl-1, and the guides' own
``where(use = 'home')``), at 30 to 100 microseconds each there against one or two here.

The answer is FHIRPath's (section 5: a path flattens collections; ``where`` keeps the items whose criteria are
true; ``=`` on two strings is their exact equality, empty when a side is empty): anything less plain is
answered None, and fhirpathpy decides as before: a ``_name`` shadow (an extension on a primitive), a null, an
empty string, object or array, a non-string where a string is compared, a value that looks like a date (dates
compare by precision), a choice element's stem (``value`` is ``valueString``...). Checked against fhirpathpy in
tests/fhirval/test_validate_invariant_natives.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from conformance.fhirval.fhirpath import R4_MODEL, UCUM, _same_shape_order

_NAME = r"[a-z][A-Za-z0-9]*"
# the parser's text of an operand: its tokens without the white space between them (``system='S'andcode='C'``)
_SHAPE = re.compile(rf"((?:{_NAME}\.)*)(?:where\(({_NAME}='[^'\\]*'(?:and{_NAME}='[^'\\]*')*)\)\.)?"
                    r"(exists|empty)\(\)(\.not\(\))?")
_CONDITION = re.compile(rf"(?:^|(?<=')and)({_NAME})='([^'\\]*)'")  # the first, then each after an "and"
_CHOICE_PATHS = frozenset(R4_MODEL["choiceTypePaths"])
_PATH_TYPES: dict[str, str] = R4_MODEL["path2Type"]
_ELSEWHERE: dict[str, str] = R4_MODEL["pathsDefinedElsewhere"]
_PARENTS: dict[str, str] = R4_MODEL["type2Parent"]
_PLAIN: dict[tuple[PathAtom, str], bool] = {}  # (atom, element path) -> no choice element on its way


@dataclass(frozen=True)
class PathAtom:
    """``path[.where(name = 'literal' and ...)].exists()|empty()[.not()]``, ready to answer from the JSON."""

    path: tuple[str, ...]
    where: tuple[tuple[str, str], ...]
    exists: bool
    negated: bool


def path_atom(text: str) -> PathAtom | None:
    """The operand as a PathAtom, or None when it has another shape (or is a one-name atom, invariants._atom's)."""
    m = _SHAPE.fullmatch(text)
    if m is None:
        return None
    path = tuple(m.group(1).split(".")[:-1])
    where = tuple(_CONDITION.findall(m.group(2) or ""))
    if not where and len(path) < 2:
        return None
    if any(not literal or literal[0].isdigit() for _, literal in where):
        return None
    return PathAtom(path, where, m.group(3) == "exists", m.group(4) is not None)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _values(node: Any, name: str) -> list[Any] | None:
    """What a member of a JSON object gives FHIRPath (an array's items, else the value; none when absent), or None
    when that is not plain: not an object, a ``_name`` shadow, a null, an empty string, object or array."""
    if not isinstance(node, dict) or "_" + name in node:
        return None
    value = node.get(name)
    if value is None:
        return None if name in node else []
    if isinstance(value, list):
        return None if any(_empty(v) for v in value) else value
    return None if _empty(value) else [value]


def native(node: Any) -> PathAtom | Comparison | Equality | Contains | Counts | None:
    """The operand (a node of fhirpathpy's parse tree) as one of the shapes answered here, or None."""
    text = str(node.get("text") or "")
    return path_atom(text) or contains(text) or comparison(node) or equality(node) or counts(node)


def answer(atom: PathAtom | Comparison | Equality | Contains | Counts, item: Any, base_path: str
           ) -> list[Any] | None:
    """The operand's value on a JSON object at ``base_path`` (the path fhirpathpy types it by), or None for
    fhirpathpy to decide (see the module's docstring)."""
    if isinstance(atom, Comparison):
        return _compare(atom, item, base_path)
    if isinstance(atom, Equality):
        return _equal(atom, item, base_path)
    if isinstance(atom, Contains):
        return _contains(atom, item, base_path)
    if isinstance(atom, Counts):
        return _counts(atom, item, base_path)
    plain = _PLAIN.get((atom, base_path))
    if plain is None:
        plain = _PLAIN[(atom, base_path)] = _plain(atom, base_path)
    if not plain:
        return None
    focus = [item]
    for name in atom.path:
        found = []
        for node in focus:
            values = _values(node, name)
            if values is None:
                return None
            found.extend(values)
        focus = found
    count = len(focus)
    if atom.where:
        count = 0
        for node in focus:
            matched = _matches(node, atom.where)
            if matched is None:
                return None
            count += matched
    return [((count > 0) == atom.exists) != atom.negated]


def _plain(atom: PathAtom, base_path: str) -> bool:
    """Whether no name on the atom's way is a choice element's stem (``value`` for ``valueString``...), by the
    element paths and types fhirpathpy's R4 model resolves them with, a type's ancestors included."""
    at = base_path
    for name in atom.path:
        if _is_choice(at, name):
            return False
        full = _ELSEWHERE.get(f"{at}.{name}", f"{at}.{name}")
        typed = _PATH_TYPES.get(full)
        at = typed if typed is not None and typed[:1].isupper() and typed != "BackboneElement" else full
    return not any(_is_choice(at, name) for name, _ in atom.where)


def _is_choice(at: str, name: str) -> bool:
    kind: str | None = at
    while kind:
        if f"{kind}.{name}" in _CHOICE_PATHS:
            return True
        kind = _PARENTS.get(kind)
    return False


def _matches(node: Any, where: tuple[tuple[str, str], ...]) -> bool | None:
    """Whether every ``name = 'literal'`` is true on the node (False: one is false or empty), None: not plain."""
    if not isinstance(node, dict):
        return None
    result = True
    for name, literal in where:
        if "_" + name in node:
            return None
        value = node.get(name)
        if value is None:
            if name in node:
                return None
            result = False  # empty: the item is not kept, whatever the other criteria say
            continue
        if not isinstance(value, str) or not value or value[0].isdigit():
            return None
        if value != literal:
            result = False
    return result


# ---- name <= name, name >= 0 -------------------------------------------------------------------------------

_ORDERS = {"<": lambda c: c < 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0, ">=": lambda c: c >= 0}
_WHOLE = re.compile(r"\d+")
_NUMBERS = (int, float, Decimal)


@dataclass(frozen=True)
class Comparison:
    """``start <= end``, ``period >= 0``: two of the element's own single values, or one and a whole number,
    ordered (per-1 on every Period, tim-* on Timing.repeat, the quantities' value > 0)."""

    op: str
    left: str | int  # a member's name, or a whole number
    right: str | int


def _inequality(node: Any) -> tuple[str, Any, Any] | None:
    """An InequalityExpression's operator and its two operands' nodes, or None for any other node."""
    words = node.get("terminalNodeText") or []
    children = node.get("children") or []
    if node.get("type") != "InequalityExpression" or len(words) != 1 or words[0] not in _ORDERS or len(children) != 2:
        return None
    return words[0], children[0], children[1]


def comparison(node: Any) -> Comparison | None:
    """The operand as a Comparison, or None when it has another shape."""
    parts = _inequality(node)
    if parts is None:
        return None
    op, left_node, right_node = parts
    left, right = _side(left_node), _side(right_node)
    if left is None or right is None or (isinstance(left, int) and isinstance(right, int)):
        return None
    return Comparison(op, left, right)


def _side(term: Any) -> str | int | None:
    """A member's name or a whole number literal, from a TermExpression; None for anything else."""
    text = str(term.get("text") or "")
    inner = (term.get("children") or [{}])[0]
    first = (inner.get("children") or [{}])[0]
    if term.get("type") != "TermExpression":
        return None
    if inner.get("type") == "InvocationTerm" and first.get("type") == "MemberInvocation" and re.fullmatch(_NAME, text):
        return text
    if inner.get("type") == "LiteralTerm" and first.get("type") == "NumberLiteral" and _WHOLE.fullmatch(text):
        return int(text)
    return None


def _compare(atom: Comparison, item: Any, base_path: str) -> list[Any] | None:
    """Two date/dateTime strings ordered as fhirpath._same_shape_order can (the same layout, or moments), two
    numbers (not booleans) as numbers; empty when a side is absent; None (fhirpathpy decides) otherwise."""
    if not isinstance(item, dict):
        return None
    values = []
    for side in (atom.left, atom.right):
        if isinstance(side, int):
            values.append(side)
            continue
        if "_" + side in item or _is_choice(base_path, side):
            return None
        value = item.get(side)
        if value is None:
            if side in item:
                return None
            return []
        values.append(value)
    a, b = values
    if isinstance(a, str) and isinstance(b, str):
        order = _same_shape_order(a, b)
    elif isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS) and not isinstance(a, bool) and not isinstance(b, bool):
        member_int = (isinstance(a, int) and isinstance(atom.left, str)) or (isinstance(b, int)
                                                                             and isinstance(atom.right, str))
        if atom.op == "<" and member_int:
            return None  # maybe a positiveInt / unsignedInt: HL7's opLessThan does not compare one (CANT_COMPARE)
        order = (a > b) - (a < b)
    else:
        return None
    return None if order is None else [_ORDERS[atom.op](order)]


# ---- name = 'literal' ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Equality:
    """``type = 'document'``, ``mode != 'changes'``: one of the element's own strings against a string literal
    (bdl-*, lst-*, the guides' status rules)."""

    name: str
    literal: str
    negated: bool  # !=


def equality(node: Any) -> Equality | None:
    """The operand as an Equality, or None when it has another shape."""
    words = node.get("terminalNodeText") or []
    children = node.get("children") or []
    if node.get("type") != "EqualityExpression" or words not in (["="], ["!="]) or len(children) != 2:
        return None
    name = _side(children[0])
    if isinstance(name, str) and children[1].get("text") == "%ucum":  # the one fixed external constant
        return Equality(name, UCUM, words == ["!="])
    literal_term = (children[1].get("children") or [{}])[0]
    literal = (literal_term.get("children") or [{}])[0]
    text = str(literal.get("text") or "")
    if not isinstance(name, str) or literal_term.get("type") != "LiteralTerm" or literal.get("type") != "StringLiteral":
        return None
    if not re.fullmatch(r"'[^'\\]+'", text) or text[1].isdigit():
        return None
    return Equality(name, text[1:-1], words == ["!="])


def _equal(atom: Equality, item: Any, base_path: str) -> list[Any] | None:
    """Exact equality of a non-empty string that does not look like a date or number; empty when absent."""
    values = _one_string(item, atom.name, base_path)
    if not values:
        return values
    return None if values[0][0].isdigit() else [(values[0] == atom.literal) != atom.negated]


def _one_string(item: Any, name: str, base_path: str) -> list[str] | None:
    """The element's one non-empty string as [value], [] when absent, None when not that plain (an array...)."""
    if not isinstance(item, dict) or isinstance(item.get(name), list) or _is_choice(base_path, name):
        return None
    values = _values(item, name)
    return None if values is None or not all(isinstance(v, str) for v in values) else values


# ---- name.contains('literal'), (a.count() + b.count()) > 0 --------------------------------------------------

_CONTAINS = re.compile(rf"({_NAME})\.contains\('([^'\\]*)'\)(\.not\(\))?")


@dataclass(frozen=True)
class Contains:
    """``fullUrl.contains('/_history/').not()`` (bdl-8): a substring of one of the element's own strings."""

    name: str
    literal: str
    negated: bool


def contains(text: str) -> Contains | None:
    m = _CONTAINS.fullmatch(text)
    return Contains(m.group(1), m.group(2), m.group(3) is not None) if m else None


def _contains(atom: Contains, item: Any, base_path: str) -> list[Any] | None:
    """fhirpath_semantics.contains on a plain string (empty when absent), negated by ``.not()``."""
    values = _one_string(item, atom.name, base_path)
    return [(atom.literal in values[0]) != atom.negated] if values else values


_COUNTED = re.compile(rf"\(({_NAME}\.count\(\)(?:\+{_NAME}\.count\(\))*)\)")


@dataclass(frozen=True)
class Counts:
    """``(identifier.count() + name.count()) > 0`` (org-1): how many values some of the element's own elements
    hold together, against a whole number."""

    op: str
    names: tuple[str, ...]
    number: int


def counts(node: Any) -> Counts | None:
    parts = _inequality(node)
    if parts is None:
        return None
    op, counted, bound = parts
    m = _COUNTED.fullmatch(str(counted.get("text") or ""))
    number = _side(bound)
    if m is None or not isinstance(number, int):
        return None
    return Counts(op, tuple(part[:-len(".count()")] for part in m.group(1).split("+")), number)


def _counts(atom: Counts, item: Any, base_path: str) -> list[Any] | None:
    """The values counted as FHIRPath counts them (an array's items, one for anything else), when all are plain."""
    total = 0
    for name in atom.names:
        values = None if _is_choice(base_path, name) else _values(item, name)
        if values is None:
            return None
        total += len(values)
    return [_ORDERS[atom.op]((total > atom.number) - (total < atom.number))]
