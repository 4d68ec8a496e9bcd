"""A target's ``[api]`` and ``[oauth]`` sections: how the openapi and security suites reach its API.

Kept beside the OpenAPI code (targets.py only wires them in) so the open-API settings live in one
place. Secrets are never values here: the client secret and the private key are named by the
environment variables that hold them, read only when a token is requested.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# "GET /appointments/{id}": an operation as the OpenAPI document names it.
_OPERATION = re.compile(r"^(GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE|TRACE) /\S*$")


@dataclass
class ApiSettings:
    """``[api]``: which operations may be exercised, and the bounds on generated cases."""

    # Operations the target marks safe to call with generated data; empty = every GET and HEAD.
    safe_operations: list[str] = field(default_factory=list)
    max_cases: int = 25  # generated cases per operation
    time_budget: float = 20.0  # seconds for every generated case of a run
    max_document_bytes: int = 5_000_000  # a larger OpenAPI document is refused, unread past this
    protected: str = ""  # a path (under endpoints.api) or URL that needs a token, for the security suite
    rate_limit_probe: int = 60  # requests sent at most to provoke a declared 429


@dataclass
class OAuthSettings:
    """``[oauth]``: the authorisation server and the harness's registered client."""

    token_endpoint: str = ""  # default: the SMART configuration's token_endpoint
    client_id: str = ""
    client_secret_env: str = ""  # client_credentials with a client secret (HTTP Basic)
    private_key_env: str = ""  # SMART Backend Services: a PEM or JWK private key signing our assertion
    key_id: str = ""  # the kid of that key, as registered with the server
    scopes: str = ""  # what the harness asks for (space-separated)
    read_scope: str = "system/Patient.read"  # a read-only FHIR scope, for the scope-enforcement check
    expired_token_env: str = ""  # a token the server issued that has since expired (expired-token check)
    smart_fhir: str = ""  # the SMART-protected FHIR base, when it is not endpoints.fhir

    def secrets(self) -> list[str]:
        """The resolved client secret and private key, to be scrubbed from anything kept."""
        names = [n for n in (self.client_secret_env, self.private_key_env, self.expired_token_env) if n]
        values = [os.environ.get(n, "") for n in names]
        out = [v for v in values if v]
        # A PEM is scrubbed line by line too: a server quoting part of it must not leak the rest.
        out += [line for v in out for line in v.splitlines() if len(line) >= 16 and "-----" not in line]
        return out

    @property
    def configured(self) -> bool:
        return bool(self.client_id and (self.client_secret_env or self.private_key_env))


API_KEYS = tuple(ApiSettings.__dataclass_fields__)
OAUTH_KEYS = tuple(OAuthSettings.__dataclass_fields__)


def parse_api(table: dict[str, Any], err: Any) -> ApiSettings:
    settings = ApiSettings()
    for key, value in table.items():
        where = f"api.{key}"
        default = getattr(settings, key)
        if isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise err(where, "must be a list of operations such as \"GET /appointments\"")
            for op in value:
                if not _OPERATION.match(op.strip()):
                    raise err(where, f"{op!r} is not METHOD /path (e.g. \"GET /appointments/{{id}}\")")
            value = [v.strip() for v in value]
        elif isinstance(default, bool) or isinstance(value, bool):
            raise err(where, "must not be true or false")
        elif isinstance(default, int):
            if not isinstance(value, int) or value <= 0:
                raise err(where, "must be a whole number greater than 0")
        elif isinstance(default, float):
            if not isinstance(value, int | float) or value <= 0:
                raise err(where, "must be a number of seconds greater than 0")
            value = float(value)
        elif not isinstance(value, str):
            raise err(where, "must be a string")
        setattr(settings, key, value)
    return settings


def parse_oauth(table: dict[str, Any], err: Any) -> OAuthSettings:
    settings = OAuthSettings()
    for key, value in table.items():
        if not isinstance(value, str):
            raise err(f"oauth.{key}", "must be a string")
        setattr(settings, key, value.strip())
    for key in ("token_endpoint", "smart_fhir"):
        url = getattr(settings, key)
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise err(f"oauth.{key}", f"{url!r} is not an http(s) URL")
    settings.smart_fhir = settings.smart_fhir.rstrip("/")
    if (settings.client_secret_env or settings.private_key_env) and not settings.client_id:
        raise err("oauth.client_id", "a client secret or private key needs the client id it belongs to")
    for key in ("client_secret_env", "private_key_env", "expired_token_env"):
        name = getattr(settings, key)
        if name and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise err(f"oauth.{key}", f"{name!r} is not an environment variable name (the secret itself "
                      "never goes in the file)")
    return settings


def missing_secrets(settings: OAuthSettings) -> list[str]:
    """``oauth.KEY: VAR`` for each named environment variable that is not set."""
    return [f"oauth.{k}: environment variable {getattr(settings, k)} "
            f"{'is empty' if getattr(settings, k) in os.environ else 'is not set'}"
            for k in ("client_secret_env", "private_key_env", "expired_token_env")
            if getattr(settings, k) and not os.environ.get(getattr(settings, k))]
