"""The fhir-rest suite: its registration and context factory. The context (FhirContext) and the helpers
that judge a response live in the library (conformance/fhir/context.py, expect.py), shared by every FHIR
suite.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import SuiteRuntime, suite
from conformance.evidence.capture import record
from conformance.fhir.context import FhirContext
from conformance.model import Evidence

SUITE_ID = "fhir-rest"
METADATA = FhirContext.metadata_check


async def make_context(runtime: SuiteRuntime) -> FhirContext:
    return FhirContext.for_runtime(runtime)


SUITE = suite(
    id=SUITE_ID,
    title="FHIR R4 RESTful API",
    context=make_context,
    description="Capability statement, CRUD, versioning, search, formats and errors of a FHIR R4 REST server, "
    "driven by what its CapabilityStatement declares.",
)


def judged_from_metadata(element: str, value: Any) -> None:
    """Evidence for a verdict drawn from the CapabilityStatement fetched by the metadata check.

    That check holds the HTTP exchange; this records which element was judged and the value seen, so
    the verdict carries its evidence without fetching the statement again.
    """
    record(Evidence(kind="derived", summary=f"CapabilityStatement.{element} = {value!r}",
                    data={"from_check": METADATA, "element": f"CapabilityStatement.{element}", "value": value}))
