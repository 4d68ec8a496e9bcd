"""The gs1 suite's context and its synthetic scan data.

The context is the fhir-rest suite's :class:`FhirContext` (client, run tag, clean-up of what was
written); only the check that produces the CapabilityStatement differs, because products are kept
per suite. That check is fhir-rest's own metadata check, registered again under this suite's id.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import ProductKey, SuiteRuntime, suite
from conformance.fhir import capability
from conformance.fhir.capability import Capability
from conformance.fhir.context import FhirContext
from conformance.gs1 import convert, validate
from conformance.gs1.fhir import GLN_SYSTEM, GSRN_SYSTEM, fhir_date, scanned_medication

SUITE_ID = "gs1"
METADATA: ProductKey[Capability] = ProductKey("gs1.capability.metadata")

GS = "\x1d"
# A pack of a medicine as a GS1 DataMatrix scanner delivers it: symbology identifier, GTIN (with a
# leading zero), expiry, batch, GS, serial. Serial and batch are long enough that truncation shows,
# and begin with zeros so that a numeric conversion shows; expiry day > 12 so DDMMYY cannot pass.
GTIN = "09501101530003"
EXPIRY = "271130"
BATCH = "0417B-X12"
SERIAL = "0012345678ABCDEFGHJK"
PACK_SCAN = f"]d201{GTIN}17{EXPIRY}10{BATCH}{GS}21{SERIAL}"
# A staff or patient wristband (GSRN, AI 8018) and a ward's location label (GLN, AI 414). The GSRN
# has 18 digits (beyond a float's precision); the GLN is one whose check digit a swapped-weights
# "correction" changes.
GSRN_SCAN = "]d28018950110153000012345"
GLN_SCAN = "]C14149501101531000"


class Gs1Context(FhirContext):
    metadata_check = METADATA


async def make_context(runtime: SuiteRuntime) -> Gs1Context:
    return Gs1Context.for_runtime(runtime)


SUITE = suite(
    id=SUITE_ID,
    title="GS1 data through FHIR",
    context=make_context,
    description="Scanned GS1 data (GTIN, batch, expiry, serial, UDI, GSRN, GLN) written through FHIR comes back "
    "exactly, and the GS1 data the target holds is valid.",
)

# The same check as fhir-rest.capability.metadata (GET metadata, a valid R4 CapabilityStatement),
# under this suite's id so that this suite's checks can read its product.
capability.metadata_check(METADATA)(capability.metadata)


def scanned(text: str) -> dict[str, str]:
    """The AIs of a scan, as a bedside system's GS1 parser would read them (the harness's own data).

    Judged as scanner output, the form the suite sends: symbology identifier, GS separators.
    """
    result = validate(text, form="scanner")
    if not result.valid:  # the suite's own data: a harness bug, reported as an error
        raise RuntimeError(f"the suite's scan data {text!r} is not valid GS1: "
                           + "; ".join(i.diagnostics for i in result.issues))
    return result.ais


def medication() -> dict[str, Any]:
    return scanned_medication(scanned(PACK_SCAN))


def device() -> dict[str, Any]:
    ais = scanned(PACK_SCAN)
    return {
        "resourceType": "Device",
        "status": "active",
        "udiCarrier": [{
            "deviceIdentifier": ais["01"],
            "issuer": "http://hl7.org/fhir/NamingSystem/gs1-di",
            "carrierHRF": convert(PACK_SCAN, "bracketed"),
        }],
        "lotNumber": ais["10"],
        "serialNumber": ais["21"],
        "expirationDate": fhir_date(ais["17"]),
        "deviceName": [{"name": "Synthetic scanned infusion set", "type": "user-friendly-name"}],
    }


def patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": GSRN_SYSTEM, "value": scanned(GSRN_SCAN)["8018"]}],
        "name": [{"family": "Scanned", "given": ["Synthetic"]}],
    }


def location() -> dict[str, Any]:
    return {
        "resourceType": "Location",
        "status": "active",
        "name": "Synthetic ward (scanned label)",
        "identifier": [{"system": GLN_SYSTEM, "value": scanned(GLN_SCAN)["414"]}],
    }
