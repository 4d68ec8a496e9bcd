"""Slicing: which slice each repeating value belongs to, and the rules over the slices.

A value belongs to the first slice whose discriminators all match (R4 profiling.html#discriminator):
``value`` / ``pattern`` compare what the slice fixes at the discriminator path (fixed[x], pattern[x],
or, failing those, a required binding); ``exists`` tests presence; ``type`` the value's type;
``profile`` whether the value conforms to the slice's type profile (a trial validation). Paths are
the FHIRPath subset profiles use: ``$this``, dotted names, ``extension('url')``, ``ofType(T)``,
``resolve()``. Then: each slice's min/max; ``closed`` rejects unmatched values; ``openAtEnd`` puts
them after every sliced value; ``ordered`` keeps the slices' order.

A required binding whose value set (or code system) is not held here, or a profile discriminator naming a
profile of a package the harness lacks (a dependency, or HL7's extensions package, not loaded), cannot say whether
a value is in the slice: such a value is uncertain, counted in no slice, and a slice it might fill is not judged
short of its minimum (information), nor the value unmatched by closed slicing; a harness's lack, not the
instance's. A profile nothing could define is HL7's lack too: its conformsTo throws, SLICING_CANNOT_BE_EVALUATED.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from conformance.fhirval.index import Node, StructureIndex
from conformance.fhirval.issues import Sink
from conformance.fhirval.slice_expressions import problem
from conformance.fhirval.source import Json, as_loaded
from conformance.fhirval.values import children_named, equals_fixed, matches_pattern

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

_EXT = re.compile(r"extension\(['\"](?P<url>[^'\"]+)['\"]\)")
_OFTYPE = re.compile(r"ofType\((?P<type>[A-Za-z]+)\)")


def _steps(path: str) -> list[str]:
    return [s for s in re.split(r"\.(?![^(]*\))", path) if s and s != "$this"]


def _definition_at(w: Walker, node: Node, steps: list[str]) -> Node | None:
    """The element definition at ``steps`` below a slice (descending into types where it is not expanded)."""
    cur: Node | None = node
    narrowed = ""  # the type an ``ofType(T)`` step chose among the element's types
    for n, step in enumerate(steps):
        if cur is None:
            return None
        if step == "resolve()" and n + 1 < len(steps):
            cur, narrowed = _resolved_root(w, cur), ""
            continue
        if step == "resolve()":
            continue
        of_type = _OFTYPE.fullmatch(step)
        if of_type:
            # FHIRPathEngine.evaluateDefinition: ofType(T) keeps the element typed T, or ends the path with nothing
            # found (``okToNotResolve``) when T is none of its types; the next step reads T's definition
            narrowed = of_type.group("type")
            if cur.types and narrowed not in {t.code for t in cur.types}:
                return None
            continue
        children = cur.children
        defined_elsewhere = cur.types and cur.types[0].profile_element  # its definition is another profile's element
        if (not children or defined_elsewhere) and cur.types:
            t = next((t for t in cur.types if t.code == narrowed), cur.types[0])
            if t.code == "Extension" and t.profiles and step == "url":
                return cur  # the url of an extension slice is its profile's canonical
            idx = w.model.index(t.profiles[0] if t.profiles else t.code)
            defining = idx.by_id.get(t.profile_element) if idx and t.profile_element else idx.root if idx else None
            children = defining.children if defining is not None else {}
        m = _EXT.fullmatch(step)
        if m:
            ext = children.get("extension")
            url = m.group("url")
            cur = next((s for s in ext.slices if _extension_of(w, s, url)), None) if ext else None
            narrowed = ""
            continue
        cur, narrowed = children.get(step) or children.get(step + "[x]"), ""
        if cur is not None and cur.slicing is not None and cur.slices:
            # a sliced element on the path: FHIRPathEngine.evaluateDefinition skips a child that has slicing
            # (``tailMatches(t, name) && !t.hasSlicing()``) and so reads the first slice, in snapshot order, that has
            # none, whatever its cardinality, wherever on the path (R4's bp profile: code.coding.code, fixed in
            # component:SystolicBP.code.coding:SBPCode; BFDR's Encounter.participant:attendant.type:requiredType,
            # whose pattern is the discriminator's value); a slice without children of its own is read through its
            # type, as that step does for any element
            cur = _first_unsliced(cur) or cur
    return cur


def _extension_of(w: Walker, slice_node: Node, url: str) -> bool:
    """Whether an extension slice is the one ``extension(url)`` names. FHIRPathEngine.evaluateDefinition follows the
    slice's (first) type profile up its base definitions to the one that constrains Extension itself and compares
    that one's url: a profile of another extension (a guide's constraint on US Core's race), or a profile given with
    a ``|version``, still names the extension. The canonical as written is also taken, for a profile not held."""
    if any(url in t.profiles for t in slice_node.types):
        return True
    profiles = slice_node.types[0].profiles if slice_node.types else ()
    idx = w.model.index(profiles[0]) if profiles else None
    for _ in range(16):  # a bounded walk: a base chain that loops ends here
        if idx is None:
            return bool(profiles) and profiles[0].split("|")[0] == url
        base = str(idx.sd.get("baseDefinition") or "").split("|")[0]
        if base in ("", _EXTENSION):
            return idx.url == url
        idx = w.model.index(base)
    return False


_EXTENSION: Final = "http://hl7.org/fhir/StructureDefinition/Extension"


def _first_unsliced(node: Node) -> Node | None:
    """The first slice of ``node`` in snapshot order that is not itself sliced: a re-sliced slice's re-slices follow
    it in the snapshot, before the next slice."""
    for s in node.slices:
        if s.slicing is None:
            return s
        inner = _first_unsliced(s)
        if inner is not None:
            return inner
    return None


def _resolved_root(w: Walker, cur: Node) -> Node:
    """A path going on past ``resolve()`` reads the reference's one target profile (FHIRPathEngine.evaluateDefinition:
    ``focus`` becomes that profile's root; more targets, or none, it cannot follow, and we stay, as before)."""
    targets = cur.types[0].target_profiles if len(cur.types) == 1 else ()
    idx = w.model.index(targets[0]) if len(targets) == 1 else None
    return idx.root if idx is not None and idx.root is not None else cur


