"""What the suite asks of the validator (conformance.fhirval), and must-support, in one place.

``definitions`` builds the DefinitionSource; ``errors`` validates one resource and returns its error
lines (``Patient.gender: ...``); ``must_support`` lists a profile's must-support element paths and
``present`` says whether a resource has a value at one of them.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from conformance.fhirval.source import DefinitionSource

Source = DefinitionSource
Json = dict[str, Any]


def definitions(paths: Iterable[Path]) -> Source:
    """Base R4 plus every package, folder or file in ``paths`` (later ones win)."""
    # Imported by name: these modules are the definitions half of the validator (issue 4, in progress).
    packages: Any = importlib.import_module("conformance.fhirval.packages")
    source: Any = importlib.import_module("conformance.fhirval.base").base_source()
    for path in paths:
        if path.exists():
            source = packages.layered(source, packages.load(path))
    result: Source = source
    return result


def errors(resource: Json, source: Source, profiles: Iterable[str] = ()) -> list[str]:
    """Error and fatal issues of validating ``resource`` (against ``profiles`` too), one line each."""
    validate_resource = importlib.import_module("conformance.fhirval.validate").validate_resource
    lines = []
    for issue in validate_resource(resource, source, list(profiles)):
        fhir = issue.to_fhir() if hasattr(issue, "to_fhir") else dict(issue)
        if fhir.get("severity") in ("error", "fatal"):
            where = ", ".join(fhir.get("expression", [])) or "?"
            lines.append(f"{where}: {fhir.get('diagnostics', '')}")
    return lines


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
