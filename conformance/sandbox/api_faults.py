"""The sandbox API's and authorisation server's fault switches, each naming the checks it must fail.

Kept apart from faults.py only for length; faults.py merges them into the one registry. Each breaks
one rule the way real vendor APIs do (docs/openapi-security.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.sandbox.faults import Fault

OA = "openapi."
S = "security."


def api_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault("api-doc-requires-auth", "the OpenAPI document answers 401 to a caller without a token",
              (OA + "document.reachable",)),
        fault("api-doc-invalid", "the OpenAPI document still carries a Swagger 2 parameter (in: body) on "
              "GET /beds, which OpenAPI 3.0 does not allow", (OA + "document.valid",)),
        fault("api-doc-undocumented-errors", "GET /beds documents only its 200 response: no error response",
              (OA + "operations.responses",)),
        fault("api-doc-no-security", "GET /beds declares no security requirement (and there is no global one)",
              (OA + "operations.security",)),
        fault("api-undocumented-operation", "DELETE /appointments/{id} is served (204) but not documented",
              (OA + "operations.undocumented-methods",)),
        fault("api-500-on-edge-case", "GET /appointments crashes (500) for status=arrived or limit=100, both "
              "documented values (and 500 is not documented)", (OA + "cases.server-errors", OA + "cases.status-codes")),
        fault("api-response-breaks-schema", "appointments in GET /appointments have start as a number (epoch "
              "seconds), not the documented date-time string", (OA + "cases.response-schema",)),
        fault("api-undocumented-status", "an unknown appointment id answers 410 Gone; the document says 404",
              (OA + "cases.status-codes",)),
        fault("api-undocumented-content-type", "an unknown appointment id answers an HTML page; the document "
              "says application/json", (OA + "cases.content-types",)),
    )
