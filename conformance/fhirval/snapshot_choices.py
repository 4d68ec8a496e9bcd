"""Several renamed choices of one choice element in a differential: a type slicing (snapshot generation).

A differential that names ``MedicationDispense.medicationCodeableConcept`` and ``medicationReference`` (UAE's
Sehatuk core, Task's ``input.valueHumanName`` / ``valueAddress``...) constrains each type of ``medication[x]``
on its own. HL7's ProfilePathProcessor takes two or more differential matches of a ``[x]`` element that are
all typed names as a type slicing (ProfileUtilities.diffsConstrainTypes, then
processSimplePathWhereDiffsConstrainTypes, the "short cut" branch): each renamed element is a slice named after
it (``medication[x]:medicationReference``), of min 0 when there is more than one ("typeSliceElement.setMin(0)");
the choice is sliced by type on ``$this``, unordered, closed; in R4 the short cut constrains no type of the
choice itself ("if there's no slice, there's no constraint on the slice types"), so a type no slice names stays
allowed and the slicing is opened, except on an extension's ``value[x]``, where such types are removed.
One renamed choice alone narrows the choice in place (``Builder.choice``).
"""

from __future__ import annotations

import copy
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


def settle_short_cut(choice: Json, slice_: Json, base_types: list[Json], renamed: set[str]) -> None:
    """The choice and one of its type slices as HL7's short cut leaves them (the module's rules)."""
    slice_["min"] = 0
    uncovered = any(_type_name(str(t.get("code", ""))) not in renamed for t in base_types if isinstance(t, dict))
    extension_value = "xtension.value" in str(choice.get("path", ""))
    choice["slicing"] = {"discriminator": [{"type": "type", "path": "$this"}], "ordered": False,
                         "rules": "open" if uncovered and not extension_value else "closed"}
    if not extension_value:  # an extension's value[x] keeps only its slices' types (Builder.type_slice narrows)
        choice["type"] = copy.deepcopy(base_types)
