"""A StructureDefinition's type profiles and target profiles name structures that fit the type.

A profile that says ``Observation.subject`` is a ``Reference`` to a datatype profile, or that its
``extension`` slice is an extension declared as a modifier, can never be met by an instance: HL7's
StructureDefinitionValidator (``validateElementType``, ``validateTypeProfile``, ``validateTargetProfile``)
rejects it, in the differential and the snapshot, whenever the structure being validated has a base it
can load:

- a ``type.profile`` constrains the type it is given for: the base type of the named profile (followed
  through ``constraint`` derivations) is the type, or a specialization of it through abstract types and
  logical models (``isInstanceOf``): SD_ED_TYPE_PROFILE_WRONG;
- an extension profiled on ``modifierExtension`` is a modifier extension, and one on ``extension`` is not
  (SD_ED_TYPE_PROFILE_NOT_MODIFIER, SD_ED_TYPE_PROFILE_IS_MODIFIER);
- a ``targetProfile`` of a ``Reference`` names a resource profile (or, in a logical model, a type that may
  be a target), of a ``canonical`` a profile of a canonical resource (R4's list) or of Resource
  (SD_ED_TYPE_PROFILE_WRONG_TARGET); no other type has target profiles (SD_ED_TYPE_NO_TARGET_PROFILE).

A named structure that is not loaded, or whose base type cannot be found, is left alone: HL7's
validator warns of the first, and the second is a lack of this harness, never the profile's fault.

An instance's element whose type profile is not loaded is judged here too (``unknown_type_profile``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval.snapshot_checks import no_snapshot
from conformance.fhirval.source import element_places, objects
from conformance.fhirval.xver import XVER_URL, cross_version_status

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_CHARACTERISTICS = "http://hl7.org/fhir/StructureDefinition/structuredefinition-type-characteristics"
_LOGICAL_TARGET = "http://hl7.org/fhir/tools/StructureDefinition/logical-target"
# VersionUtilities.getCanonicalResourceNames for R4
_R4_CANONICAL = frozenset({
    "ActivityDefinition", "CapabilityStatement", "ChargeItemDefinition", "CodeSystem", "CompartmentDefinition",
    "ConceptMap", "EffectEvidenceSynthesis", "EventDefinition", "Evidence", "EvidenceVariable", "ExampleScenario",
    "GraphDefinition", "ImplementationGuide", "Library", "Measure", "MessageDefinition", "NamingSystem",
    "OperationDefinition", "PlanDefinition", "Questionnaire", "ResearchDefinition", "ResearchElementDefinition",
    "RiskEvidenceSynthesis", "SearchParameter", "StructureDefinition", "StructureMap", "TerminologyCapabilities",
    "TestScript", "ValueSet"})
_MAX_DEPTH = 32  # a baseDefinition chain longer than this is a loop


def check(w: Walker, sd: Json, loc: str) -> None:
    base = sd.get("baseDefinition")
    if not isinstance(base, str) or _structure(w, base) is None:
        return
    logical = sd.get("kind") == "logical"
    for at, ed in element_places(sd, loc):
        path = ed.get("path")
        if not isinstance(path, str):
            continue
        for j, t in enumerate(objects(ed.get("type"))):
            code = t.get("code")
            if isinstance(code, str) and code:
                where = f"{at}.type[{j}]"
                _profiles(w, t, code, path, where)
                _targets(w, t, code, logical, where)


def _profiles(w: Walker, t: Json, code: str, path: str, where: str) -> None:
    profiles = t.get("profile")  # 1, true or a string is the JSON checks' error, not a list to walk here
    for k, p in enumerate(profiles if isinstance(profiles, list) else []):
        named = _structure(w, p) if isinstance(p, str) else None
        base = _base_type(w, named) if named is not None else None
        at = f"{where}.profile[{k}]"
        if named is None and isinstance(p, str):
            _cross_version_refused(w, p, at)
        if named is None or base is None:
            continue
        if not _instance_of(w, base, code):
            w.sink.error("structure-type", at, f"the profile {p} is a {base.get('type')}, not a {code}, so it "
                                               f"cannot constrain the {code} at {path}")
        elif base.get("type") == "Extension":
            snapshot = named.get("snapshot")
            root = (objects(snapshot.get("element")) if isinstance(snapshot, dict) else []) or [{}]
            modifier = root[0].get("isModifier") is True
            if modifier and not path.endswith(".modifierExtension"):
                w.sink.error("structure-type", at, f"the extension {p} is a modifier extension: it belongs on a "
                                                   f"modifierExtension, not on {path}")
            elif not modifier and path.endswith(".modifierExtension"):
                w.sink.error("structure-type", at, f"the extension {p} is not a modifier extension: it cannot be "
                                                   f"used on {path}")


_REFUSED = {
    "unknown": "names an element its FHIR version does not have",  # Extension_EXT_Version_InvalidId
    "bad-version": "names a FHIR version HL7 has no cross-version definitions for",  # Extension_EXT_Version_Invalid
    "no-change": "names an element R4 has unchanged: use the R4 element",  # Extension_EXT_Version_NoChange
}


def _cross_version_refused(w: Walker, url: str, at: str) -> None:
    """A type profile that is a cross-version extension URL HL7 cannot generate a definition for: when no loaded
    definition has it, StructureDefinitionValidator.validateTypeProfile asks BaseValidator.getXverExt, whose
    rule for a bad version, an unknown element or an unchanged one is an error (EXTENSION_EXT_VERSION_INVALID,
    _INVALIDID, _NOCHANGE), besides the warning SD_ED_TYPE_PROFILE_UNKNOWN. Unjudged without a generator of its
    version (cross_version_status None)."""
    if XVER_URL.fullmatch(url.partition("|")[0]) is None:
        return
    why = _REFUSED.get(cross_version_status(w.model.source, url) or "")
    if why is not None:
        w.sink.error("extension-unknown", at, f"the cross-version extension {url} {why}")


def _targets(w: Walker, t: Json, code: str, logical: bool, where: str) -> None:
    targets = t.get("targetProfile") or []
    if not isinstance(targets, list) or not targets:
        return
    for k, p in enumerate(targets):
        if code not in ("Reference", "CodeableReference", "canonical"):
            w.sink.error("structure-type", f"{where}.targetProfile[{k}]", f"a {code} has no target profiles (only "
                                                                          "Reference and canonical do)")
            continue
        named = _structure(w, p) if isinstance(p, str) else None
        base = _base_type(w, named) if named is not None else None
        if named is None or base is None:
            continue
        if code == "canonical":
            fits = base.get("type") in _R4_CANONICAL or base.get("type") == "Resource"
            kind = "a canonical resource"
        else:
            fits = named.get("kind") == "resource" or (logical and _referenceable(base))
            kind = "a resource"
        if not fits:
            w.sink.error("structure-type", f"{where}.targetProfile[{k}]",
                         f"the target profile {p} is a {base.get('type')}, not {kind}")


def _structure(w: Walker, url: str) -> Json | None:
    """A loaded StructureDefinition, or None: one whose snapshot cannot be generated is not there for this rule."""
    try:
        return w.model.source.structure(url)
    except Exception:  # noqa: BLE001 - a definition that cannot be built (SnapshotError...) is unknown here
        return None


def _base_type(w: Walker, sd: Json) -> Json | None:
    """The structure a profile constrains (determineBaseType): its base followed through constraints."""
    for _ in range(_MAX_DEPTH):
        if sd.get("derivation") != "constraint":
            return sd
        url = sd.get("baseDefinition")
        found = _structure(w, url) if isinstance(url, str) else None
        if found is None:
            return None
        sd = found
    return None


def _instance_of(w: Walker, sd: Json, code: str) -> bool:
    """The type is ``code``, or specializes it through abstract types and logical models (isInstanceOf)."""
    for _ in range(_MAX_DEPTH):
        if code in (sd.get("type"), sd.get("url")):
            return True
        url = sd.get("baseDefinition")
        found = _structure(w, url) if isinstance(url, str) else None
        if found is None or (found.get("abstract") is not True and found.get("kind") != "logical"):
            return False
        sd = found
    return False


def _referenceable(sd: Json) -> bool:
    """A logical model's type that may be a reference target (isReferenceableTarget)."""
    for e in objects(sd.get("extension")):
        if e.get("url") == _CHARACTERISTICS and e.get("valueCode") == "can-be-target":
            return True
        if e.get("url") == _LOGICAL_TARGET and e.get("valueBoolean") is True:
            return True
    return False


