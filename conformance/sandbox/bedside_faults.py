"""The bedside sandbox's fault switches: how real systems fail positive identification, product
lookup, recall traceability and the eMAR's positive match (suite ``gs1-bedside``).

Kept apart from faults.py only for length; faults.py merges them into the one registry. Search faults
touch only the parameters the bedside suite relies on (``identifier``, ``lot-number``, a chain through
``medication``), so other suites' searches are unaffected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.sandbox.faults import Fault

# Fault names, for the parts that honour them (faults.on(NAME)).
BEDSIDE_IDENTIFIER_PREFIX_MATCH = "bedside-identifier-prefix-match"
BEDSIDE_IDENTIFIER_LEADING_ZERO_DROPPED = "bedside-identifier-leading-zero-dropped"
BEDSIDE_GLN_EXTENSION_DROPPED = "bedside-gln-extension-dropped"
BEDSIDE_MEDICATION_BATCH_REFUSED = "bedside-medication-batch-refused"
BEDSIDE_LOT_NUMBER_IGNORED = "bedside-lot-number-ignored"
BEDSIDE_CHAIN_IGNORES_LOT = "bedside-chain-ignores-lot"
BEDSIDE_CHAIN_FIRST_MEDICATION_ONLY = "bedside-chain-first-medication-only"
BEDSIDE_HAS_IGNORED = "bedside-has-ignored"
BEDSIDE_ADMINISTRATION_REFERENCE_REFUSED = "bedside-administration-reference-refused"
BEDSIDE_DEVICE_LOCATION_DROPPED = "bedside-device-location-dropped"
EMAR_GTIN_COMPARED_AS_NUMBER = "emar-gtin-compared-as-number"
EMAR_ACCEPTS_WRONG_PATIENT = "emar-accepts-wrong-patient"
EMAR_ACCEPTS_EXPIRED = "emar-accepts-expired"
EMAR_ACCEPTS_WRONG_PRODUCT = "emar-accepts-wrong-product"

B = "gs1-bedside."
IDENTIFY = (f"{B}identify.patient", f"{B}identify.practitioner", f"{B}identify.location")


def bedside_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault(BEDSIDE_IDENTIFIER_PREFIX_MATCH, "identifier search matches every identifier that starts with "
              "the value searched (a wristband read short still finds a patient)", IDENTIFY),
        fault(BEDSIDE_IDENTIFIER_LEADING_ZERO_DROPPED, "identifier search compares values with leading zeros "
              "stripped on both sides (as numbers): a GSRN or GLN scanned without its leading zero still matches",
              IDENTIFY),
        fault(BEDSIDE_GLN_EXTENSION_DROPPED, "Location identifiers under a system the server has no mapping for "
              "are dropped, the GLN extension (AI 254) among them, though the sandbox declares where it keeps it "
              "([bedside] gln_extension_system)", (f"{B}identify.location", f"{B}recall.device-location")),
        fault(BEDSIDE_MEDICATION_BATCH_REFUSED, "a Medication with a batch is refused (422): the server keeps "
              "products from a formulary, not the packs scanned at the bedside", (f"{B}product.create",)),
        fault(BEDSIDE_LOT_NUMBER_IGNORED, "Medication lot-number search is ignored: every batch of the "
              "product matches", (f"{B}product.medication-lot", f"{B}recall.by-lot", f"{B}recall.by-has")),
        fault(BEDSIDE_CHAIN_IGNORES_LOT, "chained search MedicationAdministration?medication.lot-number= ignores "
              "the lot: every administration of any Medication matches", (f"{B}recall.by-lot",)),
        fault(BEDSIDE_CHAIN_FIRST_MEDICATION_ONLY, "chained search resolves only the first Medication of the "
              "lot: administrations of a second pack of the same batch are missed", (f"{B}recall.by-lot",)),
        fault(BEDSIDE_HAS_IGNORED, "reverse chaining (_has) is ignored: every patient matches",
              (f"{B}recall.by-has",)),
        fault(BEDSIDE_ADMINISTRATION_REFERENCE_REFUSED, "a MedicationAdministration whose medication is a "
              "reference to a stored Medication is refused (422): the pack cannot be traced to its batch record",
              (f"{B}recall.administer",)),
        fault(BEDSIDE_DEVICE_LOCATION_DROPPED, "Device.location is not stored: the server cannot say where a "
              "device is", (f"{B}recall.device-location",)),
        fault(EMAR_GTIN_COMPARED_AS_NUMBER, "the eMAR compares the scanned GTIN with the prescribed one after "
              "dropping leading zeros from the scan only: every correct administration is refused",
              (f"{B}match.correct",)),
        fault(EMAR_ACCEPTS_WRONG_PATIENT, "the eMAR accepts an administration to a patient other than the "
              "prescription's (the wristband is not compared)", (f"{B}match.wrong-patient",)),
        fault(EMAR_ACCEPTS_EXPIRED, "the eMAR accepts a product past its expiry date (AI 17 not compared with "
              "today)", (f"{B}match.expired",)),
        fault(EMAR_ACCEPTS_WRONG_PRODUCT, "the eMAR accepts a product whose GTIN is not the prescribed one",
              (f"{B}match.wrong-product",)),
    )
