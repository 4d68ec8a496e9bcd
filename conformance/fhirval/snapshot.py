"""Generate a StructureDefinition's snapshot from its differential (FHIR's rules, R4).

Most published profiles (UK Core among them) ship a differential only; validation needs the full
element list. The algorithm, per the spec's "snapshot generation" rules:

1. start from the base definition's snapshot (``baseDefinition``, itself generated first when it
   has none: the source we are given generates on demand);
2. for each differential element, in order, find its match by id (``path`` plus ``:sliceName``
   per segment), creating what the match needs first:
   - a new slice is a copy of the sliced element as the base has it (without ``slicing``) and its
     children, inserted after the sliced element's subtree and its earlier slices;
   - constraining below a complex datatype expands that element with the type's own elements (or
     the type's profile's, e.g. an extension definition), renamed under the element's id;
   - constraining below a ``contentReference`` copies the referenced element's children;
   - a renamed choice (``valueQuantity``) is a type slice ``value[x]:valueQuantity``, as HL7's generator
     names it (ProfilePathProcessor's short cut): ``value[x]`` is sliced by type, closed, and narrowed to
     the slices' types unless the differential states ``value[x]`` itself; so is one with a slice name
     (``valueBoolean:valueBoolean``, as R5-era definitions write it);
3. merge the differential element onto its match: every property it states replaces the base's,
   except ``constraint`` and ``condition``, which are appended (a key the base has keeps the base's), ``slicing``
   on an element already sliced (merged), and ``fixed``/``pattern`` (each replaces only its own kind).

Differences from HL7's Java generator are listed in tests/fhirval/test_snapshot_uscore.py.
"""

from __future__ import annotations

from typing import Any

from conformance.fhirval.snapshot_checks import (
    Refused,
    SnapshotError,
    check_differential,
    check_slicing,
    check_types,
    fixed_type_problem,
    must_support_problem,
    unmatched_by_order,
)
from conformance.fhirval.snapshot_choices import drop_prohibited_types, place_choice, settle_type_slicings
from conformance.fhirval.snapshot_ids import (
    by_path,
    diff_id,
    name_slice,
    names_other_element,
    segments,
    slice_counts,
    with_ids,
)
from conformance.fhirval.snapshot_merge import (
    appended,
    bindable,
    extension_slicing,
    max_value,
    merged_binding,
    merged_slicing,
    raise_to_slice_mins,
    slice_cardinality,
)
from conformance.fhirval.snapshot_preprocess import preprocess
from conformance.fhirval.snapshot_special import add_specialized
from conformance.fhirval.source import DefinitionSource, Json, deep_copy

SYSTEM_PREFIX = "http://hl7.org/fhirpath/System."
_SYSTEM_PRIMITIVES = {"Boolean": "boolean", "String": "string", "Integer": "integer", "Decimal": "decimal",
                      "Date": "date", "DateTime": "dateTime", "Time": "time"}
APPENDED = ("constraint", "condition")


__all__ = ["Builder", "NotInBase", "Refused", "SnapshotError", "apply_differential", "generate_snapshot"]


class NotInBase(SnapshotError):
    """A differential element that matches nothing in the base: HL7's generator reports it ("No match found for
    ... in the generated snapshot") and builds the snapshot without it, so it is one of ``Builder.problems``."""


class Untyped(SnapshotError):
    """A differential element below one with no type (a logical model's root): only a specialization adds it."""


