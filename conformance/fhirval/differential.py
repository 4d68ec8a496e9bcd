"""A StructureDefinition being validated: is its differential one a snapshot can be generated from?

A profile under review (a vendor's, a region's) is only useful if its differential applies to its base:
HL7's validator generates the snapshot of every constraining StructureDefinition it validates and
reports what stops it. These are the differential's own rules (ElementDefinition and "snapshot
generation" in the spec), each an error at the differential element concerned:

- an element's ``path`` is its ``id`` without slice names (``Observation.valueQuantity`` is not
  ``Observation.valueBla``);
- no slicing on the root element (sdf-20 says so of the differential; this names the element);
- elements are in the order of the base's snapshot, or no snapshot generator can match them (the one passed over
  for a later element the base puts first is the one reported, as HL7's);
- a binding only where a type can be bound (code, Coding, CodeableConcept, Quantity, string, uri...);
- a fixed value the base already fixes is not changed;
- an element sliced in the differential keeps that slicing: a later element of the same path and context (a
  slice that re-slices) may repeat it but not state another (ProfilePathProcessor, ATTEMPT_TO_CHANGE_SLICING);
- everything the snapshot generator itself refuses (an element the base does not have, a max that
  widens the base's...).

A base that is not loaded is HL7's warning (UNABLE_TO_FIND_BASE__FOR_), information when a dependency the harness
could not load would define it; never an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.snapshot import SnapshotError, apply_differential
from conformance.fhirval.snapshot_checks import unmatched_by_order
from conformance.fhirval.snapshot_ids import path_of
from conformance.fhirval.source import as_loaded, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

BINDABLE = frozenset({"code", "Coding", "CodeableConcept", "Quantity", "string", "uri", "canonical", "url",
                      "CodeableReference", "Extension"})  # an extension: its value can carry the binding


def check(w: Walker, sd: Json, loc: str) -> None:
    """Report why ``sd``'s differential does not apply to its base (constraining definitions only)."""
    base, source = sd.get("baseDefinition"), w.model.source
    if isinstance(base, str) and as_loaded(source)(base) is None:
        _base_not_found(w, base, loc)  # as HL7's fetchResource finds it (held, whether its snapshot builds or not)
        return
    diff = sd.get("differential")
    elements = diff.get("element") if isinstance(diff, dict) else None
    if sd.get("derivation") != "constraint" or not isinstance(elements, list) or not elements:
        return
    if not isinstance(base, str) or source.structure(base) is None:
        w.sink.info("snapshot-not-checked", loc, f"the base definition {base} cannot be used, so the differential "
                                                 "was not checked against it")
        return
    at = f"{loc}.differential.element"
    root = sd.get("type") if isinstance(sd.get("type"), str) else None
    for n, el in enumerate(elements):
        if not isinstance(el, dict) or not isinstance(el.get("path"), str):
            continue  # the element's own cardinality rules report a missing path
        element_id, path = el.get("id"), el["path"]
        if isinstance(element_id, str) and path_of(element_id) != path:
            w.sink.error("differential", f"{at}[{n}]", f"the id {element_id} does not match the path {path}: the path "
                                                       "must be the id without its slice names")
        if path == root and "slicing" in el:
            w.sink.error("differential", f"{at}[{n}]", "slicing is not allowed at the root of a profile")
    _fixed_against_base(w, sd, base, elements, at)
    _redefined_slicing(w, elements, _parents(w.model.source.structure(base)), loc)
    try:
        builder, landed = apply_differential(sd, w.model.source)
    except SnapshotError as exc:
        w.sink.error("snapshot", loc, f"the snapshot cannot be generated from the differential: {exc}")
        return
    except Exception as exc:  # noqa: BLE001 - a malformed differential the generator did not foresee: say so
        w.sink.error("snapshot", loc, f"the snapshot cannot be generated from the differential (malformed: "
                                      f"{type(exc).__name__}: {exc})")
        return
    for problem in builder.problems:
        w.sink.error("snapshot", loc, f"the snapshot cannot be generated from the differential: {problem}")
    for caution in builder.cautions:
        w.sink.warning("snapshot", loc, f"generating the snapshot: {caution}")
    unmatched = unmatched_by_order(builder.elements, landed)
    for n in unmatched:  # ProfileUtilities.generateSnapshot: one error per unmatched element that has an id ...
        if "id" in elements[n]:
            w.sink.error("differential", f"{at}[{n}]", f"no match for {elements[n]['path']} in the generated "
                                                       "snapshot: differential elements must follow the order of "
                                                       "the base's elements (an element after it comes before it in "
                                                       "the base)")
    if unmatched:  # ... and one for the profile naming them all (handleError, at the profile)
        named = ", ".join(f"id: {elements[n]['id']}" if "id" in elements[n] else f"path: {elements[n]['path']}"
                          for n in unmatched)
        w.sink.error("differential", loc, f"the profile {sd.get('url')} has {len(unmatched)} element"
                                          f"{'s' * (len(unmatched) != 1)} in the differential ({named}) that match no "
                                          "element in the snapshot")
    for n, element_id in enumerate(landed):  # every element is an object with a path, or the generator raised
        if element_id is None:  # matched nothing in the base: one of builder.problems, reported above
            continue
        # the types the element states itself (the root: its type), as HL7's validator judges a differential's
        # binding (StructureDefinitionValidator: SD_ILLEGAL_CHARACTERISTICS "Binding" over the element's own
        # types; SD_ED_BIND_NO_BINDABLE only in a snapshot). A binding on an element whose inherited types cannot
        # be bound is dropped by its snapshot generator (ProfileUtilities, task 8477), not reported.
        types = elements[n].get("type") if "." in elements[n]["path"] else [{"code": elements[n]["path"]}]
        codes = [str(t.get("code")) for t in types if isinstance(t, dict)] if isinstance(types, list) else []
        if "binding" in elements[n] and codes and not any(c in BINDABLE for c in codes):
            w.sink.error("differential", f"{at}[{n}]", f"the element has a binding, but its types ({', '.join(codes)})"
                                                       " cannot be bound to a value set")


