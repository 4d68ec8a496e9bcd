#!/usr/bin/env python3
"""Generate the project's compact base FHIR R4 (4.0.1) definitions from HL7's own packages.

    npm pack hl7.fhir.r4.examples@4.0.1 && tar xzf hl7.fhir.r4.examples-4.0.1.tgz -C /tmp/r4ex
    .venv/bin/python scripts/gen_fhir_definitions.py --source /tmp/r4ex/package

``--source`` is an unpacked HL7 package folder: hl7.fhir.r4.examples (the spec's definition
Bundles: Bundle-types, -resources, -profiles-others, -extensions, -valuesets, -v2-valuesets,
-v3-valuesets, -searchParams) or hl7.fhir.r4.core (one file per resource), or a folder of the
spec's download bundles (profiles-types.json ...). HL7's reference validator validates against
these, so ours does too; a redistribution (``--fallback``, ../shared/data/fhir-r4, Medplum's copy
of R4 which carries Medplum's own elements and corrections) is read only for a bundle the source
lacks, and ``index.json``'s ``sources`` says where each bundle came from.

Writes conformance/fhirval/data/fhir-r4-base.zip: one zip member per conformance resource (compact
JSON, deflated; the SearchParameters, small and many, share one) plus ``index.json`` mapping each
kind and canonical URL to its member, and under ``summary`` each StructureDefinition's type, kind,
abstract, derivation and baseDefinition (listing types parses no member). The validator reads
only the members it needs, so a cold start that fetches Patient parses one index and a few small
members, not 60 MB of JSON.

Kept: what validation and snapshot generation need (snapshot elements with paths, cardinality,
types and their regex / JSON-type extensions, fixed/pattern, slicing, constraints, bindings,
mustSupport, isModifier, maxLength, XML representation; ValueSet compose/expansion codes;
CodeSystem concept trees with codes and displays). Dropped: narrative, descriptions, mappings,
differentials. Re-run after changing the source definitions or what is kept; the output is
committed and is reproducible byte for byte (members are written in sorted order, fixed dates).
"""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "conformance" / "fhirval" / "data" / "fhir-r4-base.zip"
# Each definition bundle: its name in the spec's download, then in hl7.fhir.r4.examples.
BUNDLES = {
    "profiles-types.json": "Bundle-types.json",
    "profiles-resources.json": "Bundle-resources.json",
    "profiles-others.json": "Bundle-profiles-others.json",
    "extension-definitions.json": "Bundle-extensions.json",
    "valuesets.json": "Bundle-valuesets.json",
    "v2-tables.json": "Bundle-v2-valuesets.json",
    "v3-codesystems.json": "Bundle-v3-valuesets.json",
    "search-parameters.json": "Bundle-searchParams.json",
}
SHARED = ROOT.parent / "shared" / "data" / "fhir-r4"
KINDS = ("StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter")
TYPE_EXTENSIONS = (
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type",
    "http://hl7.org/fhir/StructureDefinition/regex",
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-json-type",
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-xml-type",
)
SD_KEYS = (
    "resourceType",
    "id",
    "url",
    "version",
    "name",
    "status",
    "fhirVersion",
    "kind",
    "abstract",
    "context",
    "contextInvariant",
    "type",
    "baseDefinition",
    "derivation",
)
ELEMENT_KEYS = (
    "id",
    "path",
    "representation",
    "sliceName",
    "min",
    "max",
    "base",
    "contentReference",
    "maxLength",
    "mustSupport",
    "isModifier",
)
# Per StructureDefinition, kept in the index so listing types needs no member parsed.
SUMMARY_KEYS = ("type", "kind", "abstract", "derivation", "baseDefinition")
Json = dict[str, Any]


def compact_type(t: Json) -> Json:
    out: Json = {"code": t["code"]}
    ext = [e for e in t.get("extension", []) if e.get("url") in TYPE_EXTENSIONS]
    if ext:
        out["extension"] = ext
    for key in ("profile", "targetProfile", "aggregation", "versioning"):
        if key in t:
            out[key] = t[key]
    return out


def compact_element(el: Json) -> Json:
    out: Json = {k: el[k] for k in ELEMENT_KEYS if k in el}
    if "type" in el:
        out["type"] = [compact_type(t) for t in el["type"]]
    for key, value in el.items():
        if key.startswith(("fixed", "pattern", "minValue", "maxValue")):
            out[key] = value
    if "slicing" in el:
        out["slicing"] = {k: v for k, v in el["slicing"].items() if k != "description"}
    if "constraint" in el:
        out["constraint"] = [
            {k: c[k] for k in ("key", "severity", "expression", "human", "source") if k in c} for c in el["constraint"]
        ]
    if "binding" in el:
        out["binding"] = {k: el["binding"][k] for k in ("strength", "valueSet") if k in el["binding"]}
    return out


def compact_structure(sd: Json) -> Json:
    out: Json = {k: sd[k] for k in SD_KEYS if k in sd}
    out["snapshot"] = {"element": [compact_element(e) for e in sd["snapshot"]["element"]]}
    return out


def compact_concepts(concepts: list[Json]) -> list[Json]:
    out = []
    for c in concepts:
        item: Json = {"code": c["code"]}
        if "display" in c:
            item["display"] = c["display"]
        if "concept" in c:
            item["concept"] = compact_concepts(c["concept"])
        out.append(item)
    return out


def compact_code_system(cs: Json) -> Json:
    keys = (
        "resourceType",
        "id",
        "url",
        "version",
        "name",
        "status",
        "content",
        "caseSensitive",
        "valueSet",
        "hierarchyMeaning",
        "supplements",
    )
    out: Json = {k: cs[k] for k in keys if k in cs}
    if "concept" in cs:
        out["concept"] = compact_concepts(cs["concept"])
    return out