class Builder:
    def __init__(self, sd: Json, source: DefinitionSource) -> None:
        self.sd = sd
        self.source = source
        self.url = str(sd.get("url") or sd.get("id") or "?")
        base_url = sd.get("baseDefinition")
        if not base_url:  # ContextUtilities.generateSnapshot throws PROFILE___HAS_NO_BASE_AND_NO_SNAPSHOT: a refusal
            raise Refused(self.url, "no snapshot and no baseDefinition to generate one from")
        base = source.structure(base_url)
        if base is None:
            raise SnapshotError(self.url, f"base definition {base_url} is not loaded")
        self.base_elements: list[Json] = with_ids(base.get("snapshot", {}).get("element", []))
        if not self.base_elements:
            raise SnapshotError(self.url, f"base definition {base_url} has no snapshot")
        self.elements: list[Json] = deep_copy(self.base_elements)
        # what HL7's generator reports and goes on past (ProfileUtilities.updateFromDefinition: a derived min
        # below the base's, a max above it, are messages, and the derived value is taken): the differential's
        # own validation reports them (differential.py); a profile in use is built with them
        self.problems: list[SnapshotError] = []
        # HL7's messages that published guides' profiles carry without their publisher saying so (a target profile
        # outside the base's: snapshot_checks.check_types): a warning on the profile, never an error
        self.cautions: list[SnapshotError] = []
        self.diff_slices = slice_counts(sd)
        # each slice made here: the slicer's max when the slicing is new in this profile, None when the base sliced
        self.slicer_max: dict[str, str | None] = {}
        self.auto_sliced: set[str] = set()  # slicing the generator added (raise_to_slice_mins)
        self.made_extension_slicing: set[str] = set()  # extension slicing made here (makeExtensionSlicing)
        self.merged: set[str] = set()  # ids a differential element has been merged onto (one may have no id)
        self.walked_into: set[str] = set()  # slices given their children by expanding their own type (renamed_in_place)
        self.expanded: dict[str, Json] = {}  # elements as expand() made them, before any merge (expanded_subtree)
        differential = sd.get("differential")
        self.diff_ids = {el.get("id") for el in (differential.get("element") or [] if isinstance(differential, dict)
                                                  else []) if isinstance(el, dict) and isinstance(el.get("id"), str)}
        if sd.get("derivation") == "constraint" and isinstance(sd.get("type"), str) and sd["type"] != base.get("type"):
            # ProfileUtilities.generateSnapshot: BASE__DERIVED_PROFILES_HAVE_DIFFERENT_TYPES____VS___ (a refusal)
            raise Refused(self.url, f"it constrains {sd['type']}, but its base {base_url} is a {base.get('type')}")
        self.made_slicing: set[str] = set()  # choices this generator sliced by type (type_slice)
        root = self.elements[0]["path"]
        own_type = str(sd.get("type") or root).rsplit("/", 1)[-1]  # getTypeName: a logical model's URL type by its tail
        if sd.get("derivation") == "specialization" and own_type != root:
            self.rename_root(root, own_type)

    def fail(self, element_id: str, reason: str) -> SnapshotError:
        return SnapshotError(self.url, f"differential element {element_id}: {reason}")

    def rename_root(self, old: str, new: str) -> None:
        for el in self.elements:
            el["id"] = new + str(el.get("id") or el["path"])[len(old) :]
            el["path"] = new + el["path"][len(old) :]

    # --- lookup -------------------------------------------------------------------------------

    def index(self, element_id: str) -> int | None:
        for i, el in enumerate(self.elements):
            if el.get("id") == element_id:
                return i
        return None

    def subtree_end(self, i: int) -> int:
        """Index just past element i's descendants (ids under it, including its children's slices)."""
        prefix = self.elements[i]["id"] + "."
        j = i + 1
        while j < len(self.elements) and self.elements[j]["id"].startswith(prefix):
            j += 1
        return j

    def slices_end(self, i: int) -> int:
        """Index just past element i's subtree and all its slices' subtrees."""
        base_id = self.elements[i]["id"]
        j = self.subtree_end(i)
        while j < len(self.elements) and self.elements[j]["id"].startswith(base_id + ":"):
            j = self.subtree_end(j)
        return j

    def resolve(self, element_id: str) -> int:
        """The index of the element with this id, creating slices/expansions/renames on the way."""
        parts = segments(element_id)
        current = parts[0]
        if self.index(current) is None:
            raise Refused(self.url, f"differential element {element_id}: root {current} does not match the base "
                                    f"{self.elements[0]['id']}")
        for segment in parts[1:]:
            current = self.step(current, segment, element_id)
        found = self.index(current)
        assert found is not None
        return found

    def step(self, parent_id: str, segment: str, full_id: str) -> str:
        name, slice_name = name_slice(segment)
        wanted = f"{parent_id}.{segment}"
        if self.index(wanted) is not None:
            if slice_name and "/" not in slice_name and f"{parent_id}.{name}" not in self.diff_ids | self.merged:
                # a slice the base already has, its slicer not stated: processPathWithSlicedBaseDefault's first
                # match has a slice name and no slicing, SNAPSHOT_auto_added_slicing (raise_to_slice_mins)
                self.auto_sliced.add(f"{parent_id}.{name}")
            return wanted
        parent = self.index(parent_id)
        assert parent is not None
        if self.index(f"{parent_id}.{name}") is None and not self.has_children(parent):
            self.expand(parent, full_id)
        if self.index(wanted) is not None:
            return wanted
        unsliced = f"{parent_id}.{name}"
        if self.index(unsliced) is not None and slice_name:
            return self.add_slice(unsliced, slice_name)
        if self.index(unsliced) is None:
            return self.choice(parent_id, name, slice_name, full_id)
        raise NotInBase(self.url, f"differential element {full_id}: no element {wanted} in the base")

    def has_children(self, i: int) -> bool:
        return i + 1 < len(self.elements) and self.elements[i + 1]["id"].startswith(self.elements[i]["id"] + ".")

    # --- creation ------------------------------------------------------------------------------

    def choice(self, parent_id: str, name: str, slice_name: str | None, full_id: str) -> str:
        """``valueQuantity`` (or ``valueBoolean:valueBoolean``): where the renamed choice lands (place_choice)."""
        found = place_choice(self, parent_id, name, slice_name, full_id)
        if found is None:
            raise NotInBase(self.url, f"differential element {full_id}: no element {parent_id}.{name} in the base")
        return found

    def add_slice(self, unsliced_id: str, slice_name: str, *, optional: bool = True) -> str:
        """A new slice: the sliced element (minus slicing) and its children, after earlier slices.

        Of open slicing it is optional (min 0) unless its differential says otherwise: only the sliced
        element's own min holds, as HL7's ProfilePathProcessor (``outcome.setMin(0)``, "it's only mandatory
        if it's explicitly marked so"); US Core's ``Provenance.agent:ProvenanceTransmitter`` states no min.
        Of closed slicing too when the differential has more than one slice ("they share the min cardinality
        between them") or the base already sliced it (a slice appended to a base's slices, setMin(0)); the one
        slice of a closed slicing keeps the base min."""
        i = self.index(unsliced_id)
        assert i is not None
        template = deep_copy(self.base_subtree(unsliced_id) or self.expanded_subtree(i))
        at = self.slices_end(i)
        resliced = self.index(f"{unsliced_id}:{slice_name.rsplit('/', 1)[0]}") if "/" in slice_name else None
        if resliced is not None:
            # a re-slice ``a/b`` starts from slice ``a`` as generated so far (its type profile, fixed values,
            # children), after ``a``'s earlier re-slices: ProfilePathProcessor, ``lid.contains("/")``: the template
            # is getById(result, baseId), then setMin(0)
            template = deep_copy(self.elements[resliced : self.subtree_end(resliced)])
            at = self.subtree_end(resliced)
            earlier = f"{self.elements[resliced]['id']}/"
            while at < len(self.elements) and self.elements[at]["id"].startswith(earlier):
                at = self.subtree_end(at)
            unsliced_id = str(self.elements[resliced]["id"])
            slice_name = slice_name.rsplit("/", 1)[1]
        head = template[0]
        head.pop("slicing", None)
        closed = self.elements[i].get("slicing", {}).get("rules") == "closed"
        base_sliced = any(str(e.get("id")).startswith(unsliced_id + ":") for e in self.base_elements)
        # sliced already (by the base, or by the datatype expanded here: R5's ``Address.extension``), the slicing is
        # the generator's unless the differential states the element (processPathWithSlicedBaseDefault)
        unstated = "slicing" not in self.elements[i] or not ({unsliced_id} & (self.diff_ids | self.merged))
        # and a slice of it is added to that slicing: its extension definition's root caps its max (slice_cardinality)
        # (not slicing this generator made for an earlier slice: ProfilePathProcessor.processSimplePathDefault makes
        # the extension slicing once, ``makeExtensionSlicing()``, and processes every slice of it against that slicer)
        pre_sliced = base_sliced or ("slicing" in self.elements[i] and unstated
                                     and unsliced_id not in self.made_extension_slicing)
        if resliced is None and unstated:
            self.auto_sliced.add(unsliced_id)  # ProfilePathProcessor: SNAPSHOT_auto_added_slicing
            if "slicing" not in self.elements[i] and self.elements[i]["path"].endswith((".extension",
                                                                                        ".modifierExtension")):
                self.elements[i]["slicing"] = extension_slicing()
                self.made_extension_slicing.add(unsliced_id)
        # the one type slice of a choice keeps its template's (the base's) min: type slicing is closed by then
        # (ProfilePathProcessor: APPLY_PROPERTIES_FROM_SLICER false, ``template = currentBase.copy()``; HL7 telus-oo)
        closed = closed or (unsliced_id.endswith("[x]") and self.diff_slices.get(unsliced_id, 0) == 1)
        if optional and (not closed or self.diff_slices.get(unsliced_id, 0) > 1 or resliced is not None or base_sliced):
            head["min"] = 0
        new_id = f"{unsliced_id}{'/' if resliced is not None else ':'}{slice_name}"
        self.slicer_max[new_id] = None if pre_sliced or resliced is not None else self.elements[i].get("max")
        head["sliceName"] = new_id.rsplit(":", 1)[1]
        for el in template:
            el["id"] = new_id + el["id"][len(unsliced_id) :]
        self.elements[at:at] = template
        return new_id

    def base_subtree(self, element_id: str) -> list[Json]:
        """The element and its descendants as the base definition has them (slices start from these)."""
        for n, el in enumerate(self.base_elements):
            if el.get("id") == element_id:
                end = n + 1
                while end < len(self.base_elements) and self.base_elements[end]["id"].startswith(element_id + "."):
                    end += 1
                return self.base_elements[n:end]
        return []

    def expand(self, i: int, full_id: str) -> None:
        """Give element i the children of its type (or profile on the type, or contentReference)."""
        el = self.elements[i]
        if ":" in segments(str(el["id"]))[-1]:
            self.walked_into.add(str(el["id"]))
        ref = el.get("contentReference")
        if ref:
            target = ref.split("#", 1)[-1]
            # the referenced element's children as the base has them, not as this differential has constrained them
            # (PlanDefinition.action.action sliced and made 1..* does not make each slice's action 1..*):
            # ProfilePathProcessor copies from ``cursors.base`` (resolveContentReference)
            children = [e for e in self.base_elements if e["path"].startswith(target + ".") and e["id"] == e["path"]]
            root_path, root_id = target, target
            # walked into, the element is the referenced one's kind: ProfileUtilities.replaceFromContentReference
            # drops the reference and copies its target's types (BackboneElement), as HL7's snapshot has it
            referenced = next((e for e in self.base_elements if e.get("id") == target), None)
            if referenced is not None and referenced.get("type") and children:
                el.pop("contentReference")
                el["type"] = deep_copy(referenced["type"])
        else:
            types = el.get("type", [])
            if not types:
                raise Untyped(self.url, f"differential element {full_id}: cannot constrain below {el['id']}: it has no "
                                        "type")
            # several types: the children all of them have, Element's (id, extension), as HL7's ProfilePathProcessor
            # (getProfileForDataType("Element")); SDC constrains minValue's value[x].extension. One code named several
            # times (Reference with different profiles) is that type.
            several = len({t.get("code") for t in types}) > 1
            type_sd = self.type_definition({"code": "Element"} if several else types[0], full_id)
            elements = type_sd.get("snapshot", {}).get("element", [])
            if not elements:
                raise self.fail(full_id, f"type {types[0].get('code')} has no snapshot")
            root_path = root_id = elements[0]["path"]
            children = elements[1:]
        copied = []
        for child in deep_copy(children):
            child["id"] = el["id"] + str(child.get("id") or child["path"])[len(root_id) :]
            child["path"] = el["path"] + child["path"][len(root_path) :]
            copied.append(child)
        self.elements[i + 1 : i + 1] = copied
        self.expanded.update((str(c["id"]), deep_copy(c)) for c in copied)

    def expanded_subtree(self, i: int) -> list[Json]:
        """Element i and its descendants as its datatype (or type profile) defines them, before this differential
        constrained them: a new slice of an element inside an expanded datatype starts from there, as one in the base's
        own structure starts from the base (ProfilePathProcessor takes a slice's template from ``cursors.base``; HL7
        test t22: ``type.coding:preferredCoding`` does not inherit ``type.coding``'s mustSupport). Elements the
        differential made (slices below) are not part of it; without a record, the element as it stands."""
        subtree = self.elements[i : self.subtree_end(i)]
        if str(subtree[0]["id"]) not in self.expanded:
            return subtree
        return [self.expanded[str(e["id"])] for e in subtree if str(e["id"]) in self.expanded]

    def type_definition(self, type_: Json, full_id: str) -> Json:
        code = type_.get("code", "")
        for profile in type_.get("profile", []):
            found = self.source.structure(profile)
            if found is not None:
                return found
        if code.startswith(SYSTEM_PREFIX) and code[len(SYSTEM_PREFIX):] in _SYSTEM_PRIMITIVES:
            # a primitive's own value, given extensions by a recent IG publisher (SDC: item.required.value.extension):
            # HL7's snapshot walks it as the FHIR primitive (value.id, value.extension, value.value)
            code = _SYSTEM_PRIMITIVES[code[len(SYSTEM_PREFIX):]]
        elif code.startswith(SYSTEM_PREFIX) or not code:
            raise self.fail(full_id, f"cannot constrain below a primitive value ({code})")
        found = self.source.structure(code)
        if found is None:
            raise self.fail(full_id, f"type {code} is not loaded")
        return found

    def check_cardinality(self, target: Json, diff: Json) -> None:
        """A profile may only narrow: max never above the base's, min never below (``problems``: the snapshot
        still takes the derived values, as HL7's does). Slices are not checked (published profiles give a slice
        a max above its sliced element's constrained one)."""
        element_id = str(target.get("id"))
        if "sliceName" in target or "sliceName" in diff:
            return
        if "max" in diff and "max" in target and max_value(diff["max"]) > max_value(target["max"]) >= 0:
            self.problems.append(self.fail(element_id, f"max {diff['max']} widens the base's {target['max']}"))
        if "min" in diff and isinstance(diff["min"], int):
            if diff["min"] < int(target.get("min", 0)):
                self.problems.append(self.fail(element_id, f"min {diff['min']} is below the base's {target['min']}"))

    def check_binding(self, target: Json, diff: Json) -> None:
        """A required binding cannot be weakened (``problems``; the derived strength is taken): ProfileUtilities.
        updateFromDefinition, "illegal attempt to change the binding on ... from required to ...", an error the
        validator reports on the profile itself (StructureDefinitionValidator keeps generateSnapshot's messages)."""
        base, mine = target.get("binding"), diff.get("binding")
        if not isinstance(base, dict) or not isinstance(mine, dict) or base.get("strength") != "required":
            return
        if mine.get("strength") not in (None, "required"):
            self.problems.append(self.fail(str(target.get("id")), f"the binding cannot change from required to "
                                                                  f"{mine['strength']}"))

    # --- merge ---------------------------------------------------------------------------------

    def renamed_type_slice(self, target: Json, diff: Json) -> bool:
        """A renamed choice (``valueCode``), alone or after the choice (``value[x]``) itself: HL7's ProfilePathProcessor
        takes it as implicit slicing (isImplicitSlicing, then diffsConstrainTypes) and names it a slice
        (``value[x]:valueCode``), so its min is the slice's, neither checked against the choice's min nor lowering
        it (old SUSHI writes ``value[x]`` min 1, then ``valueCode`` min 0; QPath's ``eventCoding`` min 0 under
        MessageDefinition's ``event[x]`` 1..1, no error from publisher 1.1.97); a min above 0 makes the choice
        required (``elementDefinition.setMin(1)``)."""
        target_id = str(target.get("id"))
        return (target_id.endswith("[x]") and not str(diff.get("path", "")).endswith("[x]")
                and "sliceName" not in diff)

    def merge(self, i: int, diff: Json) -> None:
        target = self.elements[i]
        self.check_refusals(target, diff)
        self.merged.add(str(target.get("id")))
        type_slice = self.renamed_type_slice(target, diff)
        if not type_slice:
            self.check_cardinality(target, diff)
        self.check_binding(target, diff)
        ms_problem = must_support_problem(target, diff)
        if ms_problem:
            self.problems.append(self.fail(str(target.get("id")), ms_problem))
        for key, value in diff.items():
            if key in ("id", "path") or (type_slice and key == "min"):
                if key == "min" and isinstance(value, int) and value > 0:
                    target["min"] = 1  # a required type slice makes the choice required (HL7: setMin(1))
                continue
            if key in APPENDED:
                if not isinstance(value, list):
                    raise self.fail(str(target.get("id")), f"{key} must be a list, not {type(value).__name__}")
                target[key] = appended(target.get(key, []), value)
            elif key == "slicing" and isinstance(value, dict) and isinstance(target.get("slicing"), dict):
                target[key] = merged_slicing(target["slicing"], value)
            elif key == "binding" and isinstance(value, dict):
                target[key] = merged_binding(target.get("binding"), value)
            elif key.startswith(("fixed", "pattern")):
                # a fixed value replaces the base's fixed one, a pattern its pattern; the other kind stays
                # (ProfileUtilities.updateFromDefinition: setFixed, setPattern each leave the other alone)
                kind = "fixed" if key.startswith("fixed") else "pattern"
                for old in [k for k in target if k.startswith(kind)]:
                    del target[old]
                target[key] = deep_copy(value)
            else:
                target[key] = deep_copy(value)
        if target.get("id") in self.slicer_max:
            slice_cardinality(target, diff, self.source, self.slicer_max[target["id"]])
        if "binding" in target and not bindable(target, self.source):
            del target["binding"]
        if any(k == "type" or k.startswith(("fixed", "pattern")) for k in diff):
            fixed_problem = fixed_type_problem(target, self.sd.get("type") if isinstance(self.sd.get("type"), str)
                                               else None)
            if fixed_problem:
                self.problems.append(self.fail(str(target.get("id")), fixed_problem))

    def check_refusals(self, target: Json, diff: Json) -> None:
        """What HL7's generator throws on at this element (snapshot_checks.py): a type the base does not allow, a
        slicing restated against the base's (and the type's messages, cautions: a target profile outside the base's).
        The slicing compared is the one the base gave the element, not one a differential element or this generator
        set up (auto-added extension slicing, a choice sliced by type)."""
        element_id = str(target.get("id"))
        for problem in check_types(self.source, self.url, target, diff):
            self.cautions.append(self.fail(element_id, problem))
        inherited = element_id not in self.merged | self.auto_sliced | self.made_slicing
        if inherited and isinstance(diff.get("slicing"), dict) and isinstance(target.get("slicing"), dict):
            check_slicing(self.url, element_id, target["slicing"], diff["slicing"], element_id.endswith("[x]"))


