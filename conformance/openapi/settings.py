"""A target's ``[api]`` and ``[oauth]`` sections: how the openapi and security suites reach its API.

Kept beside the OpenAPI code (targets.py only names the sections; pydantic checks them) so the
open-API settings live in one place. Secrets are never values here: the client secret and the
private key are named by the environment variables that hold them, read only when a token is requested.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from conformance.sections import KeyProblem, Section, from_file, http_url, positive, text, whole

# "GET /appointments/{id}": an operation as the OpenAPI document names it.
_OPERATION = re.compile(r"^(GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE|TRACE) /\S*$")


def _no_flag(inner: BeforeValidator) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must not be true or false")
        return inner.func(value)  # type: ignore[call-arg]

    return BeforeValidator(check)


def _operations(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of operations such as \"GET /appointments\"")
    for op in value:
        if not _OPERATION.match(op.strip()):
            raise ValueError(f"{op!r} is not METHOD /path (e.g. \"GET /appointments/{{id}}\")")
    return [v.strip() for v in value]


Cases = Annotated[int, _no_flag(whole("must be a whole number greater than 0", 1))]
Seconds = Annotated[float, _no_flag(positive("must be a number of seconds greater than 0"))]


class ApiSettings(Section):
    """``[api]``: which operations may be exercised, and the bounds on generated cases."""

    # Operations the target marks safe to call with generated data; empty = every GET and HEAD.
    safe_operations: Annotated[list[str], BeforeValidator(_operations)] = Field(default_factory=list)
    max_cases: Cases = 25  # generated cases per operation
    time_budget: Seconds = 20.0  # seconds for every generated case of a run
    max_document_bytes: Cases = 5_000_000  # a larger OpenAPI document is refused, unread past this
    # a path (under endpoints.api) or URL that needs a token, for the security suite
    protected: Annotated[str, _no_flag(text(strip=False))] = ""
    rate_limit_probe: Cases = 60  # requests sent at most to provoke a declared 429


Str = Annotated[str, text()]


class OAuthSettings(Section):
    """``[oauth]``: the authorisation server and the harness's registered client."""

    token_endpoint: Str = ""  # default: the SMART configuration's token_endpoint
    client_id: Str = ""
    client_secret_env: Str = ""  # client_credentials with a client secret (HTTP Basic)
    private_key_env: Str = ""  # SMART Backend Services: a PEM or JWK private key signing our assertion
    key_id: Str = ""  # the kid of that key, as registered with the server
    scopes: Str = ""  # what the harness asks for (space-separated)
    read_scope: Str = "system/Patient.read"  # a read-only FHIR scope, for the scope-enforcement check
    expired_token_env: Str = ""  # a token the server issued that has since expired (expired-token check)
    smart_fhir: Str = ""  # the SMART-protected FHIR base, when it is not endpoints.fhir

    _url = field_validator("token_endpoint")(http_url)

    @field_validator("smart_fhir")
    @classmethod
    def _base(cls, value: str) -> str:
        return http_url(value).rstrip("/")

    @field_validator("client_secret_env", "private_key_env", "expired_token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"{value!r} is not an environment variable name (the secret itself never goes in "
                             "the file)")
        return value

    @model_validator(mode="after")
    def _client_named(self, info: ValidationInfo) -> OAuthSettings:
        if from_file(info) and (self.client_secret_env or self.private_key_env) and not self.client_id:
            raise KeyProblem("client_id", "a client secret or private key needs the client id it belongs to")
        return self

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


def missing_secrets(settings: OAuthSettings) -> list[str]:
    """``oauth.KEY: VAR`` for each named environment variable that is not set."""
    return [f"oauth.{k}: environment variable {getattr(settings, k)} "
            f"{'is empty' if getattr(settings, k) in os.environ else 'is not set'}"
            for k in ("client_secret_env", "private_key_env", "expired_token_env")
            if getattr(settings, k) and not os.environ.get(getattr(settings, k))]