def compact_include(inc: Json) -> Json:
    out: Json = {k: inc[k] for k in ("system", "version", "valueSet", "filter") if k in inc}
    if "concept" in inc:
        out["concept"] = [{k: c[k] for k in ("code", "display") if k in c} for c in inc["concept"]]
    return out


def compact_contains(contains: list[Json]) -> list[Json]:
    out = []
    for c in contains:
        item: Json = {k: c[k] for k in ("system", "version", "code", "display", "abstract", "inactive") if k in c}
        if "contains" in c:
            item["contains"] = compact_contains(c["contains"])
        out.append(item)
    return out


def compact_value_set(vs: Json) -> Json:
    out: Json = {k: vs[k] for k in ("resourceType", "id", "url", "version", "name", "status") if k in vs}
    if "compose" in vs:
        out["compose"] = {
            part: [compact_include(i) for i in vs["compose"][part]]
            for part in ("include", "exclude")
            if part in vs["compose"]
        }
        if "inactive" in vs["compose"]:
            out["compose"]["inactive"] = vs["compose"]["inactive"]
    if "expansion" in vs:
        out["expansion"] = {"contains": compact_contains(vs["expansion"].get("contains", []))}
    return out


SEARCH_MEMBER = "search-parameters.json"  # every SearchParameter, {url: resource}
SP_KEYS = ("resourceType", "id", "url", "version", "name", "status", "derivedFrom", "code", "base", "type",
           "expression", "target", "multipleOr", "multipleAnd", "comparator", "modifier", "chain", "component")


def compact_search_parameter(sp: Json) -> Json:
    return {k: sp[k] for k in SP_KEYS if k in sp}


COMPACT = {"StructureDefinition": compact_structure, "ValueSet": compact_value_set, "CodeSystem": compact_code_system}


def _label(folder: Path) -> str:
    """Name a source without machine-specific paths (the index must be reproducible)."""
    manifest = folder / "package.json"
    if manifest.exists():
        package = json.loads(manifest.read_text(encoding="utf-8"))
        return f"{package.get('name')} {package.get('version')}"
    return folder.name


def _resources(path: Path) -> list[Json]:
    return [entry["resource"] for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]]


def load_sources(source: Path, fallback: Path | None) -> tuple[list[Json], dict[str, str]]:
    """Every resource of the source's bundles (fallback only for a bundle the source lacks).

    Returns the resources in a fixed order and, per bundle, where it was read from. A package
    without bundles (hl7.fhir.r4.core) is read file by file, in name order.
    """
    resources: list[Json] = []
    sources: dict[str, str] = {}
    if not any((source / name).exists() for pair in BUNDLES.items() for name in pair):
        for path in sorted(source.glob("*.json")):
            resource = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(resource, dict) and resource.get("resourceType") in KINDS:
                resources.append(resource)
        sources["*"] = f"{_label(source)}: one file per resource"
        return resources, sources
    folders = [source] if fallback is None else [source, fallback]
    for spec_name, package_name in BUNDLES.items():
        hits = [folder / n for folder in folders for n in (package_name, spec_name) if (folder / n).exists()]
        if not hits:
            raise SystemExit(f"{spec_name} ({package_name}) is in none of {folders}")
        resources.extend(_resources(hits[0]))
        sources[spec_name] = f"{_label(hits[0].parent)}: {hits[0].name}"
    return resources, sources


def build(source: Path, out: Path, fallback: Path | None = None) -> dict[str, int]:
    """Write the zip; returns counts per kind."""
    members: dict[str, bytes] = {}
    index: dict[str, dict[str, Any]] = {kind: {} for kind in KINDS}
    summary: dict[str, Any] = index.setdefault("summary", {})
    resources, index["sources"] = load_sources(source, fallback)
    search: dict[str, Json] = {}
    for resource in resources:
        kind = resource["resourceType"]
        if kind not in KINDS:
            continue
        if kind == "SearchParameter":  # small and many: one member for all, keyed by url
            search[resource["url"]] = compact_search_parameter(resource)
            index[kind][resource["url"]] = SEARCH_MEMBER
            continue
        member = f"{kind}/{resource['id']}.json"
        if member in members and index[kind].get(resource["url"]) != member:
            member = f"{kind}/{resource['id']}-{len(members)}.json"
        members[member] = json.dumps(COMPACT[kind](resource), separators=(",", ":"), ensure_ascii=False).encode()
        index[kind][resource["url"]] = member
        if kind == "StructureDefinition":
            summary[resource["url"]] = {k: resource[k] for k in SUMMARY_KEYS if k in resource}
        version = resource.get("version")
        if isinstance(version, str):
            index[kind][f"{resource['url']}|{version}"] = member
    members[SEARCH_MEMBER] = json.dumps(search, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        stamp = (2019, 11, 1, 0, 0, 0)  # R4 4.0.1's publication; fixed so the file is reproducible
        zf.writestr(zipfile.ZipInfo("index.json", stamp), json.dumps(index, separators=(",", ":"), sort_keys=True))
        for member in sorted(members):
            info = zipfile.ZipInfo(member, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, members[member], compresslevel=9)
    counts = {kind: sum(1 for m in members if m.startswith(kind + "/")) for kind in KINDS}
    return {**counts, "SearchParameter": len(search)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="an unpacked HL7 package folder (see above)")
    parser.add_argument("--fallback", type=Path, default=SHARED, help="read only for bundles --source lacks")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    counts = build(args.source, args.out, args.fallback if args.fallback.is_dir() else None)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes): {counts}")


if __name__ == "__main__":
    main()
