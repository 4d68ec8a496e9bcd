"""The ``openapi`` suite: an API described by an OpenAPI document is published, documented, and behaves
as documented (schemathesis's generated cases). Check ids: docs/openapi-security.md.
"""

# ruff: noqa: I001
from suites.openapi import context
from suites.openapi import documented
from suites.openapi import cases

__all__ = ["cases", "context", "documented"]
