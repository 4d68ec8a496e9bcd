"""The sandbox's FHIR profile fault switches: resources that break base R4 or the sandbox's claimed
profiles (profiles/fhir) the way real systems do.

NOT YET WIRED (issue 4 in progress): merge into FAULTS in faults.py, call fhir/profiles.apply() in the
FHIR app's _body(), declare profiles.SUPPORTED as supportedProfile in capability.py, and add
"fhir-profiles.capability.metadata" to metadata-not-capabilitystatement, once the fhir-profiles suite is
registered (it waits for conformance/fhirval/validate.py); the fault matrix then proves each."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.sandbox.faults import Fault

P = "fhir-profiles."


def profile_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault("profiles-gender-internal-code", "Patient.gender is stored as the system's internal code 'F', "
              "not the required FHIR code 'female'", (P + "base.valid", P + "claimed.valid")),
        fault("profiles-birthdate-local-format", "Patient.birthDate comes back as '12/03/1984' (a UK display "
              "format), not a FHIR date", (P + "base.valid", P + "claimed.valid")),
        fault("profiles-vendor-element", "every resource carries a vendor element 'legacyId' that FHIR does not "
              "define", (P + "base.valid", P + "claimed.valid")),
        fault("profiles-nhs-number-local-system", "the NHS number is stored under the trust's local system "
              "'urn:oid:2.16.840.1.113883.2.1.4.1' instead of https://fhir.nhs.uk/Id/nhs-number",
              (P + "claimed.valid",)),
        fault("profiles-birthdate-not-stored", "Patient.birthDate is accepted but never stored: the claimed "
              "profile's must-support element is never returned", (P + "must-support.seen",)),
        fault("profiles-search-empty", "searches return an empty Bundle whatever is stored", (P + "sample.collect",)),
    )
