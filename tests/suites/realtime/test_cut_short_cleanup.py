"""A realtime run cut short still deletes the patients it wrote, found by the tags it handed out."""

from __future__ import annotations

import asyncio

import httpx

from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.sandbox.realtime.settings import sandbox_realtime_settings
from conformance.targets import from_url
from suites.realtime.context import RealtimeContext

URL = "http://sandbox.test/fhir"


def tagged_patients(cut_short: bool) -> int:
    """Write a tagged patient the context never hears of, close the context; how many remain."""
    app = create_app(parse_faults([]))

    async def go() -> int:
        target = from_url(URL, sandbox=True)
        target.realtime = sandbox_realtime_settings(URL)
        ctx = RealtimeContext(target, httpx.ASGITransport(app=app), None, "run-x")
        tag = ctx.tag("scenario")
        body = {"resourceType": "Patient", "meta": {"tag": [tag]}, "active": True}
        created = await ctx.a.post("Patient", body)
        assert created.status_code == 201
        ctx.cut_short = cut_short
        await ctx.aclose()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
            found = await client.get(f"{URL}/Patient", params={"_tag": f"{tag['system']}|{tag['code']}"})
        return int(found.json()["total"])

    return asyncio.run(go())


def test_cut_short_clean_up_finds_patients_by_tag() -> None:
    assert tagged_patients(cut_short=False) == 1  # the usual clean-up deletes only what it knows of
    assert tagged_patients(cut_short=True) == 0
