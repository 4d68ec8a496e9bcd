"""fhirpathpy as the validator runs it: its evaluation without per-call setup, and the wraps it needs.

Each wrap answers a case where fhirpathpy 2.2 is measured wrong or missing (recorded, with the engine's
own answer beside ours, in tests/fhirval/test_validate_invariants.py): ``hasValue()`` is missing;
date/dateTime strings compare as text; ``htmlChecks()`` (txt-1 / txt-2) exists only in HL7's Java
engine, so :func:`narrative_problem` checks the narrative's XHTML natively, with lxml (entities, DTDs
and the network all off); ``htmlChecks()`` in any other invariant answers as HL7's funcHtmlChecks1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from fhirpathpy.engine import do_eval
from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.invocations import equality
from fhirpathpy.engine.invocations.constants import constants
from fhirpathpy.engine.nodes import FP_DateTime, FP_Type, ResourceNode
from fhirpathpy.engine.util import get_data, process_user_invocation_table
from fhirpathpy.models import models
from lxml import etree

from conformance.fhirval import (
    fhirpath_boundaries,
    fhirpath_collections,
    fhirpath_dates,
    fhirpath_functions,
    fhirpath_hoist,
    fhirpath_logic,
    fhirpath_primitives,
    fhirpath_quantities,
    fhirpath_resolve,
    fhirpath_scope,  # noqa: F401 - restores $this after each iteration (see there)
    fhirpath_semantics,
    fhirpath_singletons,
)
from conformance.fhirval.xhtml_parser import diverges
from conformance.fhirval.xhtml_parser import parse as parse_as_hl7
from conformance.fhirval.xhtml_reader import XhtmlParseError
from conformance.fhirval.xhtml_rules import has_content, root_attribute_ok, structure_problems

R4_MODEL: dict[str, Any] = models["r4"]
UCUM = "http://unitsofmeasure.org"


def engine(tree: Any, item: Any, base_path: str, env: dict[str, Any], *, shadows: bool = False) -> list[Any]:
    """fhirpathpy's own evaluation of a parsed expression, as ``apply_parsed_path`` does it less the setup that
    never changes (the function table it rebuilds on every call was a sixth of a short invariant's time).
    ``shadows``: keep the ``_name`` objects fhirpathpy returns for primitives with extensions (the very
    objects of the resource, so a caller can tell which primitive was selected)."""
    constants.reset()  # type: ignore[no-untyped-call]
    node = ResourceNode.create_node(item, base_path)  # type: ignore[no-untyped-call]
    root = [node]
    # %resource / %rootResource as typed nodes: fhirpathpy types a bare dict as a System value, so
    # ``%resource.is(Questionnaire)`` (SDC's and R5's extension context invariants) was false
    env = {k: _typed(v) for k, v in env.items()}
    ctx = {"dataRoot": root, "vars": fhirpath_semantics.Environment(context=node, ucum=UCUM, **env), "model": R4_MODEL,
           "userInvocationTable": _TABLE, "traceFn": _OPTIONS["traceFn"], fhirpath_primitives.PRIMITIVES_WHOLE: True,
           "$this": root,  # $this outside any iteration is the focus, as HL7's engine starts (fhirpathpy: KeyError)
           fhirpath_hoist.HOISTED: {}}  # the %variable paths met in this evaluation, each evaluated once
    out = do_eval(ctx, root, tree)  # type: ignore[no-untyped-call]
    result = []
    for value in out if isinstance(out, list) else [out]:
        if shadows and isinstance(value, ResourceNode) and isinstance(value._data, dict):
            result.append(value._data)  # the _name object of a primitive with a value
        data = get_data(value)  # type: ignore[no-untyped-call]
        if not shadows and isinstance(data, dict) and not isinstance(data, FP_Type) and list(data) == ["extension"]:
            continue  # fhirpathpy's representation of a primitive with extensions and no value, as it drops it
        result.append(data)
    return result


def _typed(value: Any) -> Any:
    """A resource (a dict with ``resourceType``) as a fhirpathpy node of its type; anything else as it is."""
    if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
        return ResourceNode.create_node(value, value["resourceType"])  # type: ignore[no-untyped-call]
    return value


def _values(inputs: list[Any]) -> list[Any]:
    """The items of a primitive's collection as HL7's engine sees them: fhirpathpy adds the primitive's
    ``_x`` object (its extensions) beside the value, so ``status`` with extensions is two items there."""
    return [v for v in inputs
            if not (isinstance(v, dict) and not isinstance(v, FP_Type) and set(v) <= {"extension", "id"})]


def _has_value(inputs: list[Any]) -> bool:
    """FHIRPath hasValue(), which fhirpathpy 2.2 lacks: a single primitive that has a value."""
    inputs = _values(inputs)
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
    if not (isinstance(a, str) and isinstance(b, str)):
        return None
    if not (len(a) == len(b) and _DATE_LIKE.fullmatch(a) and _DATE_LIKE.fullmatch(b)
            and a.translate(_DIGIT) == b.translate(_DIGIT)):
        return _instant_order(a, b) if "T" in a and "T" in b else None
    if "T" in a:
        zone_a, zone_b = a[19:].lstrip(".0123456789"), b[19:].lstrip(".0123456789")
        if zone_a != zone_b or not zone_a:
            return _instant_order(a, b) if zone_a and zone_b else None
    return (a > b) - (a < b)


# a dateTime to the second (a fraction allowed) with its zone: a moment in time
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")


def _instant_order(a: str, b: str) -> int | None:
    """-1/0/1 for two dateTimes to the second (fractions of as many digits) in different zones (a Period's
    ``+00:00`` start and ``+01:00`` end, ``Z`` and ``+01:00``), as moments: what FP_DateTime answers, at a
    hundredth of its cost; None for anything else (FP_DateTime then decides)."""
    ma, mb = _INSTANT.fullmatch(a), _INSTANT.fullmatch(b)
    if ma is None or mb is None or len(ma.group(1) or "") != len(mb.group(1) or ""):
        return None
    try:
        ta = datetime.fromisoformat(a.replace("Z", "+00:00"))
        tb = datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:  # a day or hour that does not exist: FP_DateTime's answer stands
        return None
    return (ta > tb) - (ta < tb)


def _comparison(symbol: str, op: Callable[[int], bool], original: Callable[..., Any]) -> Callable[..., Any]:
    """An inequality that compares FHIR date/dateTime strings as dates, not as text.

    fhirpathpy compares a Period's ``start <= end`` (untyped JSON strings) lexically, so
    ``"2023-06-21" <= "2023-06-21T06:20:00Z"`` is true; FHIRPath (and HL7's validator) make a comparison
    of values at different precisions that agree up to the shorter one empty, which fails per-1.
    """
    def compare(ctx: Any, left: list[Any], right: list[Any]) -> Any:
        if len(left) != 1 or len(right) != 1:
            return []
        if fhirpath_singletons.compare_check(symbol, left[0], right[0], _is_quantity):  # HL7's types (opLessThan...)
            return []
        order = fhirpath_quantities.compare(left[0], right[0], R4_MODEL)  # before fhirpathpy, which cannot
        if order is None:
            return []
        if order is not False:
            return op(order)
        quick = _same_shape_order(get_data(left[0]), get_data(right[0]))  # type: ignore[no-untyped-call]
        if quick is not None:
            return op(quick)
        a, b = _temporal(left[0]), _temporal(right[0])
        if isinstance(a, FP_DateTime) and isinstance(b, FP_DateTime):
            order = a.compare(b)  # type: ignore[no-untyped-call]
            return [] if order is None else op(order)
        return original(ctx, left, right)
    return compare


def _is_quantity(item: Any) -> bool:
    return fhirpath_quantities.quantity_of(item, R4_MODEL) is not None


# Functions fhirpathpy does not implement or gets wrong, supplied here (recorded in test_validate_invariants.py).
_OPTIONS: dict[str, Any] = {"traceFn": lambda label, value: None, "userInvocationTable": {
    "hasValue": {"fn": _has_value, "arity": {0: []}},
}}
_TABLE = process_user_invocation_table(_OPTIONS["userInvocationTable"])  # type: ignore[no-untyped-call]

# memberOf(valueset), which fhirpathpy lacks, against the terminology of the validation under way (set by each
# Walker; one per thread or task). Only a definite answer is given: a value set not held, or a code whose
# membership cannot be told locally, raises, so the invariant is "not evaluated", never failed.
TERMINOLOGY: ContextVar[Any] = ContextVar("fhirval_terminology", default=None)


def _member_of(ctx: Any, inputs: list[Any], url: Any) -> bool | list[Any]:
    term = TERMINOLOGY.get()
    if isinstance(url, list):
        url = url[0] if len(url) == 1 else None
    if len(_values(inputs)) != 1 or url is None:  # funcMemberOf: not one item or not one URL is empty, before the
        return []  # value set is looked for
    if term is None or not isinstance(url, str):
        raise ValueError("memberOf: no terminology or value set URL")
    expansion = term.expand(url)
    if expansion is None:
        raise ValueError(f"memberOf: the value set {url} is not held")
    value = get_data(_values(inputs)[0])  # type: ignore[no-untyped-call]
    codings: list[tuple[Any, Any]]
    if isinstance(value, str):
        codings = [(None, value)]
    elif isinstance(value, dict) and isinstance(value.get("coding"), list):
        codings = [(c.get("system"), c.get("code")) for c in value["coding"] if isinstance(c, dict)]
    elif isinstance(value, dict):
        codings = [(value.get("system"), value.get("code"))]
    else:
        return []  # funcMemberOf: an item of another type than code, string, uri, Coding or CodeableConcept
    answers = [expansion.contains(system, code) for system, code in codings if isinstance(code, str)]
    if True in answers:
        return True
    if None in answers:
        raise ValueError(f"memberOf: membership in {url} cannot be told locally")
    return False


_TABLE["memberOf"] = {"fn": _member_of, "arity": {1: ["String"]}}
_TABLE.update(fhirpath_semantics.TABLE)  # =, !=, ~, toString, as, ofType, contains... (fhirpath_semantics.py)
_TABLE.update(fhirpath_boundaries.TABLE)  # lowBoundary / highBoundary, as HL7's engine computes them
_TABLE.update(fhirpath_functions.TABLE)  # sort, precision, comparable, round(), indexOf/replace on {} ...
_TABLE.update(fhirpath_resolve.TABLE)  # resolve(): contained and Bundle references (fhirpath_resolve.py)
_TABLE.update(fhirpath_quantities.TABLE)  # abs() of a Quantity
_TABLE.update(fhirpath_dates.TABLE)  # date / time + quantity in the value's own zone and precision (dateAdd)
_TABLE.update(fhirpath_logic.TABLE)  # not / single / where / exists / all / iif read booleans as HL7's asBool
_TABLE.update(fhirpath_collections.TABLE)  # | / union() / distinct() return the items themselves, typed (opUnion)
# the inequalities see the nodes (a resource's Quantity is told by its type), so they are not in _OPTIONS, whose
# entries process_user_invocation_table hands plain data
_TABLE.update({
    "<": {"fn": _comparison("<", lambda c: c < 0, equality.lt), "arity": {2: ["Any", "Any"]}, "nullable": True},
    "<=": {"fn": _comparison("<=", lambda c: c <= 0, equality.lte), "arity": {2: ["Any", "Any"]}, "nullable": True},
    ">": {"fn": _comparison(">", lambda c: c > 0, equality.gt), "arity": {2: ["Any", "Any"]}, "nullable": True},
    ">=": {"fn": _comparison(">=", lambda c: c >= 0, equality.gte), "arity": {2: ["Any", "Any"]}, "nullable": True},
})  # =, !=, toString, as, ofType, contains... (fhirpath_semantics.py)
_TABLE["extension"] = {"fn": fhirpath_primitives.extension, "arity": {1: ["String"]}}
_TABLE["htmlChecks"] = {"fn": lambda ctx, inputs: _html_checks(inputs), "arity": {0: []}}
fhirpath_singletons.install(_TABLE)  # HL7's errors and answers on several items or mismatched types, in front


# ---- a type name as an expression's first step -------------------------------------------------------

_MEMBER = evaluators["MemberInvocation"]
_PARENTS: dict[str, str] = R4_MODEL["type2Parent"]


def _names_type(node: Any, name: str) -> bool:
    """Whether ``name`` is the node's type or one of its ancestors (``MeasureReport``, ``DomainResource``)."""
    data = node.data if isinstance(node, ResourceNode) else None
    kind = data.get("resourceType") if isinstance(data, dict) else None
    kind = kind if isinstance(kind, str) else _PATH_TYPES.get(str(getattr(node, "path", "")), getattr(node, "path", ""))
    while isinstance(kind, str) and kind:
        if kind == name:
            return True
        kind = _PARENTS.get(kind)
    return False


def _member_invocation(ctx: Any, parent: Any, node: Any) -> Any:
    """HL7's FHIRPathEngine answers a capitalised first step that names the focus's type or an ancestor with
    the focus itself ("special case for start up": ``MeasureReport.status != 'completed'``, SANER's root
    invariant); fhirpathpy finds it only on plain dicts, never on the typed node the validator evaluates on."""
    if parent is ctx.get("dataRoot") and isinstance(parent, list) and parent:
        ident = node["children"][0]
        name = str(ident.get("text") or "").replace("`", "")
        if name[:1].isupper() and all(_names_type(n, name) for n in parent):
            return parent
    return _MEMBER(ctx, parent, node)


evaluators["MemberInvocation"] = _member_invocation
_PATH_TYPES: dict[str, str] = R4_MODEL["path2Type"]

# ---- htmlChecks() for txt-1 / txt-2 -------------------------------------------------------------

XHTML_NS = "http://www.w3.org/1999/xhtml"
# R4 narrative.html's list, as HL7's validator holds it (FHIRPathEngine.java checkHtmlNames, XhtmlValidator.java
# HTML_ELEMENTS): address, bdo, kbd, map and area are basic formatting too.
_ALLOWED = frozenset(
    "a abbr acronym address area b bdo big blockquote br caption cite code col colgroup dd dfn div dl dt em h1 h2 "
    "h3 h4 h5 h6 hr i img kbd li map ol p pre q samp small span strong sub sup table tbody td tfoot th thead tr tt "
    "ul var".split()
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_div(div: str) -> etree._Element:
    """A ``Narrative.div`` parsed (raises XMLSyntaxError), as HL7's validator reads one: see :func:`read_div`."""
    return read_div(div)[0]


def read_div(div: str) -> tuple[etree._Element, list[str]]:
    """A ``Narrative.div`` read as HL7's JsonParser reads it (``XhtmlParser`` in XML mode), and the entities that
    reader calls illegal (XHTML_XHTML_Entity_Illegal); raises XMLSyntaxError (``xhtml_parser.XhtmlParseError``)
    where that reader throws. lxml reads it first; HL7's lenient reader (xhtml_parser.py) only a div lxml refuses
    or one the two could read differently (``xhtml_parser.diverges``)."""
    if not diverges(div):
        try:
            root = etree.fromstring(div.encode("utf-8", "surrogatepass"), _PARSER)
            if root.getroottree().docinfo.internalDTD is None:  # HL7's reader stops a DOCTYPE at its first '>'
                return root, []
        except etree.XMLSyntaxError:
            pass
    try:
        return parse_as_hl7(div)
    except (ValueError, TypeError, UnicodeError) as exc:  # a name or namespace lxml cannot hold: still no XHTML
        raise XhtmlParseError(f"the narrative cannot be read as XHTML ({exc})") from exc


TXT_1 = "txt-1: the narrative has an element or attribute a basic XHTML narrative does not allow"
TXT_2 = "txt-2: the narrative SHALL have some non-whitespace content"


def narrative_problems(div: str) -> list[tuple[str, str]]:
    """What HL7's validator finds wrong in a ``Narrative.div``, as (defect code, message), from one parse.

    HL7 runs each of these on its own (hapifhir/org.hl7.fhir.core): the invariants txt-1 (FHIRPathEngine
    ``funcHtmlChecks1`` / ``checkHtmlNames``: every element name, root included, and attribute on its list, no
    DOCTYPE) and txt-2 (``checkForContent``: some text or an img), both failing on a div the parser could not
    read (JsonParser leaves its XHTML null); XhtmlValidator's namespace (root and any inner declaration), root
    name, every illegal element name and attribute (``checkInnerNames``) and the rules of ``xhtml_rules.py``.
    A div is read as HL7's JsonParser reads it (:func:`read_div`): an HTML entity is XHTML_XHTML_Entity_Illegal
    (and read), what that reader throws on is ERROR_PARSING_XHTML_."""
    try:
        root, entities = read_div(div)
    except etree.XMLSyntaxError as exc:
        unread = "the narrative could not be read as XHTML, so htmlChecks() fails"
        return [("narrative", f"the narrative is not well-formed XHTML: {exc.msg}"), ("invariant", f"txt-1: {unread}"),
                ("invariant", f"txt-2: {unread}")]
    found: list[tuple[str, str]] = [
        ("narrative", f"the narrative uses the entity {name!r}: only XML's own (&amp; &lt; &gt; &quot; &apos;) "
                      "are allowed in XHTML") for name in dict.fromkeys(entities)] if entities else []
    ns, local = _split(root.tag)
    if ns != XHTML_NS:
        found.append(("narrative", f"the narrative's XHTML has the wrong namespace ({ns!r}, should be {XHTML_NS!r})"))
    if local != "div":
        found.append(("narrative", f"the narrative must be an XHTML div, not <{local}>"))
    # checkHtmlNames reads the root's attributes too (XhtmlValidator only its descendants')
    names_ok = local in _ALLOWED and (not len(root.attrib)
                                      or all(root_attribute_ok(local, str(a)) for a in root.keys()))
    for el in root.iterdescendants():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        el_ns, el_local = _split(tag)
        if el_ns != XHTML_NS and el_ns != _split(el.getparent().tag)[0]:  # declared here
            found.append(("narrative", f"the narrative's XHTML has the wrong namespace ({el_ns!r}, should be "
                                       f"{XHTML_NS!r})"))
        if el_local not in _ALLOWED:
            names_ok = False
            found.append(("narrative", f"the element {el_local!r} is not allowed in XHTML narrative"))
    rules = structure_problems(root)
    if not names_ok or any(" is not allowed on <" in p or p.startswith("a DOCTYPE") for p in rules):
        found.insert(0, ("invariant", TXT_1))
    found += [("narrative", p) for p in rules]
    # checkForContent: a text node with something left after Java's trim() (not a CDATA section), or an img;
    # without joining it all
    text = any(has_content(t) for t in root.itertext())
    if not text and not any(isinstance(el.tag, str) and _split(el.tag)[1] == "img" for el in root.iter()):
        found.append(("invariant", TXT_2))
    return found


def _html_checks(inputs: list[Any]) -> list[Any] | bool:
    """``htmlChecks()`` as FHIRPathEngine.funcHtmlChecks1 answers it before R6: one xhtml item (a narrative's
    div), or one ``string`` read as the content of a div, whose element and attribute names are all basic
    narrative XHTML (txt-1's half of :func:`narrative_problems`; a text that does not parse is false); not one
    item, or an item of another type, is empty. txt-1 / txt-2 themselves are checked natively."""
    if len(inputs) != 1:
        return []
    item = inputs[0]
    kind = item.path if isinstance(item, ResourceNode) else "string" if isinstance(item, str) else None
    value = get_data(item)  # type: ignore[no-untyped-call]
    if not isinstance(value, str) or kind not in ("xhtml", "string"):
        return []
    div = value if kind == "xhtml" else f'<div xmlns="{XHTML_NS}">{value}</div>'
    return not any(code == "invariant" and text.startswith("txt-1") for code, text in narrative_problems(div))


def narrative_problem(div: str) -> str | None:
    """The first message of :func:`narrative_problems`, or None."""
    found = narrative_problems(div)
    return found[0][1] if found else None


def _split(tag: Any) -> tuple[str, str]:
    """An lxml tag's (namespace, local name)."""
    text = str(tag)
    ns, _, local = text[1:].partition("}") if text.startswith("{") else ("", "", text)
    return ns, local
