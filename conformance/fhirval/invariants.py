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
- ``bdl-7`` (fullUrl + versionId unique) is quadratic through ``isDistinct()`` on large Bundles.

An expression fhirpathpy cannot parse or evaluate is skipped with an ``information`` issue naming it,
never a crash. Cases where fhirpathpy needed wrapping are recorded in
``tests/fhirval/test_validate_invariants.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhirpathpy import apply_parsed_path
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models
from fhirpathpy.parser import parse
from lxml import etree

from conformance.fhirval.index import Node
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json

NATIVE = frozenset({"ele-1", "ext-1", "dom-2", "dom-3", "dom-4", "dom-5", "dom-6", "ref-1", "txt-1", "txt-2", "bdl-7"})
R4_MODEL: dict[str, Any] = models["r4"]

Constraint = tuple[str, str, str, str]  # key, severity, expression, human
_PARSED: dict[str, Any] = {}
_CONSTRAINTS: dict[int, tuple[Node, tuple[Constraint, ...]]] = {}


def constraints_of(node: Node) -> tuple[Constraint, ...]:
    """The node's invariants that go through FHIRPath (cached per node)."""
    hit = _CONSTRAINTS.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    out = []
    for c in node.ed.get("constraint") or ():
        key, expression = c.get("key", ""), c.get("expression")
        if key in NATIVE or not isinstance(expression, str) or not expression.strip():
            continue
        out.append((key, c.get("severity", "error"), expression, c.get("human", "")))
    result = tuple(out)
    _CONSTRAINTS[id(node)] = (node, result)
    return result


def _parsed(expression: str) -> Any:
    hit = _PARSED.get(expression)
    if hit is None:
        try:
            hit = parse(expression)  # type: ignore[no-untyped-call]
        except Exception as exc:  # noqa: BLE001 - any parser failure means "cannot evaluate"
            hit = exc
        _PARSED[expression] = hit
    return hit


def evaluate(expression: str, item: Any, base_path: str, resource: Json, root: Json) -> list[Any]:
    """Evaluate one expression on an element (typed by its path, for choice elements) of a resource."""
    parsed = _parsed(expression)
    if isinstance(parsed, Exception):
        raise parsed
    node = ResourceNode.create_node(item, base_path)  # type: ignore[no-untyped-call]
    env = {"resource": resource, "rootResource": root}
    result: list[Any] = apply_parsed_path(node, parsed, env, R4_MODEL, _OPTIONS)  # type: ignore[no-untyped-call]
    return result


def _has_value(inputs: list[Any]) -> bool:
    """FHIRPath hasValue(), which fhirpathpy 2.2 lacks: a single primitive that has a value."""
    return len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], (dict, list))


# Functions fhirpathpy does not implement, supplied here (recorded in test_validate_invariants.py).
_OPTIONS = {"userInvocationTable": {
    "hasValue": {"fn": _has_value, "arity": {0: []}},
    # txt-1/txt-2 are checked natively (narrative_problem); the expression itself then passes.
    "htmlChecks": {"fn": lambda inputs: True, "arity": {0: []}},
}}


def check_constraints(
    constraints: tuple[Constraint, ...], item: Any, base_path: str, resource: Json, root: Json, loc: str, sink: Sink,
    noted: Callable[[str], bool],
) -> None:
    """Report each failing invariant at ``loc``; ``noted(key)`` is True the first time a key cannot be evaluated."""
    for key, severity, expression, human in constraints:
        try:
            result = evaluate(expression, item, base_path, resource, root)
        except Exception as exc:  # noqa: BLE001 - fhirpathpy raises plain Exceptions for unsupported features
            if noted(key):
                sink.info("invariant-not-evaluated", loc,
                          f"invariant {key} not evaluated: fhirpathpy cannot evaluate {expression!r} ({_brief(exc)})")
            continue
        if _failed(result):
            level = "warning" if severity == "warning" else "error"
            sink.add(level, "invariant", loc, f"constraint failed: {key}: {human or expression}")


def _failed(result: list[Any]) -> bool:
    """An invariant fails only on a single false; empty means "not applicable" (FHIRPath 3-valued logic)."""
    return len(result) == 1 and result[0] is False


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