def _values(w: Walker, item: Any, steps: list[str], tcode: str, loc: str = "$") -> list[tuple[Any, str, str]]:
    """Instance values at ``steps`` with their type code where known, and where each stands (as the walk names
    it: a trial of a value against a profile judges its extensions' context from there)."""
    found: list[tuple[Any, str, str]] = [(item, tcode, loc)]
    for step in steps:
        nxt: list[tuple[Any, str, str]] = []
        m = _EXT.fullmatch(step)
        t = _OFTYPE.fullmatch(step)
        for value, vtype, vloc in found:
            if m:
                exts = value.get("extension") if isinstance(value, dict) else None
                nxt += [(e, "Extension", f"{vloc}.extension[{i}]") for i, e in enumerate(exts or ())
                        if isinstance(exts, list) and isinstance(e, dict) and e.get("url") == m.group("url")]
            elif t:
                if vtype in ("", t.group("type")):
                    nxt.append((value, t.group("type"), vloc))
            elif step == "resolve()":
                target = w.resolve(value.get("reference")) if isinstance(value, dict) else None
                if target is not None:  # judged at its own place (Walker.place_of)
                    nxt.append((target, str(target.get("resourceType", "")), "$"))
            else:
                nxt += _children(value, step, vloc)
        found = nxt
    return found


def _children(value: Any, step: str, loc: str) -> list[tuple[Any, str, str]]:
    """The values of property ``step``, each with its type (a choice's) and its location."""
    if not isinstance(value, dict):
        return []
    out: list[tuple[Any, str, str]] = []
    counts: dict[str, int] = {}
    for v, choice in children_named(value, step):
        key = step + (choice or "")
        i = counts[key] = counts.get(key, -1) + 1
        vtype = _type_name(choice) if choice else ""
        at = f"{loc}.{step}.ofType({vtype})" if choice else f"{loc}.{step}"
        out.append((v, vtype, f"{at}[{i}]" if isinstance(value.get(key), list) else at))
    return out


def _type_name(suffix: str) -> str:
    return suffix if suffix[:1].isupper() and suffix not in _PRIMITIVE_CAPS else suffix[:1].lower() + suffix[1:]


_PRIMITIVE_CAPS = {"String", "Boolean", "Integer", "Decimal", "Uri", "Url", "Canonical", "Base64Binary", "Instant",
                   "Date", "DateTime", "Time", "Code", "Oid", "Id", "Markdown", "UnsignedInt", "PositiveInt", "Uuid"}


