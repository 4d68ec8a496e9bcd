"""Generate ``elements.json``: the top-level elements of the resource types the sandbox serves.

The sandbox validates posted resources structurally (unknown elements, malformed primitives); it needs
each type's element names, their data types and cardinality, not the whole 4 MB of profiles. Run:

    .venv/bin/python -m conformance.sandbox.fhir.gen_elements [profiles-resources.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conformance.sandbox.faults import SERVED_TYPES

SOURCE = Path("/work/shared/data/fhir-r4/profiles-resources.json")
TARGET = Path(__file__).with_name("elements.json")

_FHIRPATH_STRING = "http://hl7.org/fhirpath/System.String"


def _elements(definition: dict[str, Any]) -> dict[str, list[Any]]:
    """name -> [is_array, type codes...]; ``value[x]`` expands to valueQuantity, valueString, ..."""
    name = definition["id"]
    out: dict[str, list[Any]] = {}
    for element in definition["snapshot"]["element"]:
        path: str = element["path"]
        parts = path.split(".")
        if len(parts) != 2 or parts[0] != name:
            continue
        codes = ["id" if t.get("code") == _FHIRPATH_STRING else t["code"] for t in element.get("type", [])]
        array = element.get("max") != "1"
        if parts[1].endswith("[x]"):
            base = parts[1][:-3]
            for code in codes:
                out[base + code[0].upper() + code[1:]] = [array, code]
        else:
            out[parts[1]] = [array, *codes]
    return out


def generate(source: Path = SOURCE) -> dict[str, Any]:
    bundle = json.loads(source.read_text())
    resource_types: list[str] = []
    elements: dict[str, dict[str, list[Any]]] = {}
    for entry in bundle["entry"]:
        definition = entry["resource"]
        if definition.get("resourceType") != "StructureDefinition" or definition.get("kind") != "resource":
            continue
        if not definition.get("abstract"):
            resource_types.append(definition["id"])
        if definition["id"] in SERVED_TYPES:
            elements[definition["id"]] = _elements(definition)
    return {"resourceTypes": sorted(resource_types), "elements": {t: elements[t] for t in SERVED_TYPES}}


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    TARGET.write_text(json.dumps(generate(source), separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
