"""A profile that claims to comply with another (the ``structuredefinition-compliesWithProfile`` extension) does,
as HL7's StructureDefinitionValidator.validateStructureDefinition checks it (2025-03-30) with CompliesWithChecker
(org.hl7.fhir.validation ...instance/type/CompliesWithChecker.java), judged with the structure's base loaded (the
check sits inside ``if (sd != null && base != null)``):

- the claimed profile is not loaded: SD_EXTENSION_COMPLIES_WITH_UNKNOWN, an error as HL7 grades it (its validator has
  no more than its loaded packages either), information when a dependency of a loaded package that this harness
  could not load would define it (Model.missing_dependency), as for other profiles not loaded; one loaded whose
  snapshot HL7's generator refuses too is an error (its DefinitionNavigator throws: ERROR_PROCESSING_SNAPSHOT);
- otherwise one error for each claim that fails (SD_EXTENSION_COMPLIES_WITH_ERROR, CompliesWithChecker's ERROR
  messages joined), over the structure's generated snapshot (constraints only: HL7 builds no snapshot of another
  structure and its DefinitionNavigator refuses one without) and the claimed profile's.

CompliesWithChecker walks both snapshots with DefinitionNavigator: the types (PROFILE_COMPLIES_WITH_WRONG_TYPE),
the root, then each child of the claimed profile's root by name (PROFILE_COMPLIES_WITH_MISSING). A child with
slicing: unsliced here where the claimed profile's slicing is closed or has a required slice
(PROFILE_COMPLIES_WITH_SLICING_UNSLICED, then the two elements compared); sliced here only, each slice against the
claimed element (no ``min``); sliced on both, the slicing rules, order and discriminators
(PROFILE_COMPLIES_WITH_SLICING_RULES, _ORDER, _DISCRIMINATOR). checkElementComplies compares ``min``, ``max``,
``fixed`` and ``pattern`` (compliesWith: the same type, primitives equal, every child the claimed value has, as many
and each complying), types (code and versioning), ``maxValue`` (notLessThan, as HL7 writes it: a claimed maxValue
that is not below this one fails, and so does none here), ``maxLength``, error constraints (by expression) and a
required or extensible binding (present on a bindable type, required or extensible, not extensible under
required). An element with types is not walked into (``doInner`` false), so the walk stops at the root's children.

Not ported (HL7 reaches them with terminology or profile resolution this check does not do): matching slices by
discriminator values when both sides slice (PROFILE_COMPLIES_WITH_SLICING_NO_SLICE, _EXTRA_SLICE and the slices'
own comparisons), and value set subsets of differing bindings (PROFILE_COMPLIES_WITH_NO_VS_NO); R5's
``mustHaveValue`` and ``valueAlternatives`` are not in R4. So every error here is one HL7 gives; HL7 may give more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.snapshot_checks import working_code
from conformance.fhirval.snapshot_merge import BINDABLE_TYPES  # the seven types, as CompliesWithChecker.isBindableType
from conformance.fhirval.source import definition_elements, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

# ExtensionDefinitions.EXT_SD_COMPLIES_WITH_PROFILE
COMPLIES_WITH = "http://hl7.org/fhir/StructureDefinition/structuredefinition-compliesWithProfile"
_STRONG = ("required", "extensible")
_MAX_INT = 2 ** 31 - 1


def check(w: Walker, sd: Json, loc: str) -> None:
    base_url = sd.get("baseDefinition")
    if not isinstance(base_url, str) or w.model.index(base_url) is None:
        return
    claims = [e for e in objects(sd.get("extension")) if e.get("url") == COMPLIES_WITH]
    snapshot: list[Json] | None = None
    for ext in claims:
        url = next((v for k, v in ext.items() if k.startswith("value") and isinstance(v, str)), None)
        if url is None:
            continue
        authority = w.model.index(url.partition("|")[0])
        if authority is None:
            _unknown(w, url, loc)
            continue
        if sd.get("derivation") != "constraint":
            continue
        if snapshot is None:
            snapshot = _snapshot(w, sd)
        if not snapshot:
            return
        problems = _complies(sd, snapshot, authority.sd)
        if problems:
            w.sink.error("complies-with", loc, f"this profile does not comply with the claimed profile {url} "
                                               f"because: {'; '.join(problems)}")


def _unknown(w: Walker, url: str, loc: str) -> None:
    missing, refused = w.model.missing_dependency(url), w.model.refused(url.partition("|")[0])
    if refused is not None:  # loaded, no snapshot: DefinitionNavigator throws, ERROR_PROCESSING_SNAPSHOT
        w.sink.error("complies-with", loc, f"the claimed profile {url} has no snapshot and none can be generated "
                                           f"({refused}), so the claim cannot be checked")
    elif missing is not None:
        w.sink.info("unknown-profile", loc, f"the claimed profile {url} (compliesWithProfile) cannot be checked: it "
                                            f"may be in {missing}, a dependency that is not loaded")
    else:
        w.sink.error("unknown-profile", loc, f"the profile {url} cannot be found, so the validator cannot check that "
                                             "the profile does comply with it")


def _snapshot(w: Walker, sd: Json) -> list[Json]:
    from conformance.fhirval.snapshot import generate_snapshot

    try:
        generated = generate_snapshot(sd, w.model.source)
    except Exception:  # noqa: BLE001 - differential.py reports why the snapshot cannot be generated
        return []
    return definition_elements(generated)


class _Node:
    """One element of a snapshot with its direct children by name and, for a sliced element, its slices
    (DefinitionNavigator over a snapshot: the element list after it, up to a path shorter than its own)."""

    def __init__(self, elements: list[Json], index: int) -> None:
        self.ed = elements[index]
        path = str(self.ed.get("path", ""))
        self.name = path.rsplit(".", 1)[-1]
        self.children: list[_Node] = []
        self.slices: list[_Node] = []
        by_path: dict[str, _Node] = {}
        prefix = path + "."
        last: str | None = None
        for i in range(index + 1, len(elements)):
            child = str(elements[i].get("path", ""))
            if len(child) < len(prefix):
                break
            if not child.startswith(prefix):
                continue
            if "." not in child[len(prefix):]:
                last = child
                if child in by_path:
                    by_path[child].slices.append(_Node(elements, i))
                else:
                    node = _Node(elements, i)
                    by_path[child] = node
                    self.children.append(node)
            elif last is None or not child.startswith(last):
                last = child
            # deeper elements belong to the child before them

    def sliced(self) -> bool:
        return isinstance(self.ed.get("slicing"), dict)

    def has_slices(self) -> bool:
        return self.sliced() and bool(self.slices)

    def child(self, name: str) -> _Node | None:
        return next((c for c in self.children if c.name == name or c.name.startswith(name + "[x]")), None)


def _complies(claimee: Json, snapshot: list[Json], authority: Json) -> list[str]:
    problems: list[str] = []
    ctype, atype = claimee.get("type"), authority.get("type")
    if ctype != atype:
        return [f"the type found in the claimed profile is {ctype!r} not {atype!r}"]
    others = definition_elements(authority)
    if not snapshot or not others:
        return []
    cnode, anode = _Node(snapshot, 0), _Node(others, 0)
    if _element(problems, str(ctype), cnode.ed, anode.ed, in_slice=False):
        for achild in anode.children:
            _child(problems, str(ctype), cnode, achild)
    return problems


def _child(problems: list[str], path: str, cnode: _Node, achild: _Node) -> None:
    """checkCompilesWith: one child of the claimed profile's element against this profile's."""
    at = f"{path}.{achild.name}"
    cchild = cnode.child(achild.name)
    if cchild is None:
        problems.append(f"there is no profile entry for the element {at} that is found in the claimed profile")
        return
    if not (achild.sliced() or cchild.sliced()):
        _element(problems, at, cchild.ed, achild.ed, in_slice=False)
    elif not cchild.has_slices():
        if achild.has_slices():
            slicing: Any = achild.ed.get("slicing")
            care = slicing.get("rules") == "closed" or any(_int(s.ed.get("min")) > 0 for s in achild.slices)
            if care:
                problems.append(f"mismatch in slicing at {at}: no slicing found when the claimed profile has slicing")
        _element(problems, at, cchild.ed, achild.ed, in_slice=False)
    elif not achild.has_slices():
        for cslice in cchild.slices:
            _element(problems, f"{at}:{cslice.ed.get('sliceName')}", cslice.ed, achild.ed, in_slice=True)
    else:
        _slicing(problems, at, achild.ed.get("slicing") or {}, cchild.ed.get("slicing") or {})


def _slicing(problems: list[str], at: str, authority: Json, claimee: Json) -> None:
    """slicingCompliesWith (the slices themselves are not matched here: see the module's note)."""
    arules, crules = authority.get("rules"), claimee.get("rules")
    if not (arules == "open" or crules == arules):
        problems.append(f"mismatch in slicing rules at {at}: {crules!r} when the claimed profile has {arules!r}")
    elif authority.get("ordered") is True and claimee.get("ordered") is not True:
        problems.append(f"mismatch in slicing rules at {at}: not ordered when the claimed profile has ordered")
    else:
        own = [(d.get("type"), d.get("path")) for d in objects(claimee.get("discriminator"))]
        for d in objects(authority.get("discriminator")):
            if (d.get("type"), d.get("path")) not in own:
                problems.append(f"mismatch in slicing rules at {at}: the discriminator {d.get('type')}:"
                                f"{d.get('path')} was not found")
                return


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _max(value: Any) -> int:
    if value == "*":
        return _MAX_INT
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def _choice(ed: Json, prefix: str) -> tuple[str, Any] | None:
    for key, value in ed.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key[len(prefix):], value
    return None


def _element(problems: list[str], at: str, claimee: Json, authority: Json, *, in_slice: bool) -> bool:
    """checkElementComplies, as far as it reaches in R4 without terminology (see the module's note); whether the
    walk goes into the element's children (``doInner``: not once this element has a type)."""
    ident = claimee.get("id")

    def fail(what: str, theirs: Any, ours: Any) -> None:
        problems.append(f"the {what} value of {ours!r} on the path {ident} does not comply with the value "
                        f"{theirs!r} from the claimed profile")

    if not in_slice and _int(authority.get("min")) > _int(claimee.get("min")):
        fail("min", authority.get("min"), claimee.get("min"))
    if _max(authority.get("max")) < _max(claimee.get("max")):
        fail("max", authority.get("max"), claimee.get("max"))
    _values(problems, fail, claimee, authority)
    base: Any = claimee.get("base")
    inner = True
    if not (isinstance(base, dict) and base.get("path") == "Resource.id"):
        inner = not objects(claimee.get("type"))
        theirs = [(working_code(t), t.get("versioning")) for t in objects(authority.get("type"))]
        for t in objects(claimee.get("type")):
            if (working_code(t), t.get("versioning")) not in theirs:
                problems.append(f"the type {working_code(t)!r} is not allowed in the claimed profile (at {at})")
    amax = _choice(authority, "maxValue")
    if amax is not None and _not_less_than(amax, _choice(claimee, "maxValue")):
        fail("maxValue", amax[1], (_choice(claimee, "maxValue") or (None, None))[1])
    alen = authority.get("maxLength")
    if isinstance(alen, int) and alen < _int(claimee.get("maxLength")):
        fail("maxLength", alen, claimee.get("maxLength"))
    mine = {c.get("expression") for c in objects(claimee.get("constraint")) if c.get("severity") == "error"}
    for c in objects(authority.get("constraint")):
        if c.get("severity") == "error" and c.get("expression") not in mine:
            problems.append(f"the constraint {c.get('expression')!r} is defined in the claimed profile, but missing "
                            f"(at {at})")
    _binding(fail, claimee, authority)
    return inner


def _values(problems: list[str], fail: Any, claimee: Json, authority: Json) -> None:
    afixed, apattern = _choice(authority, "fixed"), _choice(authority, "pattern")
    cfixed, cpattern = _choice(claimee, "fixed"), _choice(claimee, "pattern")
    if afixed is not None:
        if cfixed is None or not _complies_value(afixed, cfixed):
            fail("fixed", afixed[1], cfixed[1] if cfixed else None)
    elif apattern is not None:
        ours = cfixed if cfixed is not None else cpattern
        if ours is None or not _complies_value(apattern, ours):
            fail("pattern", apattern[1], ours[1] if ours else None)


def _complies_value(authority: tuple[str, Any], test: tuple[str, Any]) -> bool:
    """CompliesWithChecker.compliesWith over two JSON values of the given types: the same type, then the values'
    children (a list as many items as the claimed one, each complying: HL7 indexes the claimed list by the test's)."""
    return authority[0] == test[0] and _same(authority[1], test[1])


def _same(authority: Any, test: Any) -> bool:
    if isinstance(authority, dict):
        if not isinstance(test, dict):
            return False
        for key, value in authority.items():
            theirs, ours = _listed(value), _listed(test.get(key))
            if theirs and (len(theirs) != len(ours) or not all(_same(a, t) for a, t in zip(theirs, ours, strict=True))):
                return False
        return True
    return isinstance(test, type(authority)) and not isinstance(test, dict) and str(authority) == str(test)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _not_less_than(authority: tuple[str, Any], claimee: tuple[str, Any] | None) -> bool:
    """notLessThan as HL7 writes it: true (a failure) without a value here, for other types, and when the claimed
    value is not below this one; Quantity and other types fall to true."""
    if claimee is None or claimee[0] != authority[0]:
        return True
    kind, a, c = authority[0], authority[1], claimee[1]
    if kind in ("Integer", "PositiveInt", "UnsignedInt", "Integer64", "Decimal") and isinstance(a, int | float) \
            and isinstance(c, int | float):
        return a >= c
    if kind in ("Date", "DateTime", "Instant", "Time") and isinstance(a, str) and isinstance(c, str):
        return a >= c
    return True


def _binding(fail: Any, claimee: Json, authority: Json) -> None:
    abinding: Any = authority.get("binding")
    if not isinstance(abinding, dict) or not isinstance(abinding.get("valueSet"), str) \
            or abinding.get("strength") not in _STRONG:
        return
    cbinding: Any = claimee.get("binding")
    if not isinstance(cbinding, dict):
        if any(working_code(t) in BINDABLE_TYPES for t in objects(claimee.get("type"))):
            fail("binding", abinding["valueSet"], "null")
    elif cbinding.get("strength") not in _STRONG or (cbinding.get("strength") == "extensible"
                                                      and abinding.get("strength") == "required"):
        fail("binding.strength", abinding.get("strength"), cbinding.get("strength"))
