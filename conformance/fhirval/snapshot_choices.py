"""A choice sliced by type (snapshot generation): renamed choices as type slices; how HL7 settles the slicing.

A differential that names ``MedicationDispense.medicationCodeableConcept`` and ``medicationReference`` (UAE's
Sehatuk core, Task's ``input.valueHumanName`` / ``valueAddress``...) constrains each type of ``medication[x]``
on its own. HL7's ProfilePathProcessor takes two or more differential matches of a ``[x]`` element that are
all typed names as a type slicing (ProfileUtilities.diffsConstrainTypes, then
processSimplePathWhereDiffsConstrainTypes, the "short cut" branch): each renamed element is a slice named after
it (``medication[x]:medicationReference``), of min 0 when there is more than one ("typeSliceElement.setMin(0)");
the choice is sliced by type on ``$this``, unordered, closed. Without ``newSlicingProcessing`` (the generator that
HL7's validator context runs for a profile it validates against; only StructureDefinitionValidator and the IG
publisher set it, whose shipped snapshots keep the unnamed types and open the slicing) the inserted slicer lists
the slices' types, so the choice holds only those, closed: ``type_slice`` as for an explicit type slice.
One renamed choice alone is a type slice the same way (``value[x]:valueQuantity``: R4's vital signs profiles,
regenerated exactly); beside a differential element for the choice itself it is not the short cut, so the choice
keeps its types.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from conformance.fhirval.source import Json, deep_copy

if TYPE_CHECKING:
    from conformance.fhirval.snapshot import Builder


def _type_name(code: str) -> str:
    return code[:1].upper() + code[1:]


def renamed_types(diff_ids: Collection[object], parent_id: str, stem: str, offered: list[Json]) -> set[str]:
    """The type names the differential renames ``{parent_id}.{stem}[x]`` to (``CodeableConcept``, ``Reference``)."""
    names = {_type_name(str(t.get("code", ""))) for t in offered if isinstance(t, dict)}
    prefix = f"{parent_id}.{stem}"
    tails = (i[len(prefix):] for i in diff_ids if isinstance(i, str) and i.startswith(prefix))
    return {tail for tail in tails if tail in names}


def renamed_in_place(renamed_id: str, full_id: str, diff_ids: Collection[object], slicing_done: bool) -> bool:
    """Whether a renamed choice (``renamed_id``, reached while placing ``full_id``) constrains the choice in place
    rather than as a type slice: when the differential names only its children (``Extension.valueQuantity.value``:
    no differential element matches the choice, HL7 walks into it), or when its parent is a slice whose children
    come from the base's own structure or from a type profile an ancestor brought (``component:Systolic.
    valueQuantity``, ``extension:CS.extension:code.valueCodeableConcept``; ``slicing_done``): a slice's children are
    processed with its slicing done, and oneMatchingElementInDifferential then takes one match as it is (R4's bp,
    publisher 1.8.26's myObservation, HL7 tests sushi1, sushi2). A slice whose children come from walking into its
    own type starts again (``new PathSlicingParams()``). The renamed choice is looked up as the differential
    names it (``full_id``'s leading segments): an earlier renamed choice on the way there may already stand as
    ``value[x]`` in ``renamed_id`` (HL7 test t16, ``latitude.valueDecimal.extension:rendered.valueString``)."""
    own = ".".join(full_id.split(".")[: renamed_id.count(".") + 1])
    if own != full_id and own not in diff_ids:
        return True
    parent = renamed_id.rsplit(".", 1)[0]
    return ":" in parent.rsplit(".", 1)[-1] and slicing_done


def settle_short_cut(choice: Json, slice_: Json) -> None:
    """The choice and one of its type slices as HL7's short cut leaves them (the module's rules)."""
    slice_["min"] = 0
    choice["slicing"] = {"discriminator": [{"type": "type", "path": "$this"}], "ordered": False, "rules": "closed"}


def _direct_slices(elements: list[Json], choice_id: str) -> list[Json]:
    prefix = f"{choice_id}:"
    return [e for e in elements if str(e.get("id", "")).startswith(prefix) and e.get("sliceName")
            and not any(c in str(e["id"])[len(prefix):] for c in ".:/")]


def _types(element: Json) -> list[Json]:
    """An element's type entries that are objects (a damaged profile's others are not types)."""
    found = element.get("type")
    return [t for t in found if isinstance(t, dict)] if isinstance(found, list) else []


def _positive(element: Json) -> bool:
    """Whether a differential element's min is a number above 0 (``true`` is no min, though Python counts it 1)."""
    value = element.get("min")
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def settle_type_slicings(elements: list[Json], base_elements: list[Json], placed: dict[str, Json]) -> None:
    """A choice the differential slices by type, as HL7's generator leaves it whatever the differential's slicing says.

    ProfilePathProcessor.processSimplePathWhereDiffsConstrainTypes (and ...WithSlicedBaseWhereDiffsConstrainTypes
    on a choice the base already slices), taken whether or not ``newSlicingProcessing`` is set: the slicing is
    "always closed" by type on ``$this``, unordered (a differential's ``rules`` of ``open`` "just means it's not
    constraining the slices it doesn't mention"); a type slice of min above 0 (``diffMatches.get(i).getMin() > 0``)
    fixes the choice to its type (``fixedType``) and, on an unsliced base, makes the choice required
    (``elementDefinition.setMin(1)``); on an unsliced base, a type of the choice left without a slice opens the
    slicing again (``allowedTypes``), except on an extension's value reached by the short cut (renamed choices
    only), where those types are removed instead. ``placed``: the differential element merged onto each element id."""
    base_sliced = {e.get("id") for e in base_elements if "slicing" in e}
    for choice in elements:
        choice_id = str(choice.get("id", ""))
        if not choice_id.endswith("[x]"):
            continue
        # a choice with slices is sliced by type even when the differential states no slicing (``value[x]`` and
        # ``value[x]:valueQuantity`` alone, as SUSHI writes them): diffsConstrainTypes holds for any ``[x]`` path
        slices = _direct_slices(elements, choice_id)
        if "slicing" not in choice and not slices:
            continue
        codes = [[t.get("code") for t in _types(s)] for s in slices]
        if not any(str(s["id"]) in placed for s in slices) or any(len(c) != 1 or not isinstance(c[0], str)
                                                                  for c in codes):
            continue  # not sliced by this differential, or not a type slicing HL7 accepts
        choice["slicing"] = {"discriminator": [{"type": "type", "path": "$this"}], "ordered": False,
                             "rules": "closed"}
        mandatory = [c[0] for s, c in zip(slices, codes, strict=True) if _positive(placed.get(str(s["id"]), {}))]
        if mandatory:
            choice["type"] = [t for t in _types(choice) if t.get("code") == mandatory[-1]]
        if choice_id in base_sliced:
            continue
        if mandatory:
            choice["min"] = max(int(choice.get("min") or 0), 1)
        uncovered = {t.get("code") for t in _types(choice)} - {c[0] for c in codes}
        if uncovered and choice.get("max") != "0":
            if "xtension.value" in choice_id and choice_id not in placed:
                choice["type"] = [t for t in _types(choice) if t.get("code") not in uncovered]
            else:
                choice["slicing"]["rules"] = "open"


