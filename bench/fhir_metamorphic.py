"""Validity kept under rewriting: errors a meaning-preserving rewrite of a resource adds, no oracle needed.

    .venv/bin/python bench/fhir_metamorphic.py --cases /tmp/ftc --packages /tmp/fhirpkgs
        [--corpus tune|ftc-examples|r4-examples|ukcore|guides ...] [--guide FOLDER ...] [--package-cache DIR]
        [--rewrite NAME ...] [--limit N] [--show K]

Issue 21 asks for no false alarm on resources HL7's validator was not tuned on; the held-out half cannot be
looked at, so this bench makes new valid material from old without needing HL7's verdict: each resource is
validated as given and again rewritten in a way that keeps it valid to HL7's validator (the reason, from HL7's
Java, is on each rewrite below). An error the rewrite adds is a defect of ours on one side: a false alarm in
the rewritten form, or a missed error in the original. Rewrites:

- ``reorder``: every JSON object's properties in reverse order (HL7's JsonParser reads a JSON object by name;
  order is an XML matter only);
- ``bundle``: the resource as the one entry of a ``collection`` Bundle, fullUrl ``http://example.org/fhir/
  Type/id`` (``urn:uuid:`` without an id); an unresolved reference inside is a hint there (BundleValidator's
  ``ref.isWarning() || true``), and each entry is validated as a resource (validateContains);
- ``transaction`` and ``searchset``: the same as the one entry of a transaction (request PUT Type/id, or POST
  Type without an id) and of a searchset (search.mode match);
- ``parameters``: the resource as the ``resource`` of a Parameters parameter (validated as a contained
  resource of its own, inv-1 met);
- ``contained``: the resource contained in a List that refers to it by ``#id`` (dom-3 met); resources that
  cannot be contained as they are (their own contained, meta.versionId/lastUpdated/security: dom-2, dom-4,
  dom-5) are left out;
- ``entry-order``: a Bundle's entries in reverse order (a document's or message's first entry kept first);
- ``contained-order``: contained resources in reverse order;
- ``asked``: the profiles the resource claims (``meta.profile``) removed from it and asked for instead, as a
  profile step asks (Bundles left out: an asked profile of another type is tried on the first entry);
- ``base-profile``: ``meta.profile`` given the core profile of the resource's own type (validated against it:
  the same definition as the base).

Steps with a profile of their own (the tuning half's profile steps) are rewritten by the reorderings as they
are; for the other rewrites, which change the root such a profile describes, the resource first claims the
profile in ``meta.profile`` (HL7 walks a claimed profile as one asked for), then is rewritten. Claiming adds a
``meta`` where there was none, so a profile that constrains ``meta``'s children (res-inv-profile-bundle's
``meta.lastUpdated``) is then judged there: such an error is the rewrite's, not a defect.

Corpora as in bench/fhir_format_parity.py (``tune``: the agreement bench's tuning half only, never a held-out
step), plus ``guides``: each ``--guide`` package folder's ``example/`` resources against the guide (HL7's IG
publisher validated them). Prints, per corpus and rewrite, the resources rewritten, those valid as given and
invalid rewritten, the errors added by defect, and ``--show K`` instances (file, location, message).
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_format_parity import dump_json, examples_of, other_form, resource_files
from fhir_reference_agreement import runner_packages, runner_terminology, tuning_steps

from conformance.fhirval.default_packages import with_defaults
from conformance.fhirval.issues import Issue
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.options import DEFAULT, Options
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_bytes

Doc = dict[str, Any]
CORE = "http://hl7.org/fhir/StructureDefinition/"


def _reversed(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reversed(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


def reorder(doc: Doc) -> Doc | None:
    return _reversed(doc)  # type: ignore[no-any-return]


def _full_url(doc: Doc) -> str:
    rid = doc.get("id")
    if isinstance(rid, str) and rid:
        return f"http://example.org/fhir/{doc['resourceType']}/{rid}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(doc, default=str)[:2000])}"


def bundle(doc: Doc) -> Doc | None:
    if doc.get("resourceType") == "Bundle":
        return None  # a Bundle in a Bundle is another matter (bdl rules on the inner one's entries)
    return {"resourceType": "Bundle", "id": "metamorphic", "type": "collection",
            "entry": [{"fullUrl": _full_url(doc), "resource": doc}]}


def _entry_bundle(doc: Doc, kind: str) -> Doc | None:
    if doc.get("resourceType") == "Bundle" or (kind == "searchset" and not doc.get("id")):
        return None  # a match in a searchset has an id (BundleValidator: BUNDLE_SEARCH_ENTRY_NO_RESOURCE_ID)
    entry: Doc = {"fullUrl": _full_url(doc), "resource": doc}
    if kind == "transaction":
        rid = doc.get("id")
        entry["request"] = ({"method": "PUT", "url": f"{doc['resourceType']}/{rid}"} if isinstance(rid, str) and rid
                            else {"method": "POST", "url": doc["resourceType"]})
    else:
        entry["search"] = {"mode": "match"}
    return {"resourceType": "Bundle", "id": "metamorphic", "type": kind, "entry": [entry]}


def transaction(doc: Doc) -> Doc | None:
    return _entry_bundle(doc, "transaction")


def searchset(doc: Doc) -> Doc | None:
    return _entry_bundle(doc, "searchset")


def parameters(doc: Doc) -> Doc | None:
    return {"resourceType": "Parameters", "id": "metamorphic", "parameter": [{"name": "resource", "resource": doc}]}


def contained(doc: Doc) -> Doc | None:
    given = doc.get("meta")
    meta: Doc = given if isinstance(given, dict) else {}
    if "contained" in doc or any(k in meta for k in ("versionId", "lastUpdated", "security")):
        return None
    text = json.dumps(doc, default=str)
    if '"#' in text:  # refers to a container or a sibling: not the same meaning once contained
        return None
    inner = copy.deepcopy(doc)
    rid = inner.setdefault("id", "metamorphic1")
    if not isinstance(rid, str):
        return None
    return {"resourceType": "List", "id": "metamorphic", "status": "current", "mode": "working",
            "contained": [inner], "entry": [{"item": {"reference": f"#{rid}"}}]}


def base_profile(doc: Doc) -> Doc | None:
    out = copy.deepcopy(doc)
    meta = out.setdefault("meta", {})
    if not isinstance(meta, dict):
        return None
    listed = meta.get("profile")
    url = CORE + str(doc["resourceType"])
    meta["profile"] = [*(listed if isinstance(listed, list) else []), url]
    return out


def asked(doc: Doc) -> tuple[Doc, tuple[str, ...]] | None:
    """The resource without its claimed profiles, each asked for instead (as a profile step asks: HL7's -profile;
    validateResource walks an asked profile and a claimed one alike). A Bundle claiming a profile of another type
    is left out (asked, such a profile is tried on the first entry: validateResource's Bundle special case)."""
    meta = doc.get("meta")
    listed = meta.get("profile") if isinstance(meta, dict) else None
    if not isinstance(listed, list) or not listed or not all(isinstance(p, str) for p in listed):
        return None
    out = copy.deepcopy(doc)
    rest = {k: v for k, v in out["meta"].items() if k not in ("profile", "_profile")}
    if rest:
        out["meta"] = rest
    else:
        del out["meta"]
    if doc.get("resourceType") == "Bundle":
        return None
    return out, tuple(listed)


ORDERLESS_BUNDLES = {"collection", "transaction", "batch", "searchset", "history", "transaction-response",
                     "batch-response"}


def entry_order(doc: Doc) -> Doc | None:
    """A Bundle's entries in reverse order: only a document's Composition and a message's MessageHeader have a
    place (first; kept there), a searchset's order is the server's and not judged."""
    entries = doc.get("entry")
    if doc.get("resourceType") != "Bundle" or not isinstance(entries, list) or len(entries) < 2:
        return None
    keep = 0 if doc.get("type") in ORDERLESS_BUNDLES else 1
    return {**doc, "entry": [*entries[:keep], *reversed(entries[keep:])]}


def contained_order(doc: Doc) -> Doc | None:
    """Contained resources in reverse order (they are found by id; their order means nothing)."""
    inner = doc.get("contained")
    if not isinstance(inner, list) or len(inner) < 2:
        return None
    return {**doc, "contained": list(reversed(inner))}


REWRITES: dict[str, Callable[[Doc], Doc | None]] = {
    "reorder": reorder, "bundle": bundle, "transaction": transaction, "searchset": searchset,
    "parameters": parameters, "contained": contained,
    "base-profile": base_profile, "entry-order": entry_order, "contained-order": contained_order,
    "asked": lambda doc: None,  # run() asks for the claimed profiles (asked() gives the profiles too)
}
# the rewrites a step's own profile still describes as it is asked for
ROOTED = {"reorder", "entry-order", "contained-order", "asked"}


def claim(doc: Doc, profiles: tuple[str, ...]) -> Doc | None:
    """The resource claiming the profiles it was asked to meet (HL7 validates a claimed profile as one asked
    for: validateResource's meta.profile loop and the -profile list reach the same startInner walk)."""
    out = copy.deepcopy(doc)
    meta = out.setdefault("meta", {})
    if not isinstance(meta, dict):
        return None
    listed = meta.get("profile")
    have = listed if isinstance(listed, list) else []
    meta["profile"] = [*have, *(p for p in profiles if p not in have)]
    return out


@dataclass
class Item:
    label: str
    doc: Doc
    source: DefinitionSource
    profiles: tuple[str, ...] = ()
    options: Options = DEFAULT


def _errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.is_error]


