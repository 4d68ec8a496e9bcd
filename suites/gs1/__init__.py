"""The ``gs1`` suite: scanned GS1 data sent through FHIR must come back exactly, and GS1 data the
target holds must be valid.

Check ids and what each verifies: docs/gs1-checks.md. Importing this package registers the suite
(context.py), then its checks: the import order below is the report order.
"""

# ruff: noqa: I001
from suites.gs1 import context
from suites.gs1 import roundtrip
from suites.gs1 import held

__all__ = ["context", "held", "roundtrip"]