@dataclass(frozen=True)
class Unevaluable:
    """HL7's sliceMatches throws for this slice (matchSlice: SLICING_CANNOT_BE_EVALUATED), and why."""

    reason: str


_NOTHING: Final = Unevaluable("the slice gives its discriminators nothing to test by (no fixed value, pattern, "
                              "required binding or element at their paths)")


def _matches(w: Walker, slice_node: Node, item: Any, tcode: str, discriminators: list[dict[str, Any]],
             loc: str = "$") -> bool | Unevaluable | None:
    """Whether the item is in the slice; None when a discriminator cannot tell (an unknown value set).

    As HL7's sliceMatches, a discriminator the slice gives nothing to test by (no element at its path, or a value
    or pattern discriminator whose element fixes nothing, patterns nothing, is not prohibited and has no required
    binding) is left out, and the others decide; a slice with nothing to test by at all is Unevaluable (HL7's
    throws "Could not match discriminator", which matchSlice reports as SLICING_CANNOT_BE_EVALUATED), and so is a
    slice whose discriminator HL7 throws on (an ``exists`` discriminator on an element neither required nor
    prohibited, a fixed or pattern value buildFixedExpression / buildPattternExpression cannot express)."""
    certain = True
    tested = False
    targets: list[tuple[str | None, list[str], Node]] = []
    for d in discriminators:  # HL7 builds the whole expression before testing any value: what it throws on first
        kind, path = d.get("type"), str(d.get("path", "$this"))
        steps = _steps(path)
        target = _definition_at(w, slice_node, steps)
        if target is None:
            continue
        why = _cannot_build(slice_node, target, kind, path)
        if why is not None:
            return why
        targets.append((kind, steps, target))
    for kind, steps, target in targets:
        located = _values(w, item, steps, tcode, loc)
        values = [(v, vt) for v, vt, _ in located]
        tested, before = True, tested
        if kind == "exists":
            if (target.min >= 1) != bool(values):
                return False
            continue
        if kind in ("type", "profile") and target.ed.get("max") == "0":
            if values:  # sliceMatches tests max 0 first, whatever the discriminator: "discriminator.empty()"
                return False
            continue
        if kind in ("value", "pattern"):
            matched = _value_matches(w, target, values)
            if matched == _UNTESTED:
                tested = before
                continue
            if matched is False:
                return False
            certain = certain and matched is True
        elif kind == "type":
            allowed = {t.code for t in target.types}
            if steps and steps[-1] == "resolve()":  # the type of the resource referenced: the target profiles'
                allowed = {w.model.sd_type(p) for t in target.types for p in t.target_profiles} or allowed
            if len(values) != 1 or not _is_type(*values[0], allowed):  # FHIRPath ``is``: false unless one item
                return False
        elif kind == "profile":
            # a reference's target profiles through resolve(), the type's own profiles otherwise (sliceMatches)
            ref = bool(steps) and steps[-1] == "resolve()"
            profiles = [p for t in target.types for p in (t.target_profiles if ref else t.profiles)]
            if not profiles:  # this slice names no profile at this path: HL7's sliceMatches adds no test for it
                continue  # ("we don't have to find something"), so the other discriminators, or none, decide
            if len(values) != 1:  # FHIRPathEngine.funcConformsTo: false unless the focus is one item
                return False
            for v, vt, vloc in located:  # each tried where it stands
                found = _conforms_to(w, v, vt, profiles, vloc)
                if isinstance(found, Unevaluable) or found is False:
                    return found
                certain = certain and found is True

        else:
            return False
    if not tested:
        return _NOTHING
    return True if certain else None


def _conforms_to(w: Walker, value: Any, vtype: str, profiles: list[str], loc: str) -> bool | Unevaluable | None:
    """sliceMatches' ``conformsTo('a') or conformsTo('b')``, left to right, stopping at the first true (FHIRPathEngine's
    preOperate). A profile HL7 cannot resolve makes InstanceValidator.conformsToProfile throw (UNABLE_TO_RESOLVE_),
    which matchSlice reports as SLICING_CANNOT_BE_EVALUATED; only a profile the harness lacks (a dependency, or HL7's
    extensions package, not loaded: Model.missing_dependency) is left open (None), as HL7 holding it could tell."""
    open_ = False
    for p in profiles:
        pidx = w.model.index(p)
        if pidx is not None and pidx.root is not None:
            if w.conforms(value, vtype, p, loc):
                return True
        elif w.model.missing_dependency(p) is None and not _held(w, p):
            return Unevaluable(f"unable to resolve the profile {p}")
        else:
            open_ = True  # it may meet the profile the harness lacks (or cannot build): cannot tell
    return None if open_ else False


