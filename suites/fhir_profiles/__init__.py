"""The ``fhir-profiles`` suite: resources the target returns, validated against base R4 and the profiles it
claims, and the claimed profiles' must-support elements seen in what it returns.

Registered only once the FHIR validator (conformance/fhirval/validate.py, issue 4, in progress) is in
the tree AND the sandbox's profile faults are wired (conformance/sandbox/profile_faults.py): a suite
whose checks would error, or that no fault can prove able to fail, is not shipped. Import order is the
report order.
"""

from importlib.util import find_spec

from conformance.sandbox.faults import FAULTS

if find_spec("conformance.fhirval.validate") is not None and "profiles-vendor-element" in FAULTS:
    # ruff: noqa: I001
    from suites.fhir_profiles import context
    from suites.fhir_profiles import checks

    __all__ = ["checks", "context"]
