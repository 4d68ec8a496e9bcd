"""Generate the R4 Subscriptions Backport IG's Subscription profile and its extensions into profiles/fhir/backport/.

The IG's source is FHIR Shorthand (github.com/HL7/fhir-subscription-backport-ig, input/fsh), and SUSHI
needs the package registry to compile it; the suites need only the Subscription profile and the
extensions it uses, whose FSH is a handful of rule kinds. This script reads that subset and writes
differential StructureDefinitions (the validator generates their snapshots):

    * path 1..1 MS SU          cardinality and flags
    * path contains Ext named slice 0..1 [MS]
    * path only Type           (value[x] of an extension)
    * valueCode from ValueSet  (required binding)
    * ^context[0].type/.expression  (extension context)

Anything else (``^short`` and other caret rules on elements, ``insert``, instances) is skipped. An
extension referenced by URL that the IG does not define (the R5 cross-version
``extension-Subscription.identifier``) is dropped from the profile: the harness could not resolve it.

    .venv/bin/python scripts/gen_backport_profiles.py /path/to/fhir-subscription-backport-ig [--out DIR]

Output is byte-for-byte reproducible from the same source.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

CANONICAL = "http://hl7.org/fhir/uv/subscriptions-backport"
SOURCE_FILES = ("BackportSubscription.fsh",)
OUT = Path(__file__).resolve().parents[1] / "profiles" / "fhir" / "backport"


def blocks(text: str) -> list[dict[str, Any]]:
    """Top-level FSH items (Profile, Extension, ValueSet, ...) with their header fields and rules."""
    out: list[dict[str, Any]] = []
    for line in text.splitlines():
        head = re.match(r"^(Profile|Extension|ValueSet|CodeSystem|Instance|RuleSet|Alias|Logical):\s*(.*)$", line)
        if head:
            out.append({"kind": head.group(1), "name": head.group(2).strip(), "rules": []})
        elif out and re.match(r"^(Parent|Id|Title|Description):", line):
            key, _, value = line.partition(":")
            out[-1][key.lower()] = value.strip().strip('"')
        elif out and line.startswith("* "):
            out[-1]["rules"].append(line[2:].strip())
    return out


def element(base: str, path: str, slices: dict[str, str]) -> tuple[str, str]:
    """FSH path -> (element id, element path): ``channel.extension[BackportTimeout]`` ->
    ``Subscription.channel.extension:timeout``."""
    ids, paths = [base], [base]
    for step in path.split("."):
        match = re.match(r"^([^\[]+)(?:\[(.+)\])?$", step)
        assert match, step
        name, slice_ref = match.groups()
        if slice_ref == "x":  # a choice element (value[x]), not a slice
            name, slice_ref = name + "[x]", None
        paths.append(name)
        ids.append(name + (f":{slices.get(slice_ref, slice_ref)}" if slice_ref else ""))
    return ".".join(ids), ".".join(paths)


def in_base_order(base: str, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The differential in its base's element order, as SUSHI writes it: HL7's snapshot generator walks the base in
    order and passes over an element that comes after one the base puts later ("No match found ... (including
    order)"), so FSH's rule order (``channel.payload`` before ``channel.extension``) would lose constraints. Each
    element goes by the base position of the longest path the base has that starts its path (a primitive's
    ``.extension`` by the primitive's); ties keep the rule order."""
    from conformance.fhirval.base import base_source

    sd = base_source().structure(base) or {}
    order = {e["path"]: n for n, e in enumerate(sd.get("snapshot", {}).get("element", []))}

    def position(el: dict[str, Any]) -> int:
        path = str(el["path"])
        while path not in order and "." in path:
            path = path.rsplit(".", 1)[0]
        return order.get(path, 0)
    return sorted(elements, key=position)


