#!/usr/bin/env python3
"""Generate the project's HL7 v2 tables (codes, each code's version history, each table's type).

    python scripts/gen_hl7v2_tables.py [--source ../shared/data/fhir-r4]

Writes conformance/hl7v2/data/tables.json:
``{"0001": {"type": "HL7", "codes": {"A": ["2.1", null], ...}}, ...}`` for every v2 table the FHIR R4
definitions carry (CodeSystem ``http://terminology.hl7.org/CodeSystem/v2-NNNN``, or a ValueSet of that
number drawing its codes from another table, as 0125 value types draws on 0440). Each code carries
``[added, removed_after]`` read from the Version column the official tables print ("added v2.4",
"from v2.1, removed after v2.5.1"); a table exists in the versions its codes span, so a version that
has 0354 (from 2.3.1) is checked against it and v2.3, which has none, is not.

The table's type is not in these CodeSystems. HL7 v2 (chapter 2A) gives it through the datatype of
the fields that use the table: ``ID`` draws on an HL7-defined table, ``IS`` on a user-defined one. The
type is therefore read from the standard's own field definitions (hl7apy, v2.4 to v2.6, where ID and
IS are both in use): "HL7" when every use is ID, "User" when any use is IS. Tables for which HL7 gives
only suggested values (``SUGGESTED``, as the standard's text says of each) are typed "Suggested", and
tables open to local entries by design (``OPEN``) "Open".
A table no ID or IS field names (only CE/CWE fields draw on it: 0131 contact role, 0005 race) has no
type in these sources; HL7 gives it in the table's heading. Those the standard heads "User-defined
Table" (``USER``, HL7 v2.5 chapters 3-11 and appendix A) are typed "User"; the rest "Coded": type not
known here, so a value outside it is at most a warning (an error would claim more than we know).
Also writes conformance/hl7v2/data/event-structures.json, table 0354's trigger events: {"ADT^A28":
[["ADT_A05", "2.4", null], ["ADT_A28", "2.3.1", "2.3.1"]]}, each structure with the versions it held.
Re-run after changing the source; the output is committed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "http://terminology.hl7.org/CodeSystem/v2-"
VS_PREFIX = "http://terminology.hl7.org/ValueSet/v2-"
# HL7 tables whose values the standard calls suggested: 0203 identifier type ("Refer to HL7 Table
# 0203 - Identifier type for suggested values", CX.5, with NNxxx patterns), 0301 universal id type.
SUGGESTED = frozenset({"0203", "0301"})
# HL7 tables open to local entries by design, typed "Open" and not checked: 0396 coding systems, where
# every local code system ("99zzz", "L", a lab's own name) is a legitimate entry.
OPEN = frozenset({"0396"})
# User-defined tables named only by coded (CE/CWE) fields, as the standard heads them: 0002 marital
# status, 0005 race, 0083 outlier type, 0127 allergen type, 0128 allergy severity, 0131 contact role,
# 0181 MFN record-level error return, 0189 ethnic group, 0276-0278 appointment reason, type, filler
# status, 0280-0284 and 0336 referral priority, type, disposition, status, category, reason, 0286
# provider role, 0324/0325 location characteristic and relationship, 0339 ABN code, 0344 patient's
# relationship to insured, 0351 condition code, 0364 comment type.
USER = frozenset({"0002", "0005", "0083", "0127", "0128", "0131", "0181", "0189", "0276", "0277", "0278",
                  "0280", "0281", "0282", "0283", "0284", "0286", "0324", "0325", "0336", "0339", "0344",
                  "0351", "0364"})
TYPE_VERSIONS = ("2.4", "2.5", "2.5.1", "2.6")
_ROW = re.compile(r"<tr><td>([^<]*)</td>(?:<td>[^<]*</td>|<td/>)*?<td>((?:from|added) v[\d.]+"
                  r"(?:, removed after v[\d.]+)?)</td></tr>")


def history(div: str) -> dict[str, list[str | None]]:
    """{code: [added, removed_after]} from the narrative table's Version column."""
    text = re.sub(r"<a name=[^>]*> </a>", "", div)
    out: dict[str, list[str | None]] = {}
    for row in re.findall(r"<tr>.*?</tr>", text, re.S):
        cells = re.findall(r"<td>(.*?)</td>|<td/>", row, re.S)
        if len(cells) < 2:
            continue
        found = re.fullmatch(r"(?:from|added) v([\d.]+)(?:, removed after v([\d.]+))?", cells[-1].strip())
        if found:
            out[cells[0].strip()] = [found.group(1), found.group(2)]
    return out


