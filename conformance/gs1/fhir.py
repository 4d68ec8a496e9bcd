"""GS1 data in FHIR R4: the identifier systems, and GS1 dates as FHIR dates.

Shared by the ``gs1`` suite (which writes scanned data and judges what comes back) and the sandbox
(whose GS1 faults mangle exactly these elements), so both agree on where each GS1 key lives.
"""

from __future__ import annotations

import calendar
from typing import Any

from conformance.gs1.linters import century

GTIN_SYSTEM = "https://www.gs1.org/gtin"
GSRN_SYSTEM = "https://www.gs1.org/gsrn"
GLN_SYSTEM = "https://www.gs1.org/gln"
# R4 Medication has no serial number element: the pack's serial (AI 21) is kept as an identifier.
SERIAL_SYSTEM = "https://www.gs1.org/serial"
GS1_SYSTEMS = (GTIN_SYSTEM, GSRN_SYSTEM, GLN_SYSTEM, SERIAL_SYSTEM)
# The GLN extension component (AI 254) has no FHIR home in any HL7 or GS1 mapping. The sandbox keeps it
# as a second Location.identifier under this system and declares so ([bedside] gln_extension_system);
# gs1-bedside asks for it only from a target that declares a system of its own.
GLN_EXTENSION_SYSTEM = "https://www.gs1.org/gln-extension"


def fhir_date(yymmdd: str) -> str:
    """A GS1 date (YYMMDD, e.g. AI 17) as a FHIR ``date``: ``271130`` -> ``2027-11-30``.

    The century follows the GS1 General Specifications' sliding window (7.12); day ``00`` (allowed in
    expiry dates) means the last day of the month. Raises ValueError for anything that is not a date.
    """
    if len(yymmdd) != 6 or not (yymmdd.isascii() and yymmdd.isdigit()):
        raise ValueError(f"{yymmdd!r} is not a GS1 date (YYMMDD)")
    year = century(int(yymmdd[:2]))
    month, day = int(yymmdd[2:4]), int(yymmdd[4:])
    if not 1 <= month <= 12:
        raise ValueError(f"{yymmdd!r}: month {month:02d} is not 01-12")
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last
    if day > last:
        raise ValueError(f"{yymmdd!r}: day {day:02d} does not exist in {year:04d}-{month:02d}")
    return f"{year:04d}-{month:02d}-{day:02d}"


def scanned_medication(ais: dict[str, str]) -> dict[str, Any]:
    """A Medication for a scanned pack (AIs 01, 10, 17, 21): the GTIN as its code, the serial as an
    identifier, batch and expiry; as the gs1 and gs1-bedside suites write it."""
    return {
        "resourceType": "Medication",
        "status": "active",
        "code": {"coding": [{"system": GTIN_SYSTEM, "code": ais["01"]}], "text": "Synthetic scanned pack"},
        "identifier": [{"system": SERIAL_SYSTEM, "value": ais["21"]}],
        "batch": {"lotNumber": ais["10"], "expirationDate": fhir_date(ais["17"])},
    }
