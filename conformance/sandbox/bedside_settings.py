"""The sandbox's own ``[bedside]`` declaration: it is an eMAR that refuses a mismatch outright, and keeps
a GLN's extension (AI 254) as a second Location identifier."""

from __future__ import annotations

from conformance.gs1.fhir import GLN_EXTENSION_SYSTEM
from conformance.targets import BedsideSettings


def sandbox_bedside_settings() -> BedsideSettings:
    return BedsideSettings(emar=True, override_policy="refuse", gln_extension_system=GLN_EXTENSION_SYSTEM,
                           scanned_pack="contained")