def unknown_type_profile(w: Walker, url: str, tcode: str, loc: str) -> None:
    """A type profile an element names that is not loaded: an error, as HL7's checkChild says it
    (VALIDATION_VAL_UNKNOWN_PROFILE, a rule for one profile or each of several), unless a dependency the
    harness could not load would define it (then not judged: information)."""
    missing = w.model.missing_dependency(url)
    refused = w.model.refused(url) if missing is None else None
    if refused is not None:  # loaded, but HL7's generator throws on it: no snapshot (checkChild's NOSNAPSHOT rule)
        no_snapshot(w.sink, url, refused, loc)
        return
    if missing is not None:
        if w.note_once("profile:" + url):
            w.sink.info("unknown-profile", loc, f"the type profile {url} was not checked: it may be (or derive from) a "
                                                f"definition of {missing}, a dependency that is not loaded")
        return
    if XVER_URL.fullmatch(url.partition("|")[0]) and cross_version_status(w.model.source, url) is None:
        # HL7's validator always loads hl7.fhir.xver-extensions (ValidationEngine.initContext, CommonPackages.ID_XVER)
        # and generates this definition when asked (checkExtension -> BaseValidator.getXverExt,
        # XVerExtensionManagerOld.getDefinition): without a generator of its version the harness cannot tell
        if w.note_once("profile:" + url):
            w.sink.info("unknown-profile", loc, f"the type profile {url} was not checked: a cross-version "
                                                "extension, and no generator of its version is loaded (load "
                                                "hl7.fhir.xver-extensions)")
        return
    w.sink.error("unknown-profile", loc, f"the type profile {url} is not known (not in the loaded definitions); "
                                         f"checked against {tcode} only")


