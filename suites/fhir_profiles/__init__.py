"""The ``fhir-profiles`` suite: resources the target returns, validated against base R4 and the profiles it
claims, and the claimed profiles' must-support elements seen in what it returns (docs/fhir-validator.md).

Import order is the report order.
"""

# ruff: noqa: I001
from suites.fhir_profiles import context
from suites.fhir_profiles import checks

__all__ = ["checks", "context"]
