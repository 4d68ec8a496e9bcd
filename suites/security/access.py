"""Protected operations refuse callers without a valid token (401) and give nothing away doing it; a
token the server issued is never echoed back.
"""

from __future__ import annotations

import json
import os
from typing import Any

from conformance.auth.client import protect
from conformance.checks import check, expect, skip
from conformance.transports.http import HttpResponse
from suites.security.context import SecurityContext, derived

CAPS = ["information-governance", "open-api"]
OWASP2 = "OWASP-API:2023-API2 broken authentication"
RFC6750 = "RFC6750:3.1 invalid_token"


def _refused(response: HttpResponse, what: str) -> str | None:
    if response.status_code == 401:
        return None
    return f"{what} was answered {response.status_code}, not 401"


async def _accepted(ctx: SecurityContext, url: str) -> HttpResponse:
    """The protected read with a valid token: it must succeed, or nothing can be judged."""
    response = await ctx.get(url, f"Bearer {await ctx.token()}")
    if not 200 <= response.status_code < 300:
        skip(f"a valid token was answered {response.status_code} at {url}, so refusals cannot be told apart")
    return response


@check(id="security.auth.missing-token", title="A protected operation without a token is refused with 401",
       requirements=[OWASP2, "RFC6750:3 WWW-Authenticate"], capabilities=CAPS)
async def missing(ctx: SecurityContext) -> None:
    url, _ = await ctx.protected()
    response = await ctx.get(url)
    problem = _refused(response, f"GET {url} without a token")
    expect(problem is None, f"{problem}: the operation is open to anyone")


@check(id="security.auth.malformed-token", title="A malformed bearer token is refused with 401",
       requirements=[OWASP2, RFC6750], capabilities=CAPS)
async def malformed(ctx: SecurityContext) -> None:
    url, _ = await ctx.protected()
    problems = []
    for label, header in (("a bearer value that is not a token", "Bearer not-a-token"),
                          ("a truncated JWT", "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0"),
                          ("an empty JWT signature", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")):
        problem = _refused(await ctx.get(url, header), label)
        if problem:
            problems.append(problem)
    expect(not problems, "; ".join(problems))


@check(id="security.auth.expired-token", title="An expired token is refused with 401",
       requirements=[OWASP2, "RFC7519:4.1.4 exp", RFC6750], capabilities=CAPS)
async def expired(ctx: SecurityContext) -> None:
    name = ctx.oauth.expired_token_env
    token = os.environ.get(name, "") if name else ""
    if not token:
        skip("no expired token declared (oauth.expired_token_env)")
    url, _ = await ctx.protected()
    problem = _refused(await ctx.get(url, f"Bearer {token}"), "a token past its expiry")
    expect(problem is None, f"{problem}: expired tokens still open the API")


@check(id="security.auth.wrong-signature", title="A token with a tampered signature is refused with 401",
       requirements=[OWASP2, "RFC7515:5.2 validating a JWS", RFC6750], capabilities=CAPS)
async def wrong_signature(ctx: SecurityContext) -> None:
    url, _ = await ctx.protected()
    await _accepted(ctx, url)
    token = await ctx.token()
    parts = token.split(".")
    if len(parts) == 3 and len(parts[2]) > 8:
        sig = parts[2]
        middle = len(sig) // 2
        flipped = sig[:middle] + ("A" if sig[middle] != "A" else "B") + sig[middle + 1:]
        forged = ".".join([parts[0], parts[1], flipped])
    else:
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    # One character away from a live token is as good as the token: scrubbed like it.
    protect(ctx.http, forged)
    problem = _refused(await ctx.get(url, f"Bearer {forged}"), "the valid token with its signature altered")
    expect(problem is None, f"{problem}: the server does not verify token signatures")


def _values(body: Any, out: set[str]) -> set[str]:
    """Data values worth protecting in a JSON body: strings of six characters or more."""
    if isinstance(body, dict):
        for value in body.values():
            _values(value, out)
    elif isinstance(body, list):
        for value in body[:50]:
            _values(value, out)
    elif isinstance(body, str) and len(body) >= 6 and not body.startswith(("http://", "https://")):
        out.add(body)
    return out


@check(id="security.auth.no-leak", title="Refusals carry no protected data",
       requirements=["OWASP-API:2023-API3 broken object property level authorization", OWASP2], capabilities=CAPS)
async def no_leak(ctx: SecurityContext) -> None:
    url, _ = await ctx.protected()
    good = await _accepted(ctx, url)
    try:
        protected = _values(await good.ajson(), set())
    except ValueError:
        protected = set()
    if not protected:
        skip("the protected read returned no data values to look for")
    leaks = []
    for label, header in (("no token", None), ("a malformed token", "Bearer not-a-token")):
        response = await ctx.get(url, header)
        found = sorted(v for v in protected if v in response.text)
        if found:
            leaks.append(f"the answer to {label} ({response.status_code}) holds {len(found)} protected values, "
                         f"e.g. {found[0]!r}")
    derived(f"{len(protected)} data values from the authorised read looked for in the refusals")
    expect(not leaks, "; ".join(leaks))


@check(id="security.token.not-echoed", title="A token is never echoed back in a response (headers or body)",
       requirements=["OWASP-API:2023-API8 security misconfiguration", "RFC6750:5.3 token disclosure"],
       capabilities=CAPS)
async def not_echoed(ctx: SecurityContext) -> None:
    url, _ = await ctx.protected()
    token = await ctx.token()
    echoed = []
    for label, params in (("a valid request", {}), ("a request with invalid parameters",
                                                    {"limit": "not-a-number", "status": "zzz", "_count": "-1"})):
        response = await ctx.get(url, f"Bearer {token}", **params)
        headers = json.dumps(dict(response.headers.multi_items()))
        if token in response.text or token in headers:
            echoed.append(f"the answer to {label} ({response.status_code}) repeats the access token")
    derived("responses searched for the access token (shown as [redacted] in the evidence where it appears)")
    expect(not echoed, "; ".join(echoed))
