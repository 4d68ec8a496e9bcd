"""What the suite asks of the validator (conformance.fhirval), and must-support, in one place.

``definitions`` builds the DefinitionSource; ``errors`` validates one resource and returns its error
lines (``Patient.gender: ...``); ``must_support`` lists a profile's must-support element paths and
``present`` says whether a resource has a value at one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.fhirval.default_packages import with_defaults
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_resource

Source = DefinitionSource
Json = dict[str, Any]


def definitions(paths: Iterable[Path]) -> Source:
    """Base R4, the packages HL7's validator loads by itself that the package cache holds (as the CLI and the
    web service: one verdict for one resource), plus every package, folder or file in ``paths`` (later win).

    Raises DefinitionLoadError (which names the file and why) when one of ``paths`` cannot be loaded: the
    caller turns that into a harness error, never a silent pass on fewer profiles."""
    return with_defaults(list(paths))


# Errors that say the harness lacks a definition (a profile named by meta.profile or by a reference's
# targetProfile that no loaded package defines): HL7's validator calls them errors, but they are not the
# system's misbehaviour, so the suite reports them as not judged, never as a fail.
LACKING = frozenset({"unknown-profile"})


def errors(resource: Json, source: Source, profiles: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """Error and fatal issues of validating ``resource`` (against ``profiles`` too), one line each: those the
    resource caused, and those the harness's missing definitions caused (:data:`LACKING`)."""
    found: tuple[list[str], list[str]] = ([], [])
    for issue in validate_resource(resource, source, list(profiles)):
        if issue.is_error:
            line = f"{issue.location or resource.get('resourceType', '?')}: {issue.message} [{issue.defect}]"
            found[issue.defect in LACKING].append(line)
    return found


def must_support(definition: Json) -> list[str]:
    """Element ids flagged mustSupport (snapshot when there is one, else the differential)."""
    elements = (definition.get("snapshot") or definition.get("differential") or {}).get("element", [])
    return [str(e.get("id") or e.get("path")) for e in elements if e.get("mustSupport") is True]


def present(resource: Json, element_id: str) -> bool:
    """Has ``resource`` a value at ``element_id`` (``Patient.identifier:nhsNumber.value``,
    ``Observation.effective[x]``)? A slice counts when any repetition is present: slice membership
    needs the discriminator, which is the validator's job (the claimed-profile check)."""
    steps = [re.sub(r":.*$", "", s) for s in element_id.split(".")[1:]]
    values: list[Any] = [resource]
    for step in steps:
        found: list[Any] = []
        for value in values:
            if not isinstance(value, dict):
                continue
            if step.endswith("[x]"):
                stem = step[:-3]
                keys = [k for k in value if k.startswith(stem) and k[len(stem):][:1].isupper()]
            else:
                keys = [step] if step in value else []
            for key in keys:
                item = value[key]
                found.extend(item if isinstance(item, list) else [item])
        values = [v for v in found if v not in (None, "", [], {})]
        if not values:
            return False
    return True