def primitive_profiles(w: Walker, item: Any, profiles: tuple[str, ...], tcode: str, loc: str) -> None:
    """A primitive value whose element names profiles of its type (``text`` as a string profile that fixes it):
    judged against the profile's own root, as HL7's checkChild walks any typed value into its type profile
    (validateElement against the profile; VALIDATION_VAL_PROFILE_NOMATCH when none of several fits)."""
    known = [(p, i) for p in profiles if (i := w.model.index(p)) is not None and i.root is not None]
    for missing in (p for p in profiles if p not in dict(known)):
        unknown_type_profile(w, missing, tcode, loc)
    if len(known) == 1 and len(profiles) == 1:
        root = known[0][1].root
        assert root is not None
        w.primitive(item, root, tcode, loc)
    elif known and len(known) == len(profiles) and not any(w.conforms(item, tcode, p, loc) for p, _ in known):
        w.sink.error("type-profile", loc, f"the value matches none of the profiles allowed for it: "
                                          f"{', '.join(profiles)}")


def resource_choice(w: Walker, item: Any, profiles: tuple[str, ...], loc: str) -> tuple[str, ...]:
    """The profiles a resource (a Bundle entry's, a contained or a Parameters resource) whose element names several
    is walked against: it has to conform to one of them, not to all. HL7's validateContains (rule dated
    2023-09-07) tries each and keeps none of their messages; none matching is one error
    (BUNDLE_BUNDLE_ENTRY_MULTIPLE_PROFILES_NO_MATCH), the reasons only hints. So the first that fits is walked;
    none fitting, the error and the base walk. One not loaded stays in, to be said unknown (or not judged)."""
    if len(profiles) < 2:
        return profiles
    known = [p for p in profiles if (i := w.model.index(p)) is not None and i.root is not None]
    unknown = tuple(p for p in profiles if p not in known)
    rtype = item.get("resourceType") if isinstance(item, dict) else None
    if not known or not isinstance(rtype, str):
        return profiles
    fitting = next((p for p in known if w.conforms(item, rtype, p, loc)), None)
    if fitting is not None:
        return (fitting, *unknown)
    pending = [p for p in unknown if w.model.missing_dependency(p) is not None]  # as walk_profile will say of it
    if pending:  # the harness lacks a profile that might fit: not judged (a lack is never the system's failure)
        w.sink.info("type-profile", loc, f"the {rtype} resource matched none of the loaded profiles "
                                         f"({', '.join(known)}); {', '.join(pending)} could not be tried: its "
                                         "package is not loaded")
    else:  # HL7 counts the known ones only: an unknown one is its own error besides (BUNDLE_ENTRY_NOPROFILE_TYPE)
        w.sink.error("type-profile", loc, f"the {rtype} resource did not match any of the allowed profiles "
                                          f"({', '.join(profiles)})")
    return unknown
