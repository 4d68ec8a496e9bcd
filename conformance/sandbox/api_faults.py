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
        fault("api-undocumented-operation", "PUT /appointments/{id} is served (200) but not documented",
              (OA + "operations.undocumented-methods",)),
        fault("api-500-on-edge-case", "GET /appointments crashes (500) for status=arrived or limit=100, both "
              "documented values (and 500 is not documented)", (OA + "cases.server-errors", OA + "cases.status-codes")),
        fault("api-response-breaks-schema", "appointments in GET /appointments have start as a number (epoch "
              "seconds), not the documented date-time string", (OA + "cases.response-schema",)),
        fault("api-undocumented-status", "an unknown appointment id answers 410 Gone; the document says 404",
              (OA + "cases.status-codes",)),
        fault("api-undocumented-content-type", "an unknown appointment id answers an HTML page; the document "
              "says application/json", (OA + "cases.content-types",)),
        fault("api-anonymous-read", "GET /appointments answers 200 with the data to a caller without a token",
              (S + "auth.missing-token", S + "auth.no-leak")),
        fault("api-401-with-data", "the 401 to a caller without a token carries the appointments anyway",
              (S + "auth.no-leak",)),
        fault("oauth-any-bearer-accepted", "the API accepts any Bearer value that is not empty",
              (S + "auth.malformed-token", S + "auth.expired-token", S + "auth.wrong-signature", S + "auth.no-leak",
               S + "scopes.enforced")),
        fault("oauth-expiry-unchecked", "access tokens are accepted after they expire (exp not checked)",
              (S + "auth.expired-token",)),
        fault("oauth-signature-unchecked", "access tokens are decoded without verifying their signature",
              (S + "auth.wrong-signature",)),
        fault("api-echoes-token-in-error", "a 400 error repeats the caller's Authorization header in its body",
              (S + "token.not-echoed",)),
        fault("oauth-basic-auth-refused", "the token endpoint reads client credentials only from the form body "
              "and refuses HTTP Basic (client_secret_basic)", (S + "token.client-secret",)),
        fault("oauth-backend-services-unsupported", "the token endpoint refuses signed JWT client assertions "
              "(SMART Backend Services)", (S + "token.backend-services",)),
        fault("oauth-assertion-signature-unchecked", "client assertions are accepted whatever key signed them",
              (S + "token.forged-assertion",)),
        fault("oauth-scopes-ignored", "any valid token may read and write every resource type, whatever its "
              "scopes", (S + "scopes.enforced",)),
        fault("smart-config-incomplete", ".well-known/smart-configuration lacks capabilities and "
              "grant_types_supported", (S + "smart.discovery",)),
        fault("smart-capability-disagrees", "the CapabilityStatement's security section names another token "
              "endpoint than .well-known/smart-configuration", (S + "smart.capability-agrees",)),
        fault("api-429-without-retry-after", "the rate limit answers 429 without Retry-After",
              (S + "rate-limit.retry-after",)),
        fault("api-no-hsts", "HTTPS responses carry no Strict-Transport-Security header", (S + "tls.hsts",)),
    )