def _doc(raw: bytes, source: DefinitionSource) -> Doc | str:
    made = other_form(raw, source)  # XML read as JSON by the validator's own reader
    if isinstance(made, str):
        return made
    try:
        doc = json.loads(made[0].decode("utf-8-sig"), parse_float=Decimal)
    except ValueError as exc:
        return f"not JSON: {exc}"
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
        return "not a resource"
    return doc


def tune_items(cases: Path, cache: PackageCache) -> Iterator[Item | tuple[str, str]]:
    for step, source, profiles in tuning_steps(cases, cache):
        doc = _doc(step.file.read_bytes(), source)
        if isinstance(doc, str):
            yield step.name, doc
            continue
        yield Item(step.name, doc, source, profiles, step.options)


def folder_items(folder: Path, source: DefinitionSource, limit: int | None,
                 max_bytes: int = 2_000_000) -> Iterator[Item | tuple[str, str]]:
    for path in resource_files(folder, max_bytes=max_bytes, limit=limit):
        doc = _doc(path.read_bytes(), source)
        if isinstance(doc, str):
            yield path.name, doc
        elif doc.get("resourceType") not in ("ImplementationGuide",):
            yield Item(path.name, doc, source)


@dataclass
class Outcome:
    rewritten: int = 0
    kept_valid: int = 0
    broke: int = 0  # valid as given, invalid rewritten
    mended: int = 0  # invalid as given, valid rewritten (a miss in the rewritten form, or a false alarm as given)


