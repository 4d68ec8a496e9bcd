"""What HL7's snapshot generator refuses, and what it reports and goes on past (snapshot.py's Builder calls these).

HL7's generator meets a broken profile in two ways, and the difference decides what an instance validated against
that profile is told:

- a refusal (ProfileUtilities / ProfilePathProcessor throw ``DefinitionException``): ``generateSnapshot`` drops the
  half-built snapshot (``derived.setSnapshot(null)``), the context logs the exception and hands the profile out
  without one, and InstanceValidator.startInner then reports VALIDATION_VAL_PROFILE_NOSNAPSHOT, an error, at the
  resource ("StructureDefinition ... has no snapshot - validation is against the snapshot, so it must be
  provided"), judging nothing else against that profile. Ours raise :class:`Refused`;
- a message (``addMessage`` with the validator context's ``setThrowException(false)``): the snapshot is built with
  the derived values and the instance is validated against it as usual; only the StructureDefinition itself, when
  validated, is told (StructureDefinitionValidator keeps ``generateSnapshot``'s messages). Ours are
  ``Builder.problems``.

Each check names its place in org.hl7.fhir.r5's conformance/profile sources (HEAD of hapifhir/org.hl7.fhir.core).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.loaders import DefinitionLoadError
from conformance.fhirval.source import DefinitionSource, Json

if TYPE_CHECKING:
    from conformance.fhirval.issues import Sink

_MAX_DEPTH = 20  # a baseDefinition chain longer than this is circular


class SnapshotError(DefinitionLoadError):
    """A snapshot that cannot be generated: names the profile (url) and the element."""


class Refused(SnapshotError):
    """A profile HL7's generator throws on (a DefinitionException): HL7's validator is left with no snapshot for it,
    and an instance validated against it gets VALIDATION_VAL_PROFILE_NOSNAPSHOT, an error."""


def _raw(source: DefinitionSource, key: str) -> Json | None:
    """The definition as loaded (no snapshot generated for it: a chain walk needs only its base and type)."""
    raw = getattr(source, "raw_structure", None)
    found = raw(key) if callable(raw) else source.structure(key)
    return found if isinstance(found, dict) else None


_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"


def working_code(t: Any) -> str | None:
    """A type's code as HL7's TypeRefComponent.getWorkingCode reads it: a FHIRPath system type (Extension.url's
    ``System.String``) names its FHIR type in the structuredefinition-fhir-type extension (``uri``)."""
    if not isinstance(t, dict):
        return None
    for e in t.get("extension", []) if isinstance(t.get("extension"), list) else []:
        if isinstance(e, dict) and e.get("url") == _FHIR_TYPE:
            value = e.get("valueUrl") or e.get("valueUri")
            if isinstance(value, str):
                return value
    code = t.get("code")
    return code if isinstance(code, str) else None


def _derives_from(source: DefinitionSource, code: str, base_code: str) -> bool:
    """``code`` is ``base_code`` or a type under it, when ``base_code`` is abstract or logical (Resource, Element,
    DomainResource...): ProfileUtilities.checkTypeDerivation walks ``fetchTypeDefinition(t)``'s baseDefinitions."""
    if code == base_code:
        return True
    base_sd = _raw(source, base_code)
    if base_sd is None or not (base_sd.get("abstract") is True or base_sd.get("kind") == "logical"):
        return False
    sd = _raw(source, code)
    for _ in range(_MAX_DEPTH):
        if sd is None:
            return False
        if sd.get("type") == base_sd.get("type"):
            return True
        parent = sd.get("baseDefinition")
        sd = _raw(source, parent) if isinstance(parent, str) else None
    return False


def _has_target(targets: list[Any], url: str) -> bool:
    """TypeRefComponent.hasTargetProfile: the url itself or a version of it (``...|4.0.1``); a versioned url
    also matches its unversioned self (sdConformsToTargets)."""
    bare = url.split("|", 1)[0]
    return any(isinstance(t, str) and (t in (url, bare) or t.startswith(bare + "|")) for t in targets)


