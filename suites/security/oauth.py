"""Token flows (client secret, SMART Backend Services, a forged assertion), SMART discovery and the
CapabilityStatement's agreement with it, scope enforcement, declared rate limits, and HSTS.
"""

from __future__ import annotations

import json
from typing import Any

from joserfc.jwk import ECKey

from conformance.auth.client import Token, TokenError
from conformance.checks import check, expect, fail, skip
from conformance.evidence.capture import collecting, record
from conformance.fhir.tags import with_tags
from conformance.jsonshape import objects, quote, strings, text
from conformance.transports.http import TransportError
from suites.security.context import JSON, SecurityContext, derived

CAPS = ["information-governance", "open-api"]
SMART = "SMART-App-Launch-2.0:"
BACKEND = "SMART-Backend-Services:"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def _judge_token(token: Token) -> list[str]:
    problems = []
    if token.token_type.lower() != "bearer":
        problems.append(f"token_type is {token.token_type!r}, not Bearer")
    if not isinstance(token.expires_in, int) or isinstance(token.expires_in, bool) or token.expires_in <= 0:
        problems.append(f"expires_in is {token.expires_in!r}, not a number of seconds")
    return problems


@check(id="security.token.client-secret",
       title="client_credentials with a client secret (HTTP Basic) obtains a bearer token",
       requirements=["RFC6749:4.4 client credentials", "RFC6749:2.3.1 client_secret_basic",
                     SMART + "client-confidential-symmetric"],
       capabilities=CAPS)
async def client_secret(ctx: SecurityContext) -> None:
    if not ctx.oauth.client_secret_env:
        skip("no client secret declared (oauth.client_secret_env)")
    client = await ctx.client()
    try:
        token = await client.client_secret(ctx.oauth.scopes)
    except TokenError as exc:
        fail(str(exc))
    problems = _judge_token(token)
    expect(not problems, "; ".join(problems))


@check(id="security.token.backend-services",
       title="SMART Backend Services: a signed JWT client assertion obtains a bearer token",
       requirements=[BACKEND + "obtaining an access token", "RFC7523:2.2 client authentication"],
       capabilities=CAPS)
async def backend_services(ctx: SecurityContext) -> None:
    if not ctx.oauth.private_key_env:
        skip("no private key declared (oauth.private_key_env)")
    client = await ctx.client()
    try:
        token = await client.backend_services(ctx.oauth.read_scope)
    except TokenError as exc:
        fail(str(exc))
    problems = _judge_token(token)
    expect(not problems, "; ".join(problems))


@check(id="security.token.forged-assertion",
       title="A client assertion signed with a key the server does not know is refused",
       requirements=[BACKEND + "signature verification", "RFC7523:3 JWT format and processing"],
       capabilities=CAPS, needs=["security.token.backend-services"])
async def forged_assertion(ctx: SecurityContext) -> None:
    client = await ctx.client()
    stranger = ECKey.generate_key("P-384").as_pem(private=True).decode()
    try:
        token = await client.backend_services(ctx.oauth.read_scope, key_pem=stranger)
    except TokenError as exc:
        derived(f"refused as it should be: {exc}")
        return
    fail(f"an assertion signed by an unknown key obtained a {token.token_type} token: anyone can act as the client")


@check(id="security.smart.discovery",
       title=".well-known/smart-configuration has the required fields and its endpoints answer",
       requirements=[SMART + "conformance.html#metadata", BACKEND + "discovery"], capabilities=CAPS)
async def discovery(ctx: SecurityContext) -> dict[str, Any]:
    config = await ctx.smart()
    problems = [f"{key} is missing" for key in ("token_endpoint", "capabilities", "grant_types_supported")
                if not config.get(key)]
    for key in ("token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported"):
        if key in config and not isinstance(config[key], list):
            problems.append(f"{key} is {quote(config[key])}, not a list")
    methods = strings(config, "token_endpoint_auth_methods_supported")
    algs = strings(config, "token_endpoint_auth_signing_alg_values_supported")
    if "private_key_jwt" in methods and not {"RS384", "ES384"} & set(algs):
        problems.append("private_key_jwt is offered without RS384 or ES384 among the signing algorithms")
    token_url = config.get("token_endpoint")
    if isinstance(token_url, str) and token_url.startswith(("http://", "https://")):
        response = await ctx.http.request("POST", token_url, headers={**JSON, "Content-Type":
                                          "application/x-www-form-urlencoded"}, content=b"")
        if response.status_code not in (400, 401):
            problems.append(f"the token endpoint answered an empty request {response.status_code}, not 400/401")
    jwks = config.get("jwks_uri")
    if isinstance(jwks, str) and jwks.startswith(("http://", "https://")):
        response = await ctx.http.request("GET", jwks, headers=JSON)
        try:
            keys = (await response.ajson()).get("keys") if response.status_code == 200 else None
        except (ValueError, AttributeError):
            keys = None
        if not isinstance(keys, list):
            problems.append(f"jwks_uri answered {response.status_code} without a JSON key set")
    expect(not problems, "; ".join(problems))
    return config


@check(id="security.smart.capability-agrees",
       title="The CapabilityStatement's security section names the same token endpoint as SMART discovery",
       requirements=[SMART + "conformance.html#declaring-a-smart-on-fhir-server", "FHIR-R4:capabilitystatement"
                     "-definitions.html#CapabilityStatement.rest.security"],
       capabilities=CAPS, needs=["security.smart.discovery"])
