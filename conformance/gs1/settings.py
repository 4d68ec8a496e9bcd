"""A target's ``[bedside]`` section: what it does at the bedside (the gs1-bedside suite's checks)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BeforeValidator, ValidationInfo, field_validator, model_validator

from conformance.sections import Flag, KeyProblem, Section, Text, from_file

OVERRIDE_POLICIES = ("refuse", "record-with-reason")
SCANNED_PACK_FORMS = ("", "contained")


def _policy(value: object) -> str:
    if not isinstance(value, str) or value.strip() not in OVERRIDE_POLICIES:
        raise ValueError(f"{value!r} is not one of {', '.join(OVERRIDE_POLICIES)}")
    return value.strip()


class BedsideSettings(Section):
    """What the target does at the bedside (``[bedside]``; the gs1-bedside suite's positive-match checks).

    Declared, never inferred: a generic FHIR server stores whatever administration it is sent, so the
    checks that expect a mismatch to be refused run only where the target says it is an eMAR.
    """

    emar: Flag = False  # the target checks administrations against the prescription and the scans
    # refuse: a mismatch is refused with an OperationOutcome; record-with-reason: refused unless the
    # administration carries an override reason, then stored with that reason.
    override_policy: Annotated[str, BeforeValidator(_policy)] = "refuse"
    # How the eMAR recognises an override reason: a MedicationAdministration.note whose text starts with
    # this. FHIR R4 defines no override element, so record-with-reason needs it declared (no default).
    override_note_prefix: Text = ""
    # The Location.identifier system under which the target keeps a GLN's extension component (AI 254).
    # No HL7 or GS1 FHIR mapping defines one, so "GLN + extension" is asked only where this is declared.
    gln_extension_system: Text = ""
    # How the eMAR takes the scanned pack in a MedicationAdministration: "contained" (a contained
    # Medication with GTIN, batch, expiry: the one form gs1-bedside sends). Undeclared, a refusal of the
    # correct administration is not judged: it may be the form, not the patient or product, refused.
    scanned_pack: Text = ""

    @field_validator("scanned_pack")
    @classmethod
    def _form(cls, value: str) -> str:
        if value not in SCANNED_PACK_FORMS:
            raise ValueError(f"{value!r} is not one of {', '.join(SCANNED_PACK_FORMS[1:])}")
        return value

    @field_validator("gln_extension_system")
    @classmethod
    def _uri(cls, value: str) -> str:
        ext = urlsplit(value)
        if value and (not ext.scheme or not (ext.netloc or ext.path)):
            raise ValueError(f"{value!r} is not a URI")
        return value

    @model_validator(mode="after")
    def _override_reason_declared(self, info: ValidationInfo) -> BedsideSettings:
        if not from_file(info):
            return self
        if self.override_policy == "record-with-reason" and not self.override_note_prefix:
            raise KeyProblem("override_note_prefix", "override_policy = record-with-reason needs the text an "
                             "override reason's note starts with, as the eMAR expects it (e.g. \"Override:\")")
        return self
