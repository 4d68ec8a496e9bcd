"""Whole-resource mutants that base R4 rejects (contained resources, Bundles, extensions, narrative, invariants)
and harmless edits that must change nothing, each with the Java line (org.hl7.fhir.core @ b06c7ee) that reports it:

- ``dom-3``: a contained resource nobody references: InstanceValidator (IV) 8828 CONTAINED_ORPHAN_DOM3;
- ``dom-2`` / ``dom-4`` / ``dom-5``: a contained resource given contained, meta.versionId, meta.security (R4's
  invariants on DomainResource.contained, evaluated by IV checkInvariant);
- ``contained-unknown-type``: a contained resource's resourceType unknown: JsonParser (JP) 769 (fatal);
- ``contained-target``: a contained resource a ``#id`` reference names made a Basic, outside the element's
  targets: IV 5236 REFERENCE_REF_BADTARGETTYPE;
- ``bundle-reference-target``: an entry's reference that resolves in the Bundle pointed at an entry of a type
  outside the element's targets: IV 5236;
- ``bundle-fullurl``: a relative fullUrl (BundleValidator (BV) 202 BUNDLE_ENTRY_URL_ABSOLUTE), or a RESTful
  fullUrl whose resource id is changed (BV 195 BUNDLE_ENTRY_URL_MATCHES_TYPE_ID);
- ``modifier-unknown``: a modifierExtension of an unknown URL outside every allowed domain: IV 2631
  EXTENSION_EXT_UNKNOWN_NOTHERE (the extension domains, IV 771, allow none of them by default);
- ``ext-1``: an extension with a value given a sub-extension too (R4's ext-1);
- ``xhtml``: the narrative's div given a ``<script>`` (XhtmlValidator (XV) 301), another root (XV 64), no
  namespace (XV 61) or markup that is not well-formed (JP 733);
- ``invariant``: R4 invariants a small edit makes false (per-1, rng-2, qty-3, sqty-1, att-1, cpt-2, ref-1, obs-6,
  bdl-1/2/3/7/9/10/11/12).

Harmless (no error expected): ``reorder`` (every object's properties reversed, resourceType kept first) and
``known-extension`` (R4's rendering-style, context Element, on the first complex element).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from base_mutants import Mutant
from base_sites import Site, Types, edited, follow
from profile_raw import Json

XHTML = 'xmlns="http://www.w3.org/1999/xhtml"'
BAD_DIVS = [f"<div {XHTML}><script>alert(1)</script></div>", f"<p {XHTML}>mutant</p>", "<div>mutant</div>",
            f"<div {XHTML}><p>mutant</div>"]
UNKNOWN_MODIFIER = {"url": "http://mutant.test/fhir/StructureDefinition/unknown-modifier", "valueBoolean": True}
KNOWN_EXTENSION = {"url": "http://hl7.org/fhir/StructureDefinition/rendering-style", "valueString": "color:red"}
SUB_EXTENSION = {"url": "mutant", "valueString": "mutant"}
ORPHAN = {"resourceType": "Basic", "id": "mutant-orphan", "code": {"text": "mutant"}}
SiteEdit = Callable[[Json], bool]  # edits a site's value in place; False when it does not apply


def _period(v: Json) -> bool:
    v.clear()
    v.update(start="2020-01-02", end="2020-01-01")
    return True


def _range(v: Json) -> bool:
    v.clear()
    v.update(low={"value": 2}, high={"value": 1})
    return True


def _pop(key: str, unless: str) -> SiteEdit:
    return lambda v: unless in v and v.pop(key, None) is not None


SITE_INVARIANTS: dict[str, tuple[str, SiteEdit]] = {
    "Period": ("per-1", _period), "Range": ("rng-2", _range), "Quantity": ("qty-3", _pop("system", "code")),
    "SimpleQuantity": ("sqty-1", lambda v: v.setdefault("comparator", "<") == "<"),
    "Attachment": ("att-1", _pop("contentType", "data")), "ContactPoint": ("cpt-2", _pop("system", "value")),
    "Reference": ("ref-1", lambda v: "reference" in v and bool(v.update(reference="#mutant-missing")) is False),
}


def _entries(doc: Json) -> list[Json]:
    return [e for e in doc.get("entry", []) if isinstance(e, dict)]


def _bundle_edits(doc: Json) -> Iterator[tuple[str, Callable[[Json], bool]]]:
    kind, entries = doc.get("type"), _entries(doc)
    if kind not in ("searchset", "history"):
        yield "bdl-1", lambda d: d.setdefault("total", 1) == 1
        if entries:
            yield "bdl-2", lambda d: bool(d["entry"][0].update(search={"mode": "match"})) is False
    if entries and "resource" in entries[0] and not {"request", "response"} & set(entries[0]):
        yield "bdl-5", lambda d: d["entry"][0].pop("resource") is not None
    full = entries[0].get("fullUrl") if entries else None
    if isinstance(full, str) and full.startswith("http") and kind != "history":
        yield "bdl-8", lambda d: bool(d["entry"][0].update(fullUrl=full + "/_history/1")) is False
    if kind in ("batch", "transaction", "history") and entries and "request" in entries[0]:
        yield "bdl-3", lambda d: d["entry"][0].pop("request") is not None
    if len(entries) > 1 and all("fullUrl" in e for e in entries[:2]) and kind != "history":
        yield "bdl-7", lambda d: bool(d["entry"][1].update(fullUrl=d["entry"][0]["fullUrl"])) is False
    if kind == "document":
        yield "bdl-9", lambda d: d.pop("identifier", None) is not None
        yield "bdl-10", lambda d: d.pop("timestamp", None) is not None
    first = (entries[0].get("resource") or {}).get("resourceType") if entries else None
    if kind in ("document", "message") and len(entries) > 1 and first in ("Composition", "MessageHeader"):
        key = "bdl-11" if kind == "document" else "bdl-12"
        yield key, lambda d: bool(d["entry"].reverse()) is False


def invariant_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    for site in sites:
        first = site.value[0] if isinstance(site.value, list) and site.value else site.value
        if site.tcode in SITE_INVARIANTS and isinstance(first, dict):
            key, edit = SITE_INVARIANTS[site.tcode]
            trial = copy.deepcopy(first)
            if edit(trial) and trial != first:
                yield "invariant", f"{key} {site.path}", lambda s=site, e=edit: _edit_value(doc, s, e)
        if site.path == "Observation.value[x]" and "dataAbsentReason" not in site.obj:
            yield "invariant", "obs-6", lambda s=site: _put_beside(doc, s, "dataAbsentReason", {"text": "mutant"})
    if doc.get("resourceType") == "Bundle":
        for key, bundle_edit in _bundle_edits(doc):
            yield "invariant", key, lambda e=bundle_edit: _whole(doc, e)


def _edit_value(doc: Json, site: Site, edit: SiteEdit) -> Json:
    """``doc`` with ``edit`` applied to the site's value (its first item when it repeats)."""
    copied, obj = edited(doc, site)
    value = obj[site.key]
    edit(value[0] if isinstance(value, list) else value)
    return copied


