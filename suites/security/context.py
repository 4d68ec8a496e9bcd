"""The security suite's context: which protected operation to knock on, the SMART-protected FHIR base,
the token endpoint, and tokens got through the target's own flows.

For an OpenAPI target the protected operation is ``api.protected`` or the first parameterless GET the
document secures; for a FHIR target it is ``{fhir}/Patient``. Tokens are added to the transport's
scrubber the moment they arrive, so no exchange, report or store ever holds one.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from urllib.parse import urljoin

from conformance.auth.client import OAuthClient, Token, TokenError
from conformance.checks import BaseContext, SuiteRuntime, fail, skip, suite
from conformance.evidence.capture import record
from conformance.fhir.tags import run_tag
from conformance.model import Evidence
from conformance.openapi.document import DocumentError, operations, parse
from conformance.targets import Auth, Target
from conformance.transports.http import BodyBeyondLimit, HttpResponse, HttpTransport, TransportError
from conformance.writeguard import is_sandbox

SUITE_ID = "security"
JSON = {"Accept": "application/json"}


class SecurityContext(BaseContext):
    def __init__(self, target: Target, transport: Any, run_id: str = "") -> None:
        super().__init__(target)
        self.oauth = target.oauth
        self.api = target.endpoints.get("api", "").rstrip("/")
        self.fhir = self.oauth.smart_fhir or target.endpoints.get("fhir", "")
        # No [auth] headers: every request here says exactly which credential it carries.
        self.http = HttpTransport(target.http, Auth(), transport=transport, read_only=not is_sandbox(target))
        self._doc: dict[str, Any] | None = None
        self._smart: dict[str, Any] | None = None
        self._tokens: dict[str, Token] = {}
        self._lock = asyncio.Lock()
        # Tagged on whatever this suite writes; and what a write that should have been refused created.
        self.run_coding = run_tag(run_id or secrets.token_hex(4))
        self.created: list[tuple[str, str]] = []  # (URL, the Authorization that created it)

    def remember_created(self, response: HttpResponse, authorization: str) -> None:
        """After a write the target should have refused: if it created something, keep its URL to delete."""
        if not 200 <= response.status_code < 300:
            return
        location = response.headers.get("location", "").split("/_history/")[0]
        if not location:
            try:
                body = response.json()
            except (ValueError, BodyBeyondLimit):  # no id to be had: nothing to remember
                return
            if not (isinstance(body, dict) and isinstance(body.get("id"), str)):
                return
            location = f"{self.fhir}/{body.get('resourceType', 'Patient')}/{body['id']}"
        self.created.append((urljoin(self.fhir + "/", location), authorization))

    async def aclose(self) -> None:
        try:
            for url, authorization in self.created:  # what `conformance cleanup` would otherwise find by tag
                try:
                    await self.http.request("DELETE", url, headers={**JSON, "Authorization": authorization})
                except TransportError:
                    continue
        finally:
            await self.http.aclose()

    async def document(self) -> dict[str, Any]:
        source = self.target.endpoints.get("openapi", "")
        async with self._lock:  # concurrent checks must all see the document, not a half-fetched {}
            if self._doc is None:
                doc: dict[str, Any] = {}
                if source.startswith(("http://", "https://")):
                    try:
                        response = await self.http.request("GET", source, headers=JSON)
                        if response.status_code == 200:
                            doc = await asyncio.to_thread(parse, response.content, source)
                    except (TransportError, DocumentError):
                        doc = {}
                self._doc = doc
        return self._doc

    async def protected(self) -> tuple[str, dict[str, Any]]:
        """(URL of a protected read, its OpenAPI operation or {}); skip when the target declares none."""
        setting = self.target.api.protected
        if setting:
            return (setting if "://" in setting else self.api + "/" + setting.lstrip("/")), {}
        doc = await self.document()
        secured = doc.get("security")
        for method, path, op in operations(doc):
            if method == "GET" and "{" not in path and op.get("security", secured):
                return self.api + path, op
        if self.fhir and self.fhir_is_protected():
            return f"{self.fhir}/Patient", {}
        skip("no protected operation declared (api.protected, a secured GET in the OpenAPI document, or a FHIR "
             "base the target file gives credentials for in [auth] or [oauth]): an open API is not judged here")

    def fhir_is_protected(self) -> bool:
        """Whether the target file says its FHIR base needs credentials: an open server (a public test
        server, say) is not at fault for answering without a token, so nothing is judged on a guess."""
        return bool(self.oauth.configured or self.oauth.smart_fhir or self.target.auth.type != "none")

    async def smart(self) -> dict[str, Any]:
        if self._smart is None:
            if not self.fhir or not (self.oauth.configured or self.oauth.smart_fhir):
                skip("no SMART-protected FHIR base declared (oauth.smart_fhir, or an [oauth] client for "
                     "endpoints.fhir): SMART discovery is not judged on a server that does not claim it")
            response = await self.http.request("GET", f"{self.fhir}/.well-known/smart-configuration", headers=JSON)
            try:
                body = await response.ajson()
            except ValueError:
                body = None
            if response.status_code != 200 or not isinstance(body, dict):
                fail(f"GET {self.fhir}/.well-known/smart-configuration answered {response.status_code} "
                     f"{response.content_type or ''}, not a JSON SMART configuration".replace("  ", " "))
            endpoint = body.get("token_endpoint")
            if isinstance(endpoint, str) and endpoint.startswith(("http://", "https://")):
                self.http.allow_token_endpoint(endpoint)  # token requests there change no record
            self._smart = body
        return self._smart

    async def token_endpoint(self) -> str:
        if self.oauth.token_endpoint:
            return str(self.oauth.token_endpoint)
        endpoint = (await self.smart()).get("token_endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            fail("the SMART configuration names no usable token_endpoint")
        return endpoint

    async def client(self) -> OAuthClient:
        if not self.oauth.configured:
            skip("no OAuth client declared (oauth.client_id with client_secret_env or private_key_env)")
        return OAuthClient(self.http, self.oauth, await self.token_endpoint())

    async def token(self, scope: str | None = None) -> str:
        """An access token for ``scope`` (default: oauth.scopes) by the target's configured flow."""
        scope = scope if scope is not None else self.oauth.scopes
        if scope not in self._tokens:
            client = await self.client()
            try:
                self._tokens[scope] = await client.any_token(scope)
            except TokenError as exc:
                fail(f"no token for {scope!r}: {exc}")
        return self._tokens[scope].access_token

    async def get(self, url: str, authorization: str | None = None, **params: str) -> HttpResponse:
        headers = {**JSON, **({"Authorization": authorization} if authorization is not None else {})}
        return await self.http.request("GET", url, headers=headers, params=params or None)


def derived(summary: str, **data: Any) -> None:
    record(Evidence(kind="derived", summary=summary, data=data))


async def make_context(runtime: SuiteRuntime) -> SecurityContext:
    return SecurityContext(runtime.target, runtime.links.http_transport, runtime.run_id)


SUITE = suite(
    id=SUITE_ID,
    title="Security: transport, tokens, SMART discovery, scopes and rate limits",
    context=make_context,
    description="Protected operations refuse missing, malformed, expired and forged tokens with 401 and leak "
    "nothing; SMART discovery agrees with the CapabilityStatement; client-secret and Backend Services flows "
    "obtain tokens; scopes are enforced; tokens are never echoed; declared rate limits answer 429 with Retry-After.",
)