async def capability_agrees(ctx: SecurityContext) -> None:
    config: dict[str, Any] = ctx.product("security.smart.discovery")
    response = await ctx.get(f"{ctx.fhir}/metadata")
    try:
        statement = await response.ajson()
    except ValueError:
        fail(f"GET {ctx.fhir}/metadata answered {response.status_code} without a JSON CapabilityStatement")
    tokens, smart_service = set(), False
    if not isinstance(statement, dict) or not isinstance(statement.get("rest"), list):
        fail(f"GET {ctx.fhir}/metadata answered {response.status_code} with no rest list to read the security "
             f"section from: {response.text[:120]!r}")
    for rest in objects(statement, "rest"):
        security = rest.get("security")
        for service in objects(security, "service"):
            smart_service |= any(c.get("code") == "SMART-on-FHIR" for c in objects(service, "coding"))
        for ext in objects(security, "extension"):
            if ext.get("url") == OAUTH_URIS:
                tokens |= {text(e, "valueUri") for e in objects(ext, "extension") if e.get("url") == "token"}
    derived("CapabilityStatement.rest.security", token_endpoints=sorted(str(t) for t in tokens),
            smart_service=smart_service, smart_token_endpoint=config.get("token_endpoint"))
    expect(smart_service, "rest.security.service does not declare SMART-on-FHIR")
    expect(config.get("token_endpoint") in tokens,
           f"the CapabilityStatement's oauth-uris token is {sorted(str(t) for t in tokens) or 'absent'}; "
           f"SMART discovery says {config.get('token_endpoint')!r}")


@check(id="security.scopes.enforced",
       title="A token for system/Patient.read cannot write Patient nor read Observation",
       requirements=[SMART + "scopes-and-launch-context.html", "OWASP-API:2023-API5 broken function level "
                     "authorization"], capabilities=CAPS, destructive=True)
async def scopes_enforced(ctx: SecurityContext) -> None:
    if not ctx.fhir:
        skip("no SMART-protected FHIR base declared (endpoints.fhir or oauth.smart_fhir)")
    scope = ctx.oauth.read_scope
    bearer = f"Bearer {await ctx.token(scope)}"
    read = await ctx.get(f"{ctx.fhir}/Patient", bearer)
    if not 200 <= read.status_code < 300:
        fail(f"a token for {scope} was refused ({read.status_code}) reading Patient")
    problems = []
    other = await ctx.get(f"{ctx.fhir}/Observation", bearer)
    if other.status_code not in (401, 403):
        problems.append(f"reading Observation answered {other.status_code}")
    patient = with_tags({"resourceType": "Patient", "name": [{"family": "Scopetest", "given": ["Synthetic"]}]},
                        ctx.run_coding)
    write = await ctx.http.request("POST", f"{ctx.fhir}/Patient", headers={
        "Authorization": bearer, "Content-Type": "application/fhir+json", **JSON}, content=json.dumps(patient).encode())
    ctx.remember_created(write, bearer)
    if write.status_code not in (401, 403):
        problems.append(f"creating a Patient answered {write.status_code}")
    expect(not problems, f"a token granted only {scope}: " + "; ".join(problems) + " (expected 401/403)")


@check(id="security.rate-limit.retry-after", title="A declared rate limit answers 429 with Retry-After",
       requirements=["RFC6585:4 429 Too Many Requests", "RFC9110:10.2.3 Retry-After",
                     "OWASP-API:2023-API4 unrestricted resource consumption"], capabilities=CAPS)
async def rate_limit(ctx: SecurityContext) -> None:
    url, op = await ctx.protected()
    if "429" not in {str(k) for k in (op.get("responses") or {})}:
        skip("no rate limit declared (no 429 response documented for the protected operation)")
    try:  # a token of its own: the limit is counted per token, and the other checks' token stays usable
        bearer = f"Bearer {(await (await ctx.client()).any_token(ctx.oauth.scopes)).access_token}"
    except TokenError as exc:
        fail(f"no token to probe the rate limit with: {exc}")
    limit = ctx.target.api.rate_limit_probe
    last = None
    with collecting() as sink:
        for _ in range(limit):
            try:
                last = await ctx.get(url, bearer)
            except TransportError:
                break
            if last.status_code == 429:
                break
    for item in sink[-2:]:
        record(item)
    if last is None or last.status_code != 429:
        skip(f"the declared limit was not reached in {limit} requests (api.rate_limit_probe)")
    value = last.headers.get("retry-after", "")
    expect(value.strip().isdigit() or value.count(" ") >= 4,
           f"429 came after {len(sink)} requests with Retry-After {value!r}: the caller cannot tell when to retry")


@check(id="security.tls.hsts", title="HTTPS responses carry Strict-Transport-Security",
       requirements=["RFC6797:7.1 HSTS", "OWASP-API:2023-API8 security misconfiguration"], capabilities=CAPS)
async def hsts(ctx: SecurityContext) -> None:
    url, _ = await ctx.protected()
    if not url.startswith("https://"):
        skip("HTTPS not declared: the protected endpoint is plain http (loopback sandbox)")
    response = await ctx.get(url)
    value = response.headers.get("strict-transport-security", "")
    age = next((p.split("=", 1)[1] for p in value.replace(" ", "").split(";") if p.lower().startswith("max-age=")), "")
    expect(age.isdigit() and int(age) > 0, f"Strict-Transport-Security is {value or 'absent'!r}")