def _put_beside(doc: Json, site: Site, key: str, value: Any) -> Json:
    copied, obj = edited(doc, site)
    obj[key] = value
    return copied


def _whole(doc: Json, edit: Callable[[Json], Any]) -> Json:
    copied = copy.deepcopy(doc)
    edit(copied)
    return copied


def contained_mutants(doc: Json, sites: list[Site], types: Types) -> Iterator[Mutant]:
    """dom-2/3/4/5, an unknown contained type and a contained resource outside a reference's targets."""
    kind = doc["resourceType"]
    if f"{kind}.contained" not in types.elements(kind):
        return
    yield "dom-3", kind, lambda: {**doc, "contained": [*doc.get("contained", []), ORPHAN]}
    yield "modifier-unknown", kind, lambda: {**doc, "modifierExtension": [*doc.get("modifierExtension", []),
                                                                           UNKNOWN_MODIFIER]}
    contained = [c for c in doc.get("contained", []) if isinstance(c, dict)]
    if not contained:
        return
    for key, edit in (("dom-2", lambda c: c.update(contained=[{**ORPHAN, "id": "inner"}])),
                      ("dom-4", lambda c: c.setdefault("meta", {}).update(versionId="1")),
                      ("dom-5", lambda c: c.setdefault("meta", {}).update(
                          security=[{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                                     "code": "R"}]))):
        yield key, kind, lambda e=edit: _whole(doc, lambda d: e(d["contained"][0]))
    yield "contained-unknown-type", kind, lambda: _whole(doc, lambda d: d["contained"][0].update(
        resourceType="NotAResource"))
    by_id = {c.get("id"): i for i, c in enumerate(doc["contained"]) if isinstance(c, dict)}
    for site in sites:
        ref, targets = _reference(site), _targets(site)
        if isinstance(ref, str) and ref.startswith("#") and ref[1:] in by_id and site.where[:1] != ["contained"] \
                and targets and "Basic" not in targets and "Resource" not in targets:
            i = by_id[ref[1:]]
            yield "contained-target", site.path, lambda i=i: _whole(doc, lambda d: d["contained"].__setitem__(
                i, {**ORPHAN, "id": d["contained"][i]["id"]}))


