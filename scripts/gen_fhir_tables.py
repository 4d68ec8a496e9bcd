#!/usr/bin/env python3
"""Generate the project's compact FHIR R4 tables from the official definitions.

    python scripts/gen_fhir_tables.py [--source ../shared/data/fhir-r4]

Writes conformance/fhir/data/search-parameters.json: for every resource type, each search
parameter's code, type, the FHIRPath expression restricted to that type, and reference targets.
The official bundle is 1,378 SearchParameters whose expressions cover many types at once
(``Observation.code | Condition.code | ...``); the harness and the sandbox need, per type, only the
part that applies to it. Re-run after changing the source definitions; the output is committed.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def split_union(expression: str) -> list[str]:
    """Split on top-level ``|`` (not inside parentheses or quotes)."""
    parts, depth, quote, current = [], 0, False, ""
    for ch in expression:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == "|" and depth == 0 and not quote:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def for_type(expression: str, rtype: str) -> str:
    pattern = re.compile(rf"^\(?{re.escape(rtype)}\.")
    mine = [p for p in split_union(expression) if pattern.match(p)]
    return " | ".join(mine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "fhir-r4")
    args = parser.parse_args()
    bundle = json.loads((args.source / "search-parameters.json").read_text())
    table: dict[str, dict[str, dict[str, object]]] = {}
    for entry in bundle["entry"]:
        sp = entry["resource"]
        for base in sp.get("base", []):
            expression = sp.get("expression", "")
            if base == "Resource":
                # _id, _lastUpdated, _tag, _profile...: apply to every type as written.
                mine = expression
            else:
                mine = for_type(expression, base)
                if not mine:
                    continue
            row: dict[str, object] = {"type": sp["type"], "expression": mine}
            if sp.get("target"):
                row["target"] = sp["target"]
            table.setdefault(base, {})[sp["code"]] = row
    out = ROOT / "conformance" / "fhir" / "data" / "search-parameters.json"
    out.write_text(json.dumps(table, indent=0, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {out.relative_to(ROOT)}: {sum(len(v) for v in table.values())} parameters")


if __name__ == "__main__":
    main()