def _conforms_to_targets(source: DefinitionSource, url: str, targets: list[Any]) -> bool:
    """ProfileUtilities.sdConformsToTargets: the derived target profile is one of the base's, or derives from one
    (its baseDefinition chain, or a profile it imposes); one not loaded cannot be checked (a warning there: true)."""
    for _ in range(_MAX_DEPTH):
        if _has_target(targets, url):
            return True
        sd = _raw(source, url.split("|", 1)[0])
        if sd is None:
            return True
        imposed = [e.get("valueCanonical") for e in sd.get("extension", []) if isinstance(e, dict)
                   and e.get("url") == "http://hl7.org/fhir/StructureDefinition/structuredefinition-imposeProfile"]
        if any(isinstance(i, str) and _conforms_to_targets(source, i, targets) for i in imposed):
            return True
        parent = sd.get("baseDefinition")
        if not isinstance(parent, str):
            return False
        url = parent
    return False


def check_types(source: DefinitionSource, url: str, target: Json, diff: Json) -> list[str]:
    """A derived type must be one of the base element's, or a type under an abstract one (ProfileUtilities.
    checkTypeDerivation, STRUCTUREDEFINITION__AT__ILLEGAL_CONSTRAINED_TYPE__FROM__IN_; ProfilePathProcessor's
    VALIDATION_VAL_ILLEGAL_TYPE_CONSTRAINT for a Reference): a refusal. Returned, the messages: each derived
    targetProfile that derives from none of the base type's (ERROR_AT__THE_TARGET_PROFILE__IS_NOT__VALID_
    CONSTRAINT_ON_THE_BASE_). HL7 refuses the type too when none of its target profiles does; ours does not
    (published guides hold such profiles: AU Base's au-imagingreport before versions were compared, SWASTH's
    HCXClaimRequestDocument naming an extension), so that is a message here, the snapshot kept."""
    derived, base = diff.get("type"), target.get("type")
    if not isinstance(derived, list) or not isinstance(base, list) or not base or derived == base:
        return []
    base_types = [(b, code) for b in base if (code := working_code(b)) is not None]
    problems = []
    for t in derived:
        code = working_code(t)
        if code is None:
            continue
        matched = [b for b, base_code in base_types if _derives_from(source, code, base_code)]
        if not matched:
            summary = ", ".join(base_code for _, base_code in base_types)
            raise Refused(url, f"differential element {diff.get('id') or diff.get('path')}: illegal constrained type "
                               f"{code}: the base allows {summary}")
        targets = [b.get("targetProfile") for b in matched]
        if any(not isinstance(tp, list) or not tp for tp in targets):
            continue
        for p in t.get("targetProfile", []) if isinstance(t.get("targetProfile"), list) else []:
            if isinstance(p, str) and not any(_conforms_to_targets(source, p, tp) for tp in targets):
                problems.append(f"the target profile {p} is not a valid constraint on the base's "
                                f"({', '.join(str(x) for tp in targets for x in tp)})")
    return problems


def check_slicing(url: str, element_id: str, base: Json, derived: Json, choice: bool) -> None:
    """Slicing restated where the base already slices must agree with it (ProfilePathProcessor.
    processPathWithSlicedBaseDefault, SLICING_RULES_ON_DIFFERENTIAL__DO_NOT_MATCH_THOSE_ON_BASE___ORDER___ /
    _DISCIMINATOR___ / _RULE___): ``ordered`` the same when both state it; the derived discriminators start with the
    base's (same type and path, in order: more may follow); the rules the same, unless the base's are open (or
    closed, and the derived ones openAtEnd), not judged on a choice element. A refusal."""
    reason = None
    if "ordered" in base and "ordered" in derived and base["ordered"] != derived["ordered"]:
        reason = "ordered"
    mine, theirs = derived.get("discriminator") or [], base.get("discriminator") or []
    if mine and theirs and (len(mine) < len(theirs) or any(
            not isinstance(d, dict) or not isinstance(b, dict) or (d.get("type"), d.get("path"))
            != (b.get("type"), b.get("path")) for d, b in zip(mine, theirs, strict=False))):
        reason = "discriminator"
    rule, base_rule = derived.get("rules"), base.get("rules")
    if not choice and rule and base_rule and rule != base_rule and base_rule != "open" and not (
            rule == "openAtEnd" and base_rule == "closed"):
        reason = "rules"
    if reason:
        raise Refused(url, f"differential element {element_id}: the slicing rules on the differential ({reason}) do "
                           "not match those on the base")