def _reference(site: Site) -> Any:
    """The reference string of a Reference site (its first item when it repeats)."""
    first = site.value[0] if isinstance(site.value, list) and site.value else site.value
    return first.get("reference") if site.tcode == "Reference" and isinstance(first, dict) else None


def _targets(site: Site) -> set[str]:
    return {p.rsplit("/", 1)[-1] for t in site.element.get("type", []) if t.get("code") == "Reference"
            for p in t.get("targetProfile", [])}


def bundle_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    """Reference targets resolved through fullUrl, and fullUrls that do not match their entries."""
    entries = _entries(doc)
    urls = {e["fullUrl"]: (e.get("resource") or {}).get("resourceType") for e in entries
            if isinstance(e.get("fullUrl"), str)}
    for site in sites:
        ref, targets = _reference(site), _targets(site)
        if not isinstance(ref, str) or ref not in urls or not targets or "Resource" in targets or len(site.where) < 3:
            continue
        wrong = next((u for u, t in urls.items() if t and t not in targets), None)
        if wrong is not None:
            yield "bundle-reference-target", site.path, lambda s=site, w=wrong: _edit_value(
                doc, s, lambda v: bool(v.update(reference=w)) is False)
    for i, entry in enumerate(entries):
        resource, full = entry.get("resource") or {}, entry.get("fullUrl")
        if not isinstance(full, str) or not isinstance(resource.get("id"), str):
            continue
        kind = resource.get("resourceType")
        yield "bundle-fullurl", "relative", lambda i=i, k=kind: _whole(doc, lambda d: d["entry"][i].update(
            fullUrl=f"{k}/{d['entry'][i]['resource']['id']}"))
        if full.startswith("http") and full.endswith(f"/{kind}/{resource['id']}"):
            yield "bundle-fullurl", "id-changed", lambda i=i: _whole(doc, lambda d: d["entry"][i]["resource"].update(
                id="mutant-other-id"))
        break


def extension_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    """ext-1 on the first extension with a value, and the narrative's div broken four ways."""
    for site in sites:
        if site.tcode == "Extension" and isinstance(site.value, list):
            for i, ext in enumerate(site.value):
                if isinstance(ext, dict) and any(k.startswith("value") for k in ext) and "extension" not in ext:
                    yield "ext-1", site.path, lambda s=site, i=i: _whole(doc, lambda d: follow(d, [*s.where, s.key, i])
                                                                         .update(extension=[SUB_EXTENSION]))
                    break
        if site.path.endswith(".text") and site.tcode == "Narrative" and isinstance(site.value, dict):
            for n, div in enumerate(BAD_DIVS):
                yield "xhtml", f"Narrative.div {n}", lambda s=site, d=div: _edit_value(doc, s, lambda v: bool(v.update(
                    div=d)) is False)


def harmless_mutants(doc: Json, sites: list[Site]) -> Iterator[Mutant]:
    yield "reorder", doc["resourceType"], lambda: _reversed(doc)
    for site in sites:
        if not site.primitive and site.tcode not in ("Extension", "Narrative", "Resource", "") \
                and isinstance(site.value, dict) and "resourceType" not in site.value:
            yield "known-extension", site.path, lambda s=site: _edit_value(doc, s, lambda v: v.setdefault(
                "extension", []).append(KNOWN_EXTENSION))
            break


def _reversed(node: Any) -> Any:
    if isinstance(node, list):
        return [_reversed(v) for v in node]
    if not isinstance(node, dict):
        return node
    keys = [k for k in node if k == "resourceType"] + [k for k in reversed(node) if k != "resourceType"]
    return {k: _reversed(node[k]) for k in keys}
