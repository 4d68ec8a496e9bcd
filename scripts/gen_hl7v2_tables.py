#!/usr/bin/env python3
"""Generate the project's HL7 v2 table of codes from the official v2 tables shipped with FHIR R4.

    python scripts/gen_hl7v2_tables.py [--source ../shared/data/fhir-r4]

Writes conformance/hl7v2/data/tables.json: {"0001": ["A", "F", ...], ...} for every HL7-defined
table the FHIR R4 definitions carry as a CodeSystem (http://terminology.hl7.org/CodeSystem/v2-NNNN).
Validators check ID fields against these; IS (user-defined) tables are a site's own and come from
the message profile instead. Also writes conformance/hl7v2/data/event-structures.json: {"ADT^A04":
"ADT_A01", ...}, the message structure table 0354 assigns to each trigger event (read from the
events each structure's display lists). Re-run after changing the source; the output is committed.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "http://terminology.hl7.org/CodeSystem/v2-"


def codes(concepts: list[dict[str, object]]) -> list[str]:
    out: list[str] = []
    for concept in concepts:
        out.append(str(concept["code"]))
        out.extend(codes(concept.get("concept", [])))  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "fhir-r4")
    args = parser.parse_args()
    bundle = json.loads((args.source / "v2-tables.json").read_text())
    tables: dict[str, list[str]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        url = str(resource.get("url", ""))
        if resource["resourceType"] == "CodeSystem" and url.startswith(PREFIX) and resource.get("concept"):
            tables[url[len(PREFIX):]] = sorted(set(codes(resource["concept"])))
    structures: dict[str, str] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource.get("url") != PREFIX + "0354":
            continue
        for concept in resource.get("concept", []):
            code, display = str(concept["code"]), str(concept.get("display") or "")
            message = code.split("_")[0]
            for event in re.findall(r"\b[A-Z][0-9A-Z]{2}\b", display):
                structures.setdefault(f"{message}^{event}", code)
    events = ROOT / "conformance" / "hl7v2" / "data" / "event-structures.json"
    events.write_text(json.dumps(dict(sorted(structures.items())), separators=(",", ":")) + "\n")
    print(f"wrote {events.relative_to(ROOT)}: {len(structures)} events")
    out = ROOT / "conformance" / "hl7v2" / "data" / "tables.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(sorted(tables.items())), separators=(",", ":")) + "\n")
    print(f"wrote {out.relative_to(ROOT)}: {len(tables)} tables")


if __name__ == "__main__":
    main()