def _held(w: Walker, url: str) -> bool:
    """Whether a structure of that URL is held as loaded (HL7's fetchResource), whether its snapshot builds or not."""
    source = w.model.source
    try:
        return as_loaded(source)(url) is not None
    except Exception:  # noqa: BLE001 - held, but it cannot be read: not a structure HL7 lacks
        return True


def _cannot_build(slice_node: Node, target: Node, kind: str | None, path: str) -> Unevaluable | None:
    """What sliceMatches throws on while it builds the slice's expression, whatever the value (matchSlice reports it
    as SLICING_CANNOT_BE_EVALUATED): an ``exists`` discriminator on an element neither required nor prohibited, a
    fixed or pattern value buildFixedExpression / buildPattternExpression cannot express."""
    if target.ed.get("max") == "0":  # ``discriminator.empty()``, before anything else
        return None
    if kind == "exists":
        if target.min >= 1:
            return None
        # DISCRIMINATOR__IS_BASED_ON_ELEMENT_EXISTENCE_BUT_SLICE__NEITHER_SETS_MIN1_OR_MAX0
        return Unevaluable(f"the discriminator exists:{path} is based on element existence, but the slice "
                           f"{slice_node.slice_name} neither sets min>=1 or max=0")
    if kind not in ("value", "pattern") or _extension_slice(target):
        return None
    for prefix, given in (("fixed", target.fixed()), ("pattern", target.pattern())):
        if given is not None:
            why = problem(target.ed, prefix, given[0], given[1])
            return None if why is None else Unevaluable(
                f"the {prefix} value of {target.path} cannot be used as a discriminator: {why}")
    return None


def _extension_slice(target: Node) -> bool:
    """An extension slice whose url is its profile's (the value discriminator ``url`` read through the type)."""
    return bool(target.types and target.types[0].code == "Extension" and target.types[0].profiles
                and not target.children)


def _is_type(value: Any, vtype: str, allowed: set[str]) -> bool:
    """sliceMatches tests a type discriminator as FHIRPath ``is``, which takes subtypes: an element typed
    ``Resource`` (a Bundle entry's resource) holds a resource of any type, ``DomainResource`` any but Bundle, Binary
    and Parameters."""
    rtype = value.get("resourceType") if isinstance(value, dict) else None
    if not isinstance(rtype, str):
        return vtype in allowed
    return (vtype or rtype) in allowed or "Resource" in allowed or (
        "DomainResource" in allowed and rtype not in ("Bundle", "Binary", "Parameters"))


_UNTESTED: Final = "untested"  # a value or pattern discriminator whose element gives nothing to test by


def _value_matches(w: Walker, target: Node, values: list[tuple[Any, str]]) -> bool | str | None:
    if _extension_slice(target):
        url = _extension_url(w, target.types[0].profiles[0])
        return any(v == url for v, _ in values)
    if target.ed.get("max") == "0":  # prohibited in the slice: it matches values without it (HL7's validator
        return not values  # tests max 0 before anything the element fixes: sliceMatches, "discriminator.empty()")
    fixed, pattern = target.fixed(), target.pattern()
    for given, exact in ((fixed, True), (pattern, False)):
        if given is None:
            continue
        partial = _PARTIAL.get(given[0])
        if partial is not None and isinstance(given[1], dict):
            return any(partial(given[1], v) for v, _ in values)
        return any((equals_fixed if exact else matches_pattern)(given[1], v) for v, _ in values)
    binding = target.ed.get("binding")
    if isinstance(binding, dict) and binding.get("strength") == "required" and binding.get("valueSet"):
        # sliceMatches writes ``path memberOf 'vs'``: the infix operator (FHIRPathEngine.opMemberOf), true when
        # any one item is in the value set, false for none; an item that cannot be told here leaves it open.
        code = target.types[0].code if target.types else "code"
        found = [_in_binding(w, binding, code, v) for v, _ in values]
        return True if True in found else (None if None in found else False)
    return _UNTESTED


