"""Searching beyond single parameters: paging by next links, _include, _revinclude, unknown parameters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from conformance.checks import check, expect, fail
from conformance.fhir import fixtures
from conformance.fhir.capability import items
from conformance.fhir.context import FhirContext
from conformance.fhir.expect import (
    describe,
    expect_outcome,
    expect_status,
    ids_of,
    require_declared,
    searchset,
    snippet,
)
from conformance.fhir.fixtures import TYPES
from suites.fhir_rest.context import METADATA
from suites.fhir_rest.crud import cid, created

CAPS = ["open-api", "interoperability"]


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in items(bundle, "link"):
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return str(link["url"])
    return None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


# Checks that write tagged Patients: paging runs after them, so that a server paging by offset over a
# sort on _lastUpdated is not seen to repeat or skip a Patient that another check wrote mid-walk.
PATIENT_WRITERS = [cid("Patient", "update"), "fhir-rest.crud.conditional-create", "fhir-rest.crud.if-match",
                   "fhir-rest.errors.invalid-resource", "fhir-rest.errors.wrong-type-body"]


@check(
    id="fhir-rest.search.paging",
    title="Paging with _count: pages of at most _count matches, next links that resolve, all reached once",
    requirements=["FHIR-R4:http.html#paging", "FHIR-R4:search.html#count"],
    capabilities=CAPS,
    needs=[METADATA, cid("Patient", "create")],
    after=PATIENT_WRITERS,
    destructive=True,
)
async def paging(ctx: FhirContext) -> None:
    ctx.capability().require("Patient", "search-type", "create")
    known = [created(ctx, "Patient")["id"]]
    for n in (3, 4):
        response = await ctx.fhir.post("Patient", ctx.tagged(fixtures.extra_patient(n, ctx.unique_id())))
        new_id = ctx.remember_response("Patient", response)
        expect_status(response, (201,), "POST Patient (setting up paging)")
        expect(new_id, "POST Patient (setting up paging): no id in the Location header or body")
        known.append(str(new_id))
    seen: list[str] = []
    response = await ctx.fhir.get("Patient", params={"_tag": ctx.tag_param, "_count": "2"})
    for page in range(1, 21):
        what = f"page {page} of Patient?_tag=<run tag>&_count=2"
        bundle = searchset(response, what)
        ids = ids_of(bundle, "Patient")
        expect(len(ids) <= 2, f"{what} holds {len(ids)} matches; _count=2 allows at most 2")
        repeated = sorted(set(ids) & set(seen))
        expect(not repeated, f"{what} repeats {repeated} from an earlier page")
        seen += ids
        link = _next_link(bundle)
        if link is None:
            break
        # Followed only on the target's own server: the request carries the target's credentials.
        url = urljoin(response.url, link)
        if _origin(url) != _origin(ctx.fhir.base):
            fail(f"{what}: next link {link!r} points to another server than the base {ctx.fhir.base!r}; "
                 "not followed")
        response = await ctx.fhir.get(url)
    else:
        fail("paging did not end within 20 pages of 2 (at least 3 matches expected)")
    missing = [i for i in known if i not in seen]
    if missing:
        fail(f"paging stopped after {page} page(s) and {len(seen)} matches" + ("" if link else " (no next link)")
             + f" without reaching Patient/{', Patient/'.join(missing)}")


@check(
    id="fhir-rest.search.self-link",
    title="A searchset Bundle carries a self link (the parameters the server actually used)",
    # R4 search.html (3.1.1, on the parameters used): "the server SHALL return the parameters that were
    # actually used to process the search ... In the case of a RESTful search, these parameters are
    # encoded in the self link in the bundle that is returned".
    requirements=["FHIR-R4:search.html", "FHIR-R4:http.html#search"],
    capabilities=CAPS,
    needs=[METADATA],
)
async def self_link(ctx: FhirContext) -> None:
    cap = ctx.capability()
    declared = [t for t in TYPES if "search-type" in cap.interactions(t)]
    require_declared(declared, "search-type on any of the suite's resource types")
    query = f"{declared[0]}?_id={ctx.unique_id()}"
    response = await ctx.fhir.get(declared[0], params={"_id": query.split("=", 1)[1]})
    bundle = searchset(response, f"search {query}")
    selves = [link for link in items(bundle, "link") if isinstance(link, dict) and link.get("relation") == "self"]
    relations = [link.get("relation") for link in items(bundle, "link") if isinstance(link, dict)]
    expect(selves, f"search {query}: the searchset Bundle has no self link (links: {relations or 'none'}); "
                   "R4 search.html says the server SHALL return the parameters it used, in the self link")
    expect(isinstance(selves[0].get("url"), str) and selves[0]["url"],
           f"search {query}: the self link has no url: {selves[0]}")


async def _judge_inclusion(ctx: FhirContext, searched: str, included: str, param: str, declared_in: str) -> None:
    """Search ``searched`` by our id with ``param=Observation:subject``: our ``included`` resource must
    come back with search.mode include, beside the match itself."""
    found = ctx.capability().require(searched, "search-type")
    require_declared("Observation:subject" in items(found, declared_in), f"{param} Observation:subject")
    ids = {t: created(ctx, t)["id"] for t in (searched, included)}
    query = f"{searched}?_id={ids[searched]}&{param}=Observation:subject"
    response = await ctx.fhir.get(searched, params={"_id": ids[searched], param: "Observation:subject"})
    bundle = searchset(response, query)
    expect(ids[searched] in ids_of(bundle, searched),
           f"{query} did not return {searched}/{ids[searched]} as a match")
    expect(ids[included] in ids_of(bundle, included, "include"),
           f"{query} did not return {included}/{ids[included]} with search.mode include")


@check(
    id="fhir-rest.search.include",
    title="_include=Observation:subject returns the Patient as an included resource",
    requirements=["FHIR-R4:search.html#include"],
    capabilities=CAPS,
    needs=[METADATA, cid("Observation", "create"), cid("Patient", "create")],
)
async def include(ctx: FhirContext) -> None:
    await _judge_inclusion(ctx, "Observation", "Patient", "_include", "searchInclude")


@check(
    id="fhir-rest.search.revinclude",
    title="_revinclude=Observation:subject returns the Observation as an included resource",
    requirements=["FHIR-R4:search.html#revinclude"],
    capabilities=CAPS,
    needs=[METADATA, cid("Observation", "create"), cid("Patient", "create")],
)
async def revinclude(ctx: FhirContext) -> None:
    await _judge_inclusion(ctx, "Patient", "Observation", "_revinclude", "searchRevInclude")


async def _judge_unknown(ctx: FhirContext, base: dict[str, str], baseline: list[str], strict: bool) -> None:
    name = "zz-not-a-param"
    headers = {"Prefer": "handling=strict"} if strict else {}
    what = f"Patient?{name}=1" + (" with Prefer: handling=strict" if strict else "")
    response = await ctx.fhir.get("Patient", params={**base, name: "1"}, headers=headers)
    if response.status_code >= 500:
        fail(f"{what}: expected 200 (ignored) or 400 (rejected), got {describe(response)}: {snippet(response)}")
    if response.status_code == 400:
        expect_outcome(response, what)
        return
    if response.status_code != 200:
        fail(f"{what}: expected 200 (ignored) or 400 with an OperationOutcome, got {describe(response)}")
    bundle = searchset(response, what)
    ids = sorted(ids_of(bundle, "Patient"))
    if ids != baseline:
        fail(f"{what}: 200 with {len(ids)} matches where the same search without it has {len(baseline)}: "
             "the parameter was neither ignored nor rejected")
    # Ignored, so it was not used: R4 search.html has the server SHALL say which parameters it used, in the
    # self link (a missing self link is judged by fhir-rest.search.self-link).
    selves = [x.get("url") for x in items(bundle, "link") if isinstance(x, dict) and x.get("relation") == "self"]
    claimed = [u for u in selves if isinstance(u, str) and name in u]
    if claimed:
        fail(f"{what}: ignored (the same {len(ids)} matches), but the self link {claimed[0]} names {name} as "
             "used; R4 search.html: the self link carries the parameters actually used")


@check(
    id="fhir-rest.search.unknown-param",
    title="An unknown search parameter is ignored (200, same results) or rejected (400); never a 5xx",
    requirements=["FHIR-R4:search.html#errors"],
    capabilities=CAPS,
    needs=[METADATA],
    after=[cid("Patient", "create")],
)
async def unknown_param(ctx: FhirContext) -> None:
    ctx.capability().require("Patient", "search-type")
    # Narrowed to our Patient when there is one, so concurrent writes cannot change the baseline.
    ours = ctx.products.get(cid("Patient", "create"))
    base = {"_id": ours["id"], "_tag": ctx.tag_param} if ours else {"_count": "5"}
    response = await ctx.fhir.get("Patient", params=base)
    baseline = sorted(ids_of(searchset(response, "Patient search without the unknown parameter"), "Patient"))
    await _judge_unknown(ctx, base, baseline, strict=False)
    await _judge_unknown(ctx, base, baseline, strict=True)