def structure(item: dict[str, Any], urls: dict[str, str], value_sets: dict[str, str]) -> dict[str, Any]:
    is_ext = item["kind"] == "Extension"
    base = "Extension" if is_ext else item["parent"]
    url = f"{CANONICAL}/StructureDefinition/{item['id']}"
    elements: dict[str, dict[str, Any]] = {}
    slices: dict[str, str] = {}
    context: list[dict[str, str]] = []

    def el(path: str) -> dict[str, Any]:
        eid, epath = element(base, path, slices)
        return elements.setdefault(eid, {"id": eid, "path": epath})

    for rule in item["rules"]:
        flags = {"MS": ("mustSupport", True), "SU": ("isSummary", True)}
        if m := re.match(r"^\^context\[0\]\.(type|expression) = (.+)$", rule):
            if not context:
                context.append({})
            context[0][m.group(1)] = m.group(2).strip().lstrip("#").strip('"')
        elif rule.startswith(("insert ", "^")) or " ^" in rule:
            continue
        elif m := re.match(r"^(\S+) contains (\S+) named (\S+) (\d+)\.\.(\d+|\*)((?: (?:MS|SU))*)$", rule):
            path, ext, name, lo, hi, rest = m.groups()
            ext_url = urls.get(ext, ext if "://" in ext else "")
            if ext_url not in urls.values():
                continue  # an extension the IG does not define here: the harness could not resolve it
            slices[ext] = name
            # As SUSHI does: extensions are sliced by url, open.
            el(path).setdefault("slicing", {"discriminator": [{"type": "value", "path": "url"}], "ordered": False,
                                            "rules": "open"})
            entry = el(f"{path}[{name}]")
            entry.update(sliceName=name, min=int(lo), max=hi, type=[{"code": "Extension", "profile": [ext_url]}])
            entry.update(dict(flags[f] for f in rest.split()))
        elif m := re.match(r"^(\S+) (\d+)\.\.(\d+|\*)((?: (?:MS|SU))*)$", rule):
            path, lo, hi, rest = m.groups()
            el(path).update(min=int(lo), max=hi, **dict(flags[f] for f in rest.split()))
        elif m := re.match(r"^(\S+)((?: (?:MS|SU))+)$", rule):
            el(m.group(1)).update(dict(flags[f] for f in m.group(2).split()))
        elif m := re.match(r"^(\S+) only (\S+)$", rule):
            el(m.group(1)).update(type=[{"code": m.group(2)}])
        elif m := re.match(r"^value(\w+) from (\S+)$", rule):
            vs = value_sets[m.group(2)]
            el("value[x]").update(binding={"strength": "required", "valueSet": vs})
        else:
            raise SystemExit(f"{item['name']}: FSH rule this script does not read: {rule!r}")
    differential = in_base_order(base, list(elements.values()))
    if is_ext:
        differential = [{"id": "Extension", "path": "Extension"},
                        {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                        {"id": "Extension.url", "path": "Extension.url", "fixedUri": url}, *differential]
    out: dict[str, Any] = {
        "resourceType": "StructureDefinition", "id": item["id"], "url": url, "version": "1.2.0-ballot",
        "name": item["name"], "title": item.get("title", item["name"]), "status": "active",
        "description": item.get("description", ""), "fhirVersion": "4.0.1",
        "kind": "complex-type" if is_ext else "resource", "abstract": False,
        "type": base, "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{base}",
        "derivation": "constraint", "differential": {"element": differential},
    }
    if is_ext:
        out["context"] = context
    return out


def terminology(item: dict[str, Any], systems: dict[str, str]) -> dict[str, Any]:
    """A CodeSystem (``* #code "Display" "Definition"``) or a ValueSet (``* codes from system X``)."""
    kind = item["kind"]
    out: dict[str, Any] = {"resourceType": kind, "id": item["id"], "url": f"{CANONICAL}/{kind}/{item['id']}",
                           "version": "1.2.0-ballot", "name": item["name"], "title": item.get("title", item["name"]),
                           "status": "active", "description": item.get("description", "")}
    if kind == "CodeSystem":
        concepts = [re.match(r'^#(\S+)\s+"([^"]*)"\s+"([^"]*)"$', r) for r in item["rules"]]
        out.update(caseSensitive=True, content="complete", concept=[
            {"code": m.group(1), "display": m.group(2), "definition": m.group(3)} for m in concepts if m])
    else:
        found = [re.match(r"^codes from system (\S+)$", r) for r in item["rules"]]
        out["compose"] = {"include": [{"system": systems[m.group(1)]} for m in found if m]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a checkout of HL7/fhir-subscription-backport-ig")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    items = [b for name in SOURCE_FILES for b in blocks((args.source / "input" / "fsh" / name).read_text())]
    urls = {b["name"]: f"{CANONICAL}/StructureDefinition/{b['id']}" for b in items if b["kind"] == "Extension"}
    value_sets = {b["name"]: f"{CANONICAL}/ValueSet/{b['id']}" for b in items if b["kind"] == "ValueSet"}
    systems = {b["name"]: f"{CANONICAL}/CodeSystem/{b['id']}" for b in items if b["kind"] == "CodeSystem"}
    args.out.mkdir(parents=True, exist_ok=True)
    for item in items:
        if item["kind"] in ("CodeSystem", "ValueSet"):
            resource = terminology(item, systems)
            (args.out / f"{item['kind']}-{item['id']}.json").write_text(
                json.dumps(resource, indent=2, ensure_ascii=False) + "\n")
            print(resource["url"])
        if item["kind"] in ("Profile", "Extension"):
            sd = structure(item, urls, value_sets)
            (args.out / f"{sd['id']}.json").write_text(json.dumps(sd, indent=2, ensure_ascii=False) + "\n")
            print(f"{sd['url']} ({len(sd['differential']['element'])} elements)")


if __name__ == "__main__":
    main()