def place_choice(b: Builder, parent_id: str, name: str, slice_name: str | None, full_id: str) -> str | None:
    """Where a renamed choice lands: ``valueQuantity`` a type slice of ``value[x]`` narrowed to it, or ``value[x]``
    itself (renamed_in_place); with a slice name, a slice of ``value[x]`` of that one type (``value[x]`` sliced by
    type). None when the parent has no such choice."""
    for el in b.elements:
        el_id = el["id"]
        if not (el_id.startswith(parent_id + ".") and el_id.endswith("[x]")):
            continue
        choice_name = el_id[len(parent_id) + 1 : -3]
        if "." in choice_name or ":" in choice_name or not name.startswith(choice_name):
            continue
        suffix = name[len(choice_name) :]
        base_types = (b.base_subtree(str(el_id)) or [el])[0].get("type", [])
        # narrowed to its type slices so far: the base's types are offered
        offered = base_types if slice_name and "slicing" in el else el.get("type", [])
        renamed = set() if slice_name else renamed_types(b.diff_ids, parent_id, choice_name, base_types)
        if len(renamed) > 1 and suffix in renamed:  # several renamed: a type slicing (snapshot_choices)
            new_id = type_slice(b, str(el_id), name, [t for t in base_types if _type_name(t["code"]) == suffix])
            found = b.index(new_id)
            assert found is not None
            settle_short_cut(el, b.elements[found])
            return new_id
        matching = [t for t in offered if _type_name(t.get("code", "")) == suffix]
        if not matching:
            continue
        if slice_name:
            return type_slice(b, str(el_id), slice_name, matching)
        if b.index(f"{el_id}:{name}") is not None:
            return f"{el_id}:{name}"  # the type slice made when the differential named the renamed choice
        if renamed_in_place(f"{parent_id}.{name}", full_id, b.diff_ids, parent_id not in b.walked_into):
            el["type"] = matching
            return str(el_id)
        # one renamed choice is a type slice too (diffsConstrainTypes, the short cut: HL7 names it
        # ``value[x]:valueQuantity``); the choice keeps its types when the differential states it (not the short
        # cut: settle_type_slicings opens the slicing for the types left without a slice)
        return type_slice(b, str(el_id), name, matching, narrow=el_id not in b.diff_ids)
    return None


