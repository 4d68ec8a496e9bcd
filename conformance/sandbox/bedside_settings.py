"""The sandbox's own ``[bedside]`` declaration: it is an eMAR that refuses a mismatch outright."""

from __future__ import annotations

from conformance.targets import BedsideSettings


def sandbox_bedside_settings() -> BedsideSettings:
    return BedsideSettings(emar=True, override_policy="refuse")
