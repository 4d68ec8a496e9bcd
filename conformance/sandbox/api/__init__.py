"""The sandbox's open API: an OpenAPI-described booking API, an OAuth2 server and a SMART-protected FHIR view."""

from conformance.sandbox.api.app import api_routes
from conformance.sandbox.api.oauth import (
    CLIENT_ID,
    CLIENT_KID,
    EXPIRED_ENV,
    KEY_ENV,
    SECRET_ENV,
    configure_target,
    sandbox_credentials,
)

__all__ = ["CLIENT_ID", "CLIENT_KID", "EXPIRED_ENV", "KEY_ENV", "SECRET_ENV", "api_routes", "configure_target",
           "sandbox_credentials"]
