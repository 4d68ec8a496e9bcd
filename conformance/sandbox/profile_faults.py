"""The sandbox's FHIR profile fault switches: resources that break base R4 or the sandbox's claimed
profiles (profiles/fhir) the way real systems do.

Merged into FAULTS by faults.py; applied on write by fhir/profiles.apply() (search-empty in the app's search).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.sandbox.faults import Fault

# Fault names, for the parts that honour them (faults.on(NAME)).
PROFILES_GENDER_INTERNAL_CODE = "profiles-gender-internal-code"
PROFILES_BIRTHDATE_LOCAL_FORMAT = "profiles-birthdate-local-format"
PROFILES_VENDOR_ELEMENT = "profiles-vendor-element"
PROFILES_NHS_NUMBER_LOCAL_SYSTEM = "profiles-nhs-number-local-system"
PROFILES_BIRTHDATE_NOT_STORED = "profiles-birthdate-not-stored"
PROFILES_UNIT_CODE_WITHOUT_SYSTEM = "profiles-unit-code-without-system"
PROFILES_ATTACHMENT_SIZE_STALE = "profiles-attachment-size-stale"
PROFILES_SEARCH_EMPTY = "profiles-search-empty"

P = "fhir-profiles."


def profile_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault(PROFILES_GENDER_INTERNAL_CODE, "Patient.gender is stored as the system's internal code 'F', "
              "not the required FHIR code 'female'", (P + "base.valid", P + "claimed.valid")),
        fault(PROFILES_BIRTHDATE_LOCAL_FORMAT, "Patient.birthDate comes back as '12/03/1984' (a UK display "
              "format), not a FHIR date", (P + "base.valid", P + "claimed.valid")),
        fault(PROFILES_VENDOR_ELEMENT, "every resource carries a vendor element 'legacyId' that FHIR does not "
              "define", (P + "base.valid", P + "claimed.valid")),
        fault(PROFILES_NHS_NUMBER_LOCAL_SYSTEM, "the NHS number is stored under the trust's local system "
              "'urn:oid:2.16.840.1.113883.2.1.4.1' instead of https://fhir.nhs.uk/Id/nhs-number",
              (P + "claimed.valid",)),
        fault(PROFILES_BIRTHDATE_NOT_STORED, "Patient.birthDate is accepted but never stored: the claimed "
              "profile's must-support element is never returned", (P + "must-support.seen",)),
        fault(PROFILES_UNIT_CODE_WITHOUT_SYSTEM, "Observation.valueQuantity keeps its unit code but loses the "
              "UCUM system (qty-3: a coded unit needs its system)", (P + "base.valid", P + "claimed.valid")),
        fault(PROFILES_ATTACHMENT_SIZE_STALE, "every stored Patient gains the trust's placeholder photo, whose "
              "stated size and hash are those of an earlier image, not of its data", (P + "base.valid",
                                                                                        P + "claimed.valid")),
        fault(PROFILES_SEARCH_EMPTY, "searches return an empty Bundle whatever is stored", (P + "sample.collect",)),
    )
