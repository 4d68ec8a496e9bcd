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

B = "gs1-bedside."
IDENTIFY = (f"{B}identify.patient", f"{B}identify.practitioner", f"{B}identify.location")


def bedside_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault("bedside-identifier-prefix-match", "identifier search matches every identifier that starts with "
              "the value searched (a wristband read short still finds a patient)", IDENTIFY),
        fault("bedside-identifier-leading-zero-dropped", "identifier search compares values with leading zeros "
              "stripped on both sides (as numbers): a GSRN or GLN scanned without its leading zero still matches",
              IDENTIFY),
        fault("bedside-medication-batch-refused", "a Medication with a batch is refused (422): the server keeps "
              "products from a formulary, not the packs scanned at the bedside", (f"{B}product.create",)),
        fault("bedside-lot-number-ignored", "Medication lot-number search is ignored: every batch of the "
              "product matches", (f"{B}product.medication-lot", f"{B}recall.by-lot", f"{B}recall.by-has")),
        fault("bedside-chain-ignores-lot", "chained search MedicationAdministration?medication.lot-number= ignores "
              "the lot: every administration of any Medication matches", (f"{B}recall.by-lot",)),
        fault("bedside-chain-first-medication-only", "chained search resolves only the first Medication of the "
              "lot: administrations of a second pack of the same batch are missed", (f"{B}recall.by-lot",)),
        fault("bedside-has-ignored", "reverse chaining (_has) is ignored: every patient matches",
              (f"{B}recall.by-has",)),
        fault("bedside-administration-reference-refused", "a MedicationAdministration whose medication is a "
              "reference to a stored Medication is refused (422): the pack cannot be traced to its batch record",
              (f"{B}recall.administer",)),
        fault("bedside-device-location-dropped", "Device.location is not stored: the server cannot say where a "
              "device is", (f"{B}recall.device-location",)),
        fault("emar-gtin-compared-as-number", "the eMAR compares the scanned GTIN with the prescribed one after "
              "dropping leading zeros from the scan only: every correct administration is refused",
              (f"{B}match.correct",)),
        fault("emar-accepts-wrong-patient", "the eMAR accepts an administration to a patient other than the "
              "prescription's (the wristband is not compared)", (f"{B}match.wrong-patient",)),
        fault("emar-accepts-expired", "the eMAR accepts a product past its expiry date (AI 17 not compared with "
              "today)", (f"{B}match.expired",)),
        fault("emar-accepts-wrong-product", "the eMAR accepts a product whose GTIN is not the prescribed one",
              (f"{B}match.wrong-product",)),
    )