def _base_not_found(w: Walker, base: str, loc: str) -> None:
    """StructureDefinitionValidator.validateStructureDefinition: a base its context cannot fetch is
    UNABLE_TO_FIND_BASE__FOR_ ("..., so can't check the differential"), a warning for any StructureDefinition. The
    harness loads what HL7's runner loads, so the lack is HL7's too, unless the base is in a dependency of a loaded
    package that could not be loaded, or HL7's extensions package while it is not (Model.missing_dependency), or a
    cross-version definition without its generator: HL7, holding them, checks the differential."""
    from conformance.fhirval.xver import XVER_URL, cross_version_status

    missing = w.model.missing_dependency(base)  # HL7's extensions package not loaded included
    if missing is None and XVER_URL.fullmatch(base.partition("|")[0]) \
            and cross_version_status(w.model.source, base) is None:
        missing = "hl7.fhir.xver-extensions"  # no generator of its version (xver.py): HL7's runner has them all
    if missing is not None:
        w.sink.info("snapshot-not-checked", loc, f"the base definition {base} may be in {missing}, a package that is "
                                                 "not loaded, so the differential was not checked against it")
    else:
        w.sink.warning("snapshot-not-checked", loc, f"unable to find the base definition {base}, so the differential "
                                                    "cannot be checked")


def _fixed_against_base(w: Walker, sd: Json, base: str, elements: list[Json], at: str) -> None:
    """A fixed value the base already fixes cannot be changed by a profile (an extension deriving from another
    cannot re-fix Extension.url): HL7's validator reports the value against the one fixed in the base."""
    base_sd = w.model.source.structure(base)
    snapshot = base_sd.get("snapshot") if isinstance(base_sd, dict) else None
    base_elements = snapshot.get("element") if isinstance(snapshot, dict) else None
    if not isinstance(base_elements, list):
        return
    by_id = {e["id"]: e for e in base_elements if isinstance(e, dict) and isinstance(e.get("id"), str)}
    for n, el in enumerate(elements):
        if not isinstance(el, dict):
            continue
        own = el.get("id")
        b = by_id.get(own) if isinstance(own, str) else None  # an id that is a list or object names nothing
        if b is None:
            continue
        mine = next(((k, v) for k, v in el.items() if k.startswith("fixed")), None)
        theirs = next(((k, v) for k, v in b.items() if k.startswith("fixed")), None)
        if mine is not None and theirs is not None and mine != theirs:
            w.sink.error("fixed-value", f"{at}[{n}]", f"{el.get('path')}: the value {mine[1]!r} is fixed to "
                                                      f"{theirs[1]!r} in the base {base}")


def _redefined_slicing(w: Walker, elements: list[Json], parents: set[str], loc: str) -> None:
    """ATTEMPT_TO_CHANGE_SLICING (ProfilePathProcessor.processSimplePathWithSlicing): of the differential elements
    with one path in one context (the id up to its last segment: ``AuditEvent.agent`` for
    ``AuditEvent.agent.extension:a``), the first defines the slicing; a later one stating another (slicingMatches:
    another ordered or rules than stated first, or other discriminators) is an error of snapshot generation."""
    first: dict[tuple[str, str], Json] = {}
    for n, el in enumerate(elements):
        if not isinstance(el, dict) or not isinstance(el.get("path"), str):
            continue
        element_id = el.get("id") if isinstance(el.get("id"), str) else el["path"]
        key = (str(element_id).rsplit(".", 1)[0], el["path"])
        if key not in first:
            first[key] = el
            continue
        if el.get("sliceName") is not None and (el["path"] in parents or elements[n - 1] is not first[key]):
            # a slice stating slicing may reslice itself (component:systolic sliced again): HL7 reports the change
            # only in processSimplePathWithSlicing's else branch, where the base element has no children and the
            # slice follows its slicer at once (review8: Observation.component resliced is no error)
            continue
        s1, s2 = first[key].get("slicing"), el.get("slicing")
        if isinstance(s1, dict) and isinstance(s2, dict) and not _same_slicing(s1, s2):
            w.sink.error("snapshot", loc, f"the element {first[key].get('id', el['path'])} defines a slicing, but "
                                          f"the element {element_id}, in that slicing, redefines it")


def _parents(base_sd: Json | None) -> set[str]:
    """The paths of the base snapshot's elements that have children listed there (a BackboneElement's)."""
    snapshot = base_sd.get("snapshot") if isinstance(base_sd, dict) else None
    paths = [e.get("path") for e in objects(snapshot.get("element") if isinstance(snapshot, dict) else None)]
    return {p.rsplit(".", 1)[0] for p in paths if isinstance(p, str) and "." in p}


def _same_slicing(s1: Json, s2: Json) -> bool:
    """ProfilePathProcessor.slicingMatches: what the later slicing states agrees with the first."""
    for name in ("ordered", "rules"):
        if name in s2 and s1.get(name) != s2[name]:
            return False
    return bool(s1.get("discriminator") == s2.get("discriminator"))
