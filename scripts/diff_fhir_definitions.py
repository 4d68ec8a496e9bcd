#!/usr/bin/env python3
"""Compare two base-definition zips (scripts/gen_fhir_definitions.py output), element by element.

    .venv/bin/python scripts/diff_fhir_definitions.py OLD.zip NEW.zip [--kind StructureDefinition]

Written to review a regeneration from another source (issue 21: Medplum's redistribution of R4 vs
HL7's own package): for each resource of the kind that was added, removed or changed, it lists the
element paths added, removed or changed, so a rule that relied on the old data can be found.
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path
from typing import Any

Json = dict[str, Any]


def _resources(path: Path, kind: str) -> dict[str, Json]:
    with zipfile.ZipFile(path) as zf:
        index = json.loads(zf.read("index.json"))
        urls = {url: member for url, member in index.get(kind, {}).items() if "|" not in url}
        if kind == "SearchParameter":
            table = json.loads(zf.read("search-parameters.json"))
            return {url: table[url] for url in urls}
        return {url: json.loads(zf.read(member)) for url, member in urls.items()}


def _elements(sd: Json) -> dict[str, Json]:
    return {e.get("id", e["path"]): e for e in sd.get("snapshot", {}).get("element", [])}


def diff(old: dict[str, Json], new: dict[str, Json]) -> list[str]:
    """One line per difference, sorted by canonical URL."""
    lines = [f"- {url}" for url in sorted(set(old) - set(new))]
    lines += [f"+ {url}" for url in sorted(set(new) - set(old))]
    for url in sorted(set(old) & set(new)):
        a, b = old[url], new[url]
        if a == b:
            continue
        if "snapshot" not in a or "snapshot" not in b:
            lines.append(f"~ {url}")
            continue
        ea, eb = _elements(a), _elements(b)
        lines.append(f"~ {url}: {len(set(eb) - set(ea))} added, {len(set(ea) - set(eb))} removed, "
                     f"{sum(ea[k] != eb[k] for k in set(ea) & set(eb))} changed elements")
        lines += [f"    - {k}" for k in sorted(set(ea) - set(eb))]
        lines += [f"    + {k}" for k in sorted(set(eb) - set(ea))]
        for k in sorted(set(ea) & set(eb)):
            if ea[k] != eb[k]:
                keys = sorted(f for f in set(ea[k]) | set(eb[k]) if ea[k].get(f) != eb[k].get(f))
                lines.append(f"    ~ {k}: {', '.join(keys)}")
        top = sorted(f for f in set(a) | set(b) if f != "snapshot" and a.get(f) != b.get(f))
        if top:
            lines.append(f"    ~ (resource) {', '.join(top)}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--kind", default="StructureDefinition")
    args = parser.parse_args()
    for line in diff(_resources(args.old, args.kind), _resources(args.new, args.kind)):
        print(line)


if __name__ == "__main__":
    main()
