"""Several renamed choices of one choice element in a differential: a type slicing (snapshot generation).

A differential that names ``MedicationDispense.medicationCodeableConcept`` and ``medicationReference`` (UAE's
Sehatuk core, Task's ``input.valueHumanName`` / ``valueAddress``...) constrains each type of ``medication[x]``
on its own. HL7's ProfilePathProcessor takes two or more differential matches of a ``[x]`` element that are
all typed names as a type slicing (ProfileUtilities.diffsConstrainTypes, then
processSimplePathWhereDiffsConstrainTypes, the "short cut" branch): each renamed element is a slice named after
it (``medication[x]:medicationReference``), of min 0 when there is more than one ("typeSliceElement.setMin(0)");
the choice is sliced by type on ``$this``, unordered, closed. Without ``newSlicingProcessing`` (the generator that
HL7's validator context runs for a profile it validates against; only StructureDefinitionValidator and the IG
publisher set it, whose shipped snapshots keep the unnamed types and open the slicing) the inserted slicer lists
the slices' types, so the choice holds only those, closed: ``Builder.type_slice`` as for an explicit type slice.
One renamed choice alone narrows the choice in place (``Builder.choice``).
"""

from __future__ import annotations

from collections.abc import Collection

from conformance.fhirval.source import Json


def _type_name(code: str) -> str:
    return code[:1].upper() + code[1:]


def renamed_types(diff_ids: Collection[object], parent_id: str, stem: str, offered: list[Json]) -> set[str]:
    """The type names the differential renames ``{parent_id}.{stem}[x]`` to (``CodeableConcept``, ``Reference``)."""
    names = {_type_name(str(t.get("code", ""))) for t in offered if isinstance(t, dict)}
    prefix = f"{parent_id}.{stem}"
    tails = (i[len(prefix):] for i in diff_ids if isinstance(i, str) and i.startswith(prefix))
    return {tail for tail in tails if tail in names}


def settle_short_cut(choice: Json, slice_: Json) -> None:
    """The choice and one of its type slices as HL7's short cut leaves them (the module's rules)."""
    slice_["min"] = 0
    choice["slicing"] = {"discriminator": [{"type": "type", "path": "$this"}], "ordered": False, "rules": "closed"}