def apply_differential(sd: Json, source: DefinitionSource) -> tuple[Builder, list[str | None]]:
    """The base's elements with ``sd``'s differential applied, and the id each differential element landed on, None
    for one that matches nothing in the base (differential.py uses these to judge the differential's order and
    bindings). An element whose id the base cannot place, and is not its path (DEQM's
    ``...:authorOrganization.value{x}``), applies by its path, as HL7's generator applies every element."""
    builder = Builder(sd, source)
    slices: dict[str, str] = {}
    seen: dict[str, str] = {}
    loose: set[str] = set()  # paths of slices written with their slicer's id (snapshot_ids.by_path)
    landed: list[str | None] = []
    placed: dict[str, Json] = {}  # the differential element merged onto each element id
    elements = sd.get("differential", {}).get("element", [])
    for diff in elements:
        if not isinstance(diff, dict) or not isinstance(diff.get("path"), str):
            raise SnapshotError(builder.url, "a differential element has no path")
    # what the differential says of all slices, given to each (snapshot_preprocess.py); not where ids name other
    # elements than their paths (HL7 renames those first, setIds)
    for element_id, problem in check_differential(builder.url, elements):
        builder.problems.append(builder.fail(element_id, problem))
    added: set[int] = set()
    if not any(names_other_element(diff) for diff in elements):
        elements, added = preprocess(elements)
    for n, diff in enumerate(elements):
        wanted, fallback = diff_id(diff, slices), by_path(diff, seen, loose)
        if names_other_element(diff) or (fallback != wanted and diff.get("id") == diff["path"]):
            wanted, fallback = fallback, wanted  # HL7's generator goes by the path; the id is the fallback
        try:
            try:
                i = builder.resolve(wanted)
            except NotInBase:
                if fallback == wanted:
                    raise
                i = builder.resolve(fallback)
        except SnapshotError as exc:
            special = isinstance(exc, NotInBase | Untyped) and sd.get("derivation") == "specialization"
            new = None if not special else add_specialized(
                builder.url, builder.source, builder.elements, diff, wanted,
                n + 1 < len(elements) and str(elements[n + 1]["path"]).startswith(diff["path"] + "."))
            if new is None and not isinstance(exc, NotInBase):
                raise
            if new is None:
                builder.problems.append(exc)
            placed.update({wanted: diff} if new is not None else {})
            landed += [] if id(diff) in added else [wanted if new is not None else None]
            continue
        builder.merge(i, diff)
        placed[str(builder.elements[i].get("id"))] = diff
        landed += [] if id(diff) in added else [str(builder.elements[i].get("id"))]
    raise_to_slice_mins(builder.elements, builder.auto_sliced)
    settle_type_slicings(builder.elements, builder.base_elements, placed)
    drop_prohibited_types(builder.elements)
    return builder, landed


def generate_snapshot(sd: Json, source: DefinitionSource) -> Json:
    """A copy of ``sd`` with ``snapshot.element`` built from its base and its differential; elements out of the base's
    order left out, as HL7's generator leaves them (unmatched_by_order), unless its base is a constraint (then HL7's
    validator sorts the differential first: ContextUtilities.generateSnapshot)."""
    builder, landed = apply_differential(sd, source)
    differential, base = sd.get("differential"), source.structure(str(sd.get("baseDefinition")))
    passed_over = set(unmatched_by_order(builder.elements, landed))
    if passed_over and isinstance(differential, dict) and (base or {}).get("derivation") != "constraint":
        kept = [e for n, e in enumerate(differential["element"]) if n not in passed_over]
        builder, _ = apply_differential({**sd, "differential": {**differential, "element": kept}}, source)
    out: dict[str, Any] = {k: v for k, v in sd.items() if k != "snapshot"}
    out["snapshot"] = {"element": builder.elements}
    return out