def codes(concepts: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for concept in concepts:
        out.append(str(concept["code"]))
        out.extend(codes(concept.get("concept", [])))
    return out


def table_types() -> dict[str, str]:
    """"HL7" or "User" for each table the standard's ID and IS fields name (see the module docstring)."""
    uses: dict[str, set[str]] = {}

    def walk(ref: Any) -> None:
        kind, sub, datatype = ref[0], ref[1], ref[2]
        table = ref[4] if len(ref) > 4 else None
        if kind == "leaf" and table and datatype in ("ID", "IS"):
            uses.setdefault(str(table)[-4:], set()).add(datatype)
        if kind == "sequence" and sub:
            for child in sub:
                walk(child[1])

    for version in TYPE_VERSIONS:
        module = importlib.import_module("hl7apy.v" + version.replace(".", "_"))
        for ref in module.FIELDS.values():
            walk(ref)
        for _, children in module.SEGMENTS.values():
            for child in children:
                if child[1] is not None:
                    walk(child[1])
    return {t: "User" if "IS" in kinds else "HL7" for t, kinds in uses.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "fhir-r4")
    args = parser.parse_args()
    bundle = json.loads((args.source / "v2-tables.json").read_text())
    types = table_types()
    tables: dict[str, dict[str, Any]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        url = str(resource.get("url", ""))
        div = str(resource.get("text", {}).get("div", ""))
        if resource["resourceType"] == "CodeSystem" and re.fullmatch(re.escape(PREFIX) + r"\d{4}", url):
            known = history(div)
            listed = codes(resource.get("concept", []))
        elif resource["resourceType"] == "ValueSet" and re.fullmatch(re.escape(VS_PREFIX) + r"\d{4}", url):
            includes = resource.get("compose", {}).get("include", [])
            if not any(inc.get("system") != PREFIX + url[-4:] and inc.get("concept") for inc in includes):
                continue  # a value set of its own table: the CodeSystem holds the codes
            known = history(div)
            listed = [str(c["code"]) for inc in includes for c in inc.get("concept", [])]
        else:
            continue
        if not listed:
            continue
        number = url[-4:]
        kind = ("Suggested" if number in SUGGESTED else "Open" if number in OPEN else "User" if number in USER
                else types.get(number, "Coded"))
        table = tables.setdefault(number, {"type": kind, "codes": {}})
        for code in listed:
            table["codes"][code] = known.get(code, ["2.1", None])
    for table in tables.values():
        table["codes"] = dict(sorted(table["codes"].items()))
    structures: dict[str, list[list[str | None]]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource.get("url") != PREFIX + "0354":
            continue
        spans = history(str(resource.get("text", {}).get("div", "")))
        for concept in resource.get("concept", []):
            code, display = str(concept["code"]), str(concept.get("display") or "")
            message = code.split("_")[0]
            for event in re.findall(r"\b[A-Z][0-9A-Z]{2}\b", display):
                structures.setdefault(f"{message}^{event}", []).append([code, *spans.get(code, ["2.3.1", None])])
    events = ROOT / "conformance" / "hl7v2" / "data" / "event-structures.json"
    events.write_text(json.dumps(dict(sorted(structures.items())), separators=(",", ":")) + "\n")
    print(f"wrote {events.relative_to(ROOT)}: {len(structures)} events")
    out = ROOT / "conformance" / "hl7v2" / "data" / "tables.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(sorted(tables.items())), separators=(",", ":")) + "\n")
    kinds = {k: sum(t["type"] == k for t in tables.values()) for k in ("HL7", "User", "Suggested", "Open", "Coded")}
    print(f"wrote {out.relative_to(ROOT)}: {len(tables)} tables {kinds}")


if __name__ == "__main__":
    main()