def type_slice(b: Builder, choice_id: str, slice_name: str, types: list[Json], *, narrow: bool = True) -> str:
    """A slice of a choice element holding one of its types; the choice is sliced by type, closed, and holds
    only its slices' types (as HL7's generator leaves ``address-official``'s value[x]) unless ``narrow`` is
    false (the differential states the choice itself: its own types hold)."""
    new_id = f"{choice_id}:{slice_name}"
    if b.index(new_id) is None:
        i = b.index(choice_id)
        assert i is not None
        choice = b.elements[i]
        if "slicing" not in choice:
            b.made_slicing.add(choice_id)
            choice["slicing"] = {"discriminator": [{"type": "type", "path": "$this"}], "ordered": False,
                                 "rules": "closed"}
            if narrow:
                choice["type"] = []
        if narrow:
            choice["type"] += [deep_copy(t) for t in types if t not in choice["type"]]
        b.add_slice(choice_id, slice_name, optional=False)  # closed, and HL7 keeps an extension's value min
        found = b.index(new_id)
        assert found is not None
        b.elements[found]["type"] = deep_copy(types)
    return new_id


def _path_matches(path: str, element: Json) -> bool:
    """ProfileUtilities.pathMatches: the same path, or a renamed choice of it (``value[x]`` / ``valueQuantity``)."""
    other = str(element.get("path", ""))
    if other == path:
        return True
    stem = path[:-3] if path.endswith("[x]") else None
    return stem is not None and other.startswith(stem) and len(other) > len(stem) and "." not in other[len(stem):]


def drop_prohibited_types(elements: list[Json]) -> None:
    """A type whose type slice is prohibited leaves the element: ProfileUtilities.generateSnapshot, after
    processPaths, for every snapshot element of more than one type, removes each type for which findTypeSlice (the
    first later element whose path matches, pathMatches, and whose one type is that code, typeMatches) is
    ``prohibited()`` (max ``0``). A profile slicing ``effective[x]`` by type with ``effectivePeriod`` 0..0 leaves
    ``effective[x]`` without Period (HL7 test type-slicing-exclusion)."""
    single: dict[str, list[tuple[int, Json]]] = {}  # elements of one type, by their parent's path, in order
    for j, later in enumerate(elements):
        if len(_types(later)) == 1:
            single.setdefault(str(later.get("path", "")).rsplit(".", 1)[0], []).append((j, later))
    for i, element in enumerate(elements):
        types = _types(element)
        if len(types) <= 1:
            continue
        path = str(element.get("path", ""))
        # a path that matches has this element's parent path: the same path, or its stem and a tail without a dot
        candidates = [(j, e) for j, e in single.get(path.rsplit(".", 1)[0], []) if j > i and _path_matches(path, e)]
        if not candidates:
            continue
        prohibited: list[Json] = []
        for type_ in types:
            for _, later in candidates:
                if _types(later)[0].get("code") == type_.get("code"):
                    if later.get("max") == "0":
                        prohibited.append(type_)
                    break
        if prohibited:
            element["type"] = [t for t in element["type"] if not any(t is p for p in prohibited)]