def _extension_url(w: Walker, profile: str) -> str:
    """The url an extension slice's values carry: what its profile fixes ``Extension.url`` to, which for a
    constraint on another extension (a guide's profile of US Core's race) is that extension's url, not the
    profile's own canonical; the canonical when the profile is not loaded or fixes none. HL7's
    getCriteriaForDiscriminator follows the type's profile to its ``url`` element and matches its fixed value."""
    pidx = w.model.index(profile)
    url_node = pidx.root.children.get("url") if pidx is not None and pidx.root is not None else None
    fixed = url_node.fixed() if url_node is not None else None
    return fixed[1] if fixed is not None and isinstance(fixed[1], str) else profile


def _same(spec: Json, value: Any, keys: tuple[str, ...]) -> bool:
    return isinstance(value, dict) and all(value.get(k) == spec[k] for k in keys if k in spec)


def _coding(spec: Json, value: Any) -> bool:
    """HL7's buildCodingExpression: ``where(system = .. and version = .. and code = .. and display = ..)``."""
    return _same(spec, value, ("system", "version", "code", "display"))


def _concept(spec: Json, value: Any) -> bool:
    """buildCodeableConceptExpression: each coding the profile gives is among the value's codings (its text and
    any other property of the value are not compared; one with text or without codings HL7 cannot evaluate at all,
    slice_expressions.problem)."""
    codings = value.get("coding") if isinstance(value, dict) else None
    held = codings if isinstance(codings, list) else []
    return all(any(_coding(c, h) for h in held) for c in spec.get("coding") or () if isinstance(c, dict))


def _identifier(spec: Json, value: Any) -> bool:
    """buildIdentifierExpression: system, value, use and type (as a CodeableConcept); nothing else is compared."""
    return _same(spec, value, ("system", "value", "use")) and (
        not isinstance(spec.get("type"), dict) or _concept(spec["type"], value.get("type")))


# A discriminator on a CodeableConcept, Coding or Identifier that the slice fixes or patterns is, in HL7's validator,
# a FHIRPath test of the properties the profile gives (InstanceValidator.buildFixedExpression and
# buildPattternExpression, fixed[x] and pattern[x] alike), never an exact comparison: a value with a display or a
# text beside the fixed code is in the slice (and the slice's own fixed value then judges it).
_PARTIAL: dict[str, Callable[[Json, Any], bool]] = {"CodeableConcept": _concept, "Coding": _coding,
                                                     "Identifier": _identifier}


def _in_binding(w: Walker, binding: dict[str, Any], code: str, value: Any) -> bool | None:
    """In the bound value set; None when that cannot be told here (the value set or code system not held)."""
    from conformance.fhirval.bindings import check_binding, has_codes

    if code == "CodeableConcept" and isinstance(value, dict) and not has_codes(code, value):
        return False  # FHIRPathEngine.opMemberOf: a concept without codings is in no value set, resolved or not
    probe = Sink()
    check_binding(w.model.term, binding, code, value, "", probe)
    if not probe.issues:
        return True
    return None if all(i.severity == "information" for i in probe.issues) else False


def _extends_choice(first: str, second: str) -> bool:
    """InstanceValidator.matchSlice accepts a value in a second slice when the first's path ends in ``[x]`` and
    the second's extends it (every slice of a choice element, ``value[x]``, has that path)."""
    return first.endswith("[x]") and second.startswith(first[:-3])


