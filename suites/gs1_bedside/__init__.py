"""The ``gs1-bedside`` suite: what bedside scans are for. Finding the right patient, staff member and
place from a scan, finding a product by its barcode, answering a recall, and (for a declared eMAR)
refusing a mismatch at the bedside.

Check ids and the FHIR and GS1 clauses each rests on: docs/gs1-bedside-checks.md. Importing this
package registers the suite (context.py), then its checks: the import order below is the report order.
"""

# ruff: noqa: I001
from suites.gs1_bedside import context
from suites.gs1_bedside import identify
from suites.gs1_bedside import product
from suites.gs1_bedside import recall
from suites.gs1_bedside import match

__all__ = ["context", "identify", "match", "product", "recall"]
