"""The sandbox API's and authorisation server's fault switches, each naming the checks it must fail.

Kept apart from faults.py only for length; faults.py merges them into the one registry. Each breaks
one rule the way real vendor APIs do (docs/openapi-security.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.sandbox.faults import Fault

# Fault names, for the parts that honour them (faults.on(NAME)).
API_DOC_REQUIRES_AUTH = "api-doc-requires-auth"
API_DOC_INVALID = "api-doc-invalid"
API_DOC_UNDOCUMENTED_ERRORS = "api-doc-undocumented-errors"
API_DOC_NO_SECURITY = "api-doc-no-security"
API_UNDOCUMENTED_OPERATION = "api-undocumented-operation"
API_500_ON_EDGE_CASE = "api-500-on-edge-case"
API_RESPONSE_BREAKS_SCHEMA = "api-response-breaks-schema"
API_UNDOCUMENTED_STATUS = "api-undocumented-status"
API_UNDOCUMENTED_CONTENT_TYPE = "api-undocumented-content-type"
API_ANONYMOUS_READ = "api-anonymous-read"
API_401_WITH_DATA = "api-401-with-data"
OAUTH_ANY_BEARER_ACCEPTED = "oauth-any-bearer-accepted"
OAUTH_EXPIRY_UNCHECKED = "oauth-expiry-unchecked"
OAUTH_SIGNATURE_UNCHECKED = "oauth-signature-unchecked"
API_ECHOES_TOKEN_IN_ERROR = "api-echoes-token-in-error"
OAUTH_BASIC_AUTH_REFUSED = "oauth-basic-auth-refused"
OAUTH_BACKEND_SERVICES_UNSUPPORTED = "oauth-backend-services-unsupported"
OAUTH_ASSERTION_SIGNATURE_UNCHECKED = "oauth-assertion-signature-unchecked"
OAUTH_SCOPES_IGNORED = "oauth-scopes-ignored"
SMART_CONFIG_INCOMPLETE = "smart-config-incomplete"
SMART_CAPABILITY_DISAGREES = "smart-capability-disagrees"
API_429_WITHOUT_RETRY_AFTER = "api-429-without-retry-after"
API_NO_HSTS = "api-no-hsts"

OA = "openapi."
S = "security."


def api_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault(API_DOC_REQUIRES_AUTH, "the OpenAPI document answers 401 to a caller without a token",
              (OA + "document.reachable",)),
        fault(API_DOC_INVALID, "the OpenAPI document still carries a Swagger 2 parameter (in: body) on "
              "GET /beds, which OpenAPI 3.0 does not allow", (OA + "document.valid",)),
        fault(API_DOC_UNDOCUMENTED_ERRORS, "GET /beds documents only its 200 response: no error response",
              (OA + "operations.responses",)),
        fault(API_DOC_NO_SECURITY, "GET /beds declares no security requirement (and there is no global one)",
              (OA + "operations.security",)),
        fault(API_UNDOCUMENTED_OPERATION, "PUT /appointments/{id} is served (200) but not documented",
              (OA + "operations.undocumented-methods",)),
        fault(API_500_ON_EDGE_CASE, "GET /appointments crashes (500) for status=arrived or limit=100, both "
              "documented values (and 500 is not documented)", (OA + "cases.server-errors", OA + "cases.status-codes")),
        fault(API_RESPONSE_BREAKS_SCHEMA, "appointments in GET /appointments have start as a number (epoch "
              "seconds), not the documented date-time string", (OA + "cases.response-schema",)),
        fault(API_UNDOCUMENTED_STATUS, "an unknown appointment id answers 410 Gone; the document says 404",
              (OA + "cases.status-codes",)),
        fault(API_UNDOCUMENTED_CONTENT_TYPE, "an unknown appointment id answers an HTML page; the document "
              "says application/json", (OA + "cases.content-types",)),
        fault(API_ANONYMOUS_READ, "GET /appointments answers 200 with the data to a caller without a token",
              (S + "auth.missing-token", S + "auth.no-leak")),
        fault(API_401_WITH_DATA, "the 401 to a caller without a token carries the appointments anyway",
              (S + "auth.no-leak",)),
        fault(OAUTH_ANY_BEARER_ACCEPTED, "the API accepts any Bearer value that is not empty",
              (S + "auth.malformed-token", S + "auth.expired-token", S + "auth.wrong-signature", S + "auth.no-leak",
               S + "scopes.enforced")),
        fault(OAUTH_EXPIRY_UNCHECKED, "access tokens are accepted after they expire (exp not checked)",
              (S + "auth.expired-token",)),
        fault(OAUTH_SIGNATURE_UNCHECKED, "access tokens are decoded without verifying their signature",
              (S + "auth.wrong-signature",)),
        fault(API_ECHOES_TOKEN_IN_ERROR, "a 400 error repeats the caller's Authorization header in its body",
              (S + "token.not-echoed",)),
        fault(OAUTH_BASIC_AUTH_REFUSED, "the token endpoint reads client credentials only from the form body "
              "and refuses HTTP Basic (client_secret_basic)", (S + "token.client-secret",)),
        fault(OAUTH_BACKEND_SERVICES_UNSUPPORTED, "the token endpoint refuses signed JWT client assertions "
              "(SMART Backend Services)", (S + "token.backend-services",)),
        fault(OAUTH_ASSERTION_SIGNATURE_UNCHECKED, "client assertions are accepted whatever key signed them",
              (S + "token.forged-assertion",)),
        fault(OAUTH_SCOPES_IGNORED, "any valid token may read and write every resource type, whatever its "
              "scopes", (S + "scopes.enforced",)),
        fault(SMART_CONFIG_INCOMPLETE, ".well-known/smart-configuration lacks capabilities and "
              "grant_types_supported", (S + "smart.discovery",)),
        fault(SMART_CAPABILITY_DISAGREES, "the CapabilityStatement's security section names another token "
              "endpoint than .well-known/smart-configuration", (S + "smart.capability-agrees",)),
        fault(API_429_WITHOUT_RETRY_AFTER, "the rate limit answers 429 without Retry-After",
              (S + "rate-limit.retry-after",)),
        fault(API_NO_HSTS, "HTTPS responses carry no Strict-Transport-Security header", (S + "tls.hsts",)),
    )
