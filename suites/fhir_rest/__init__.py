"""The ``fhir-rest`` suite: FHIR R4 RESTful API conformance, driven by the server's CapabilityStatement.

Check ids and what each verifies: docs/fhir-rest-checks.md. Importing this package registers the
suite (context.py), then its checks module by module: the import order below is the report order.
"""

# ruff: noqa: I001
from suites.fhir_rest import context
from suites.fhir_rest import capability
from suites.fhir_rest import crud
from suites.fhir_rest import conditional
from suites.fhir_rest import search_params
from suites.fhir_rest import search
from suites.fhir_rest import format
from suites.fhir_rest import errors

__all__ = ["capability", "conditional", "context", "crud", "errors", "format", "search", "search_params"]
