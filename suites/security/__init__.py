"""The ``security`` suite (FHIR and OpenAPI targets): tokens refused and accepted as they should be,
SMART discovery, scopes, rate limits and HSTS. Check ids: docs/openapi-security.md.
"""

# ruff: noqa: I001
from suites.security import context
from suites.security import access
from suites.security import oauth

__all__ = ["access", "context", "oauth"]