def run(items: Iterator[Item | tuple[str, str]], rewrites: list[str], show: int) -> None:
    outcomes = {name: Outcome() for name in rewrites}
    added: dict[str, collections.Counter[str]] = {name: collections.Counter() for name in rewrites}
    examples: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    skipped = 0
    cpu = time.process_time()
    for item in items:
        if not isinstance(item, Item):
            skipped += 1
            continue
        given = _errors(validate_bytes(dump_json(item.doc).encode(), item.source, item.profiles,
                                       options=item.options))
        given_defects = collections.Counter(i.defect for i in given)
        for name in rewrites:
            profiles, doc = item.profiles, item.doc
            if profiles and name not in ROOTED:
                # asked-for profiles become claimed ones, so that the rewritten root's entry is judged by them
                claimed = claim(item.doc, profiles)
                if claimed is None:
                    continue
                profiles, doc = (), claimed
            out: Doc | None
            if name == "asked":
                made = asked(doc)
                if made is None:
                    continue
                out, profiles = made[0], (*profiles, *made[1])
            else:
                out = REWRITES[name](doc)
            if out is None:
                continue
            got = _errors(validate_bytes(dump_json(out).encode(), item.source, profiles, options=item.options))
            o = outcomes[name]
            o.rewritten += 1
            if not given and not got:
                o.kept_valid += 1
            elif not given:
                o.broke += 1
            elif not got:
                o.mended += 1
                examples[(name, "mended")].append(f"{item.label}: {given[0].defect} {given[0].location}: "
                                                  f"{given[0].message[:160]}")
            extra = collections.Counter(i.defect for i in got) - given_defects
            for defect, n in extra.items():
                added[name][defect] += n
                for i in [i for i in got if i.defect == defect][:n]:
                    examples[(name, defect)].append(f"{item.label}: {i.location}: {i.message[:200]}")
    for name in rewrites:
        o = outcomes[name]
        print(f"  {name}: {o.rewritten} rewritten; valid both ways {o.kept_valid}; valid as given, invalid "
              f"rewritten {o.broke}; invalid as given, valid rewritten {o.mended}; errors added "
              f"{sum(added[name].values())}")
        for defect, n in added[name].most_common():
            print(f"    {n:5d}  {defect}")
            for line in examples[(name, defect)][:show]:
                print(f"           {line}")
        if show and o.mended:
            for line in examples[(name, "mended")][:show]:
                print(f"           mended: {line}")
    print(f"  ({skipped} files not read as a resource; {time.process_time() - cpu:.1f} s CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, required=True, help="extract of FHIR/fhir-test-cases")
    parser.add_argument("--packages", type=Path, required=True, help="the FHIR packages folder (with r4ex/)")
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--ukcore", type=Path, default=shared / "ukcore-2.0.2", help="UK Core 2.0.2 package")
    parser.add_argument("--r4ex", type=Path, help="the R4 examples package folder (default: PACKAGES/r4ex/package)")
    parser.add_argument("--guide", action="append", default=[], metavar="FOLDER",
                        help="a guide's package folder (its example/ folder's resources, against the guide and its "
                             "dependencies from --package-cache); repeatable")
    parser.add_argument("--package-cache", type=Path, help="the FHIR package cache for the guides' dependencies")
    parser.add_argument("--corpus", action="append",
                        choices=["tune", "ftc-examples", "r4-examples", "ukcore", "guides"],
                        help="corpora to run (default: all)")
    parser.add_argument("--rewrite", action="append", choices=list(REWRITES), help="rewrites (default: all)")
    parser.add_argument("--limit", type=int, help="N files of each folder corpus, evenly spread")
    parser.add_argument("--show", type=int, default=0, help="K instances of each added error's defect")
    args = parser.parse_args()
    cache = PackageCache(args.packages)
    for line in runner_terminology(args.cases, cache, None):
        print(line)
    base = load_definitions([], defaults=runner_packages(cache.root))
    rewrites = args.rewrite or list(REWRITES)
    for name in args.corpus or ["tune", "ftc-examples", "r4-examples", "ukcore", "guides"]:
        if name == "guides":
            for folder in map(Path, args.guide):
                print(f"guide {folder.parent.name}")
                source = with_defaults([folder], PackageCache(args.package_cache) if args.package_cache else None)
                run(folder_items(examples_of(folder), source, args.limit), rewrites, args.show)
            continue
        print(name)
        if name == "tune":
            items = tune_items(args.cases, cache)
        elif name == "ftc-examples":
            items = folder_items(args.cases / "r4" / "examples", base, args.limit)
        elif name == "r4-examples":
            items = folder_items(args.r4ex or args.packages / "r4ex" / "package", base, args.limit)
        else:
            source = load_definitions([args.ukcore], defaults=runner_packages(cache.root))
            items = folder_items(args.ukcore / "examples", source, args.limit)
        run(items, rewrites, args.show)


if __name__ == "__main__":
    main()