def check_type_slice_mins(url: str, elements: list[Json]) -> None:
    """Of a choice's type slices, one with a min above 0 followed by another is a refusal (ProfilePathProcessor,
    INVALID_SLICING__THERE_IS_MORE_THAN_ONE_TYPE_SLICE_AT__BUT_ONE_OF_THEM__HAS_MIN__1_SO_THE_OTHER_SLICES_CANNOT_
    EXIST): the instance holds one value, and it must be of that type. Slices are ``X.y[x]:name``, by their id."""
    seen: dict[str, str] = {}  # choice id -> the slice with min > 0 met so far
    for el in elements:
        element_id = el.get("id")
        if not isinstance(element_id, str) or "[x]:" not in element_id.rsplit(".", 1)[-1]:
            continue
        choice = element_id.rsplit(":", 1)[0]
        if choice in seen:
            raise Refused(url, f"differential element {seen[choice]}: more than one type slice of {choice}, but "
                               "this one has a min of 1, so the others cannot exist")
        if isinstance(el.get("min"), int) and el["min"] > 0:
            seen[choice] = element_id


def check_differential(url: str, elements: list[Json]) -> list[tuple[str, str]]:
    """The differential as a whole: slicing on its root element is a refusal (ProfilePathProcessor, "The profile has
    slicing at the root ... which is illegal"), so is a required type slice before another (check_type_slice_mins);
    returned, (element id, message) for each id stated on more than one element (ProfileUtilities.setIds,
    SAME_ID_ON_MULTIPLE_ELEMENTS__IN_, a message; HL7's sushi3)."""
    check_type_slice_mins(url, elements)
    for diff in elements:
        if "." not in diff["path"] and "slicing" in diff:
            raise Refused(url, f"differential element {diff.get('id') or diff['path']}: the profile has slicing at "
                               "the root, which is illegal")
    stated = [str(diff["id"]) for diff in elements if isinstance(diff.get("id"), str)]
    return [(i, "the same id is on more than one differential element (SAME_ID_ON_MULTIPLE_ELEMENTS)")
            for i in sorted({i for i in stated if stated.count(i) > 1})]


def unmatched_by_order(elements: list[Json], landed: list[str | None]) -> list[int]:
    """The differential elements (by index) HL7's snapshot generator cannot match for their order: it walks the base
    in order and takes each base element's match from the differential onwards, so an element with a later one that
    the base puts before it is passed over (ProfileUtilities: "No match found for X in the generated snapshot: check
    that the path and definitions are legal in the differential (including order)", a message)."""
    where = {str(e.get("id")): k for k, e in enumerate(elements)}
    out: list[int] = []
    lowest: int | None = None
    for n in range(len(landed) - 1, -1, -1):
        landed_id = landed[n]
        pos = None if landed_id is None else where.get(landed_id)
        if pos is None:
            continue
        if lowest is not None and lowest < pos:
            out.append(n)
        lowest = pos if lowest is None else min(lowest, pos)
    return sorted(out)


def fixed_type_problem(target: Json, root_type: str | None) -> str | None:
    """A fixed or pattern value of a type the element does not have (ProfileUtilities.checkTypeOk: a message, the
    snapshot kept). JSON names the value's type in the key (``fixedUri``); the root's type is the profile's."""
    types = ({code for t in target.get("type", []) if (code := working_code(t))} if "." in target["path"]
             else {root_type or ""})
    for key in target:
        for kind in ("fixed", "pattern"):
            if key.startswith(kind) and len(key) > len(kind):
                name = key[len(kind):]
                if not any(t.lower() == name.lower() for t in types):
                    return f"the {kind} value has type '{name[:1].lower() + name[1:]}', which is not valid (valid " \
                           f"types: {', '.join(sorted(types))})"
    return None


def must_support_problem(target: Json, diff: Json) -> str | None:
    """mustSupport true in the base made false (ProfileUtilities.updateFromDefinition: "Illegal constraint
    [must-support = false] when [must-support = true] in the base profile", a message; not of a slice, which
    HL7 derives from its slicer)."""
    if target.get("mustSupport") is True and diff.get("mustSupport") is False and "sliceName" not in target:
        return "illegal constraint [must-support = false] when [must-support = true] in the base profile"
    return None


def no_snapshot(sink: Sink, url: str, reason: str, loc: str) -> None:
    """An instance validated against a profile HL7's generator refuses: VALIDATION_VAL_PROFILE_NOSNAPSHOT, an error
    (InstanceValidator.startInner for a resource's profile, checkChild's type profiles), and nothing else is judged
    against it. The reason is ours: HL7's validator only logs it."""
    sink.error("profile-no-snapshot", loc, f"StructureDefinition {url} has no snapshot - validation is against the "
                                           f"snapshot, so it must be provided (it cannot be generated: {reason})")
