"""A malformed-but-plausible twin: the sandbox, with some of its JSON answers bent out of shape.

Real servers answer with bodies that parse but do not have the shape a check expects: an ``id`` missing
from a created resource, ``rest`` an object instead of a list, ``entry`` null, a header dropped. The
twin forwards each request to the in-memory sandbox and, for the answers a ``Bend`` picks, rewrites the
body (or drops a header) deterministically from a seed, so a failing case can be replayed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Json = Any
# Replacement values of another JSON type than the one found: each a plausible server mistake.
ODD_VALUES: tuple[Json, ...] = (None, "x", 0, True, [], {}, [{}], {"x": 1})
HEADERS = ("location", "etag", "content-type", "last-modified")


def paths(value: Json, prefix: tuple[Any, ...] = (), depth: int = 4) -> list[tuple[Any, ...]]:
    """Every path (keys and list indexes) into ``value``, up to ``depth`` steps, breadth first."""
    out: list[tuple[Any, ...]] = []
    if depth == 0:
        return out
    items: list[tuple[Any, Json]] = (
        list(value.items()) if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, list) else [])
    for key, child in items[:12]:
        out.append((*prefix, key))
        out.extend(paths(child, (*prefix, key), depth - 1))
    return out


def bend_value(value: Json, rng: random.Random) -> Json:
    """One change at one random place: the key removed, or its value replaced by another JSON type."""
    if not isinstance(value, (dict, list)) or rng.random() < 0.08:
        return rng.choice([*ODD_VALUES, {"resourceType": "OperationOutcome"}])
    where = rng.choice(paths(value) or [()])
    if not where:
        return rng.choice(ODD_VALUES)
    parent = value
    for key in where[:-1]:
        parent = parent[key]
    last, old = where[-1], parent[where[-1]]
    if isinstance(parent, dict) and rng.random() < 0.35:
        del parent[last]
    else:
        choices = [v for v in ODD_VALUES if type(v) is not type(old)]
        if isinstance(old, dict):
            choices.append([old])  # an object where a list... or a list where an object is expected
        if isinstance(old, list) and old:
            choices.append(old[0])
        parent[last] = rng.choice(choices)
    return value


@dataclass
class Bend:
    """Which answers to bend (``picks`` on the request) and how often (``rate``), from ``seed``."""

    seed: int
    rate: float = 0.3
    picks: Callable[[httpx.Request], bool] = lambda request: True
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)


class BentTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, bend: Bend) -> None:
        self.inner, self.bend = inner, bend

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-length",
                                                                                  "content-encoding")]
        if not self.bend.picks(request) or self.bend.rng.random() >= self.bend.rate:
            return httpx.Response(response.status_code, headers=headers, content=body)
        rng = self.bend.rng
        present = [h for h in HEADERS if any(k.lower() == h for k, _ in headers)]
        if present and rng.random() < 0.15:
            gone = rng.choice(present)
            headers = [(k, v) for k, v in headers if k.lower() != gone]
            self.bend.log.append(f"{request.method} {request.url}: header {gone} dropped")
            return httpx.Response(response.status_code, headers=headers, content=body)
        try:
            data = json.loads(body)
        except ValueError:
            return httpx.Response(response.status_code, headers=headers, content=body)
        bent = json.dumps(bend_value(data, rng))
        self.bend.log.append(f"{request.method} {request.url}: {bent[:160]}")
        return httpx.Response(response.status_code, headers=headers, content=bent.encode())

    async def aclose(self) -> None:
        await self.inner.aclose()