def assign(w: Walker, idx: StructureIndex, node: Node, items: list[Any], tcode: str, where: str, loc: str,
           as_array: bool) -> list[Node | None]:
    """The slice of each item (None: none matched), after reporting the slicing rules' violations."""
    slicing = node.slicing or {}
    discriminators = [d for d in slicing.get("discriminator") or () if isinstance(d, dict)]
    rules = slicing.get("rules", "open")
    out: list[Node | None] = []
    maybe: dict[int, set[int]] = {}  # item -> the slices (by id) it might be in, when that cannot be told
    unsupported = False  # a slice could not be evaluated: HL7's matchSlice then judges no slice counts or rules
    for n, item in enumerate(items):
        match = None
        if item is not None:
            iloc = f"{where}[{n}]" if as_array else where
            for s in node.slices:
                if discriminators:
                    matched = _matches(w, s, item, tcode, discriminators, iloc)
                    if isinstance(matched, Unevaluable):
                        # matchSlice, called for each slice and each value: SLICING_CANNOT_BE_EVALUATED at the value
                        _cannot_evaluate(w, node, s, discriminators, iloc, matched)
                        unsupported = True
                        continue
                    if matched is None:
                        maybe.setdefault(n, set()).add(id(s))
                        continue
                    if matched and match is not None and _extends_choice(match.path, s.path):
                        match = s  # matchSlice's isOk: a choice's slices may overlap; the later one is kept
                        continue
                    if matched and match is not None:
                        # HL7's matchSlice tries every slice: a second one is VALIDATION_VAL_PROFILE_MATCHMULTIPLE
                        # (re-slices, ``a`` and ``a/b``, are separate nodes here, never siblings)
                        w.sink.error("slice-multiple", iloc, f"this value matches more than one slice of "
                                                             f"{node.path}: {match.slice_name}, {s.slice_name}")
                        break
                    if matched:
                        match = s
                    continue
                if not discriminators and node.is_choice and any(t.code == tcode for t in s.types):
                    match = s
                    break
            if n in maybe and match is not None:
                maybe[n].add(id(match))
                match = None
        out.append(match)
    if unsupported:  # problematicPaths: the counts are hints, and no value is judged unmatched or out of order
        return out
    for s in node.slices:
        count = sum(1 for m in out if m is s)
        if count < s.min and count + sum(1 for m in maybe.values() if id(s) in m) >= s.min:
            w.sink.info("slice-min", loc, f"{node.path}:{s.slice_name}: minimum required = {s.min}, found {count}; "
                                          "not judged: a value set a value was matched by is not held here")
        elif count < s.min:
            w.sink.error("slice-min", loc, f"{node.path}:{s.slice_name}: minimum required = {s.min}, but only found "
                                           f"{count}{idx.origin}")
        if s.max is not None and count > s.max:
            w.sink.error("slice-max", where,
                         f"{node.path}:{s.slice_name}: maximum allowed = {s.max}, but found {count}{idx.origin}")
    order = {id(s): i for i, s in enumerate(node.slices)}
    last = -1
    seen_unmatched = False
    for i, m in enumerate(out):
        iloc = f"{where}[{i}]" if as_array else where
        if items[i] is None and m is None:  # a null, reported by the walk, or a value another slice holds
            continue
        if m is None:
            seen_unmatched = True
            last = -1  # HL7's assignChildren compares a slice's index with the previous value's only (lastSlice)
            if rules == "closed" and items[i] is not None and i not in maybe:
                w.sink.error("slice-unmatched", iloc, f"this value matches none of the slices of {node.path}, and the "
                                                      "slicing is closed")
            continue
        if rules == "openAtEnd" and seen_unmatched:
            # R4 asks for this, but HL7's validator treats openAtEnd as open (InstanceValidator.java, a TODO where it
            # reports unmatched slices): a warning, so a resource it accepts is not failed here
            w.sink.warning("slice-order", iloc, f"{node.path}: values matching no slice should come after the "
                                                "sliced values (openAtEnd)")
        if slicing.get("ordered") and order[id(m)] < last:
            w.sink.error("slice-order", iloc, f"{node.path}:{m.slice_name} is out of order (the slicing is ordered)")
        last = order[id(m)]  # lastSlice = ei.getSliceindex(): the previous value's slice, not the highest seen
    return out


def _cannot_evaluate(w: Walker, node: Node, s: Node, discriminators: list[dict[str, Any]], loc: str,
                     why: Unevaluable) -> None:
    paths = ", ".join(f"{d.get('type')}:{d.get('path')}" for d in discriminators)
    w.sink.error("structure-slicing", loc, f"the slicing of {node.path} ({paths}) cannot be evaluated at the slice "
                                           f"{s.slice_name}: {why.reason}")


def reslice(w: Walker, idx: StructureIndex, assigned: list[Node | None], items: list[Any], tcode: str, where: str,
            loc: str, as_array: bool) -> list[Node | None]:
    """Re-slicing: the values a slice that is itself sliced (``coding:loinc`` with ``coding:loinc/a``...) holds
    are assigned among its own slices by its own slicing, with their min/max, closed and ordered rules, as
    HL7's validator does for a slice that carries a slicing; the deepest slice matched is the one walked."""
    out = list(assigned)
    for parent in {id(m): m for m in assigned if m is not None and m.slices and m.slicing is not None}.values():
        mine = [item if m is parent else None for item, m in zip(items, assigned, strict=True)]
        inner = assign(w, idx, parent, mine, tcode, where, loc, as_array)
        inner = reslice(w, idx, inner, mine, tcode, where, loc, as_array)
        out = [n if n is not None else o for n, o in zip(inner, out, strict=True)]
    return out
