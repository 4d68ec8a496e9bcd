"""Content negotiation: the Accept header, the _format parameter, and XML where it is declared."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conformance.checks import check, expect, fail
from conformance.fhir.client import FHIR_JSON, FHIR_XML
from conformance.fhir.context import FhirContext
from conformance.fhir.expect import body_json, describe, expect_fhir_json, expect_status, require_declared, snippet
from suites.fhir_rest.context import METADATA
from suites.fhir_rest.crud import cid

CAPS = ["interoperability"]
FHIR_NS = "http://hl7.org/fhir"


def _paths(ctx: FhirContext) -> list[str]:
    """metadata, and our Patient when the suite created one."""
    made = ctx.products.get(cid("Patient", "create"))
    return ["metadata"] + ([f"Patient/{made['id']}"] if made else [])


@check(
    id="fhir-rest.format.accept-json",
    title="Accept: application/fhir+json gets Content-Type application/fhir+json and a JSON body",
    requirements=["FHIR-R4:http.html#mime-type", "FHIR-R4:json.html"],
    capabilities=CAPS,
    after=[cid("Patient", "create")],
)
async def accept_json(ctx: FhirContext) -> None:
    for path in _paths(ctx):
        what = f"GET {path} with Accept: {FHIR_JSON}"
        response = await ctx.fhir.get(path, accept=FHIR_JSON)
        expect_status(response, (200,), what)
        expect_fhir_json(response, what)
        body = body_json(response, what)
        expect(isinstance(body, dict) and "resourceType" in body, f"{what}: the JSON body has no resourceType")


@check(
    id="fhir-rest.format.param-json",
    title="_format=json and _format=application/fhir+json get FHIR JSON whatever the Accept header",
    requirements=["FHIR-R4:http.html#mime-type"],
    capabilities=CAPS,
    required=False,
    after=[cid("Patient", "create")],
)
async def param_json(ctx: FhirContext) -> None:
    for path in _paths(ctx):
        for value in ("json", FHIR_JSON):
            what = f"GET {path}?_format={value} with Accept: {FHIR_XML}"
            response = await ctx.fhir.get(path, params={"_format": value}, accept=FHIR_XML)
            expect_status(response, (200,), what)
            expect("json" in response.content_type, f"{what}: expected a JSON Content-Type, got "
                                                   f"{response.content_type or 'none'}")
            body = body_json(response, what)
            expect(isinstance(body, dict) and "resourceType" in body, f"{what}: the JSON body has no resourceType")


@check(
    id="fhir-rest.format.xml",
    title="Where XML is declared: Accept: application/fhir+xml gets well-formed FHIR XML",
    requirements=["FHIR-R4:http.html#mime-type", "FHIR-R4:xml.html"],
    capabilities=CAPS,
    required=False,
    needs=[METADATA],
    after=[cid("Patient", "create")],
)
async def xml_format(ctx: FhirContext) -> None:
    require_declared(ctx.capability().declares_xml(), "XML format")
    for path in _paths(ctx):
        what = f"GET {path} with Accept: {FHIR_XML}"
        response = await ctx.fhir.get(path, accept=FHIR_XML)
        expect_status(response, (200,), what)
        if response.content_type != FHIR_XML:
            fail(f"{what}: expected Content-Type {FHIR_XML}, got {describe(response)}: {snippet(response, 60)}")
        try:
            root = ET.fromstring(response.content)  # expat (>= 2.4.1) refuses entity-expansion bombs
        except ET.ParseError as exc:
            fail(f"{what}: the body is not well-formed XML ({exc}); it starts {snippet(response, 60)}")
        expect(root.tag.startswith("{" + FHIR_NS + "}"),
               f"{what}: the root element {root.tag!r} is not in the FHIR namespace {FHIR_NS}")
