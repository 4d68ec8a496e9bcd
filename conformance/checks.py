"""Declaring checks: a decorator, a registry, and the three ways a check ends early.

A check is a plain async function taking the suite's context. It passes by returning (its return
value, if not None, is its *product*, which later checks that name it in ``needs`` can read), fails
by ``expect``/``fail``, and skips by ``skip`` when the target does not claim what it tests.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, overload

# The verdict signals and the exchange errors live in the one error tree (errors.py); checks and
# suites import them from here, beside expect/fail/skip.
from conformance.errors import CheckFailed as CheckFailed
from conformance.errors import CheckSkipped as CheckSkipped
from conformance.errors import ExchangeBroken as ExchangeBroken
from conformance.errors import HarnessLacks as HarnessLacks

if TYPE_CHECKING:
    import httpx

    from conformance.targets import Target
    from conformance.transports.mllp import Handler, OnBroken

CheckFn = Callable[[Any], Awaitable[Any]]
ContextFactory = Callable[["SuiteRuntime"], Awaitable[Any]]

T = TypeVar("T")


class ProductKey(str, Generic[T]):
    """A check id that also names the type of the check's product: ``ctx.product(COLLECT)`` is then a
    ``Samples``, not ``Any``. It is a ``str``, so it goes in ``needs`` and registers as the id."""

    __slots__ = ()


_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$")


def expect(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def fail(message: str) -> NoReturn:
    raise CheckFailed(message)


def skip(message: str) -> NoReturn:
    raise CheckSkipped(message)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    fn: CheckFn
    suite: str
    group: str
    requirements: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    required: bool = True
    needs: tuple[str, ...] = ()
    # Ordering only: wait for these to finish, whatever their outcome (a delete after the reads).
    after: tuple[str, ...] = ()
    timeout: float | None = None
    # Checks that write to the target (create/update/delete) run only against sandboxes.
    destructive: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "suite": self.suite,
            "group": self.group,
            "title": self.title,
            "requirements": list(self.requirements),
            "capabilities": list(self.capabilities),
            "required": self.required,
            "needs": list(self.needs),
            "after": list(self.after),
            "destructive": self.destructive,
        }


class BaseContext:
    """Base of every suite's context: the target, and the products of checks that already ran.

    The runner fills ``products``; a check reads what an earlier check produced with
    :meth:`product`, and must name that check in its ``needs`` so the runner orders them.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.products: dict[str, Any] = {}
        # Optional checks this target's own claims make required: check id -> the claim, quoted (the
        # runner marks the result required and adds the quote to its requirements).
        self.required_by: dict[str, str] = {}
        # Set by the runner before aclose() when checks were cancelled mid-exchange (Ctrl-C, the run
        # deadline, a target that died): a write may have landed without the check seeing its answer,
        # so clean-up must look for what the run left, not only for what it knows it created.
        self.cut_short = False

    @overload
    def product(self, check_id: ProductKey[T]) -> T: ...
    @overload
    def product(self, check_id: str) -> Any: ...

    def product(self, check_id: str) -> Any:
        """What ``check_id`` returned; typed when ``check_id`` is a :class:`ProductKey`."""
        if check_id not in self.products:
            raise CheckSkipped(f"{check_id} produced nothing to build on")
        return self.products[check_id]

    async def aclose(self) -> None:
        """Release transports and clean up what the suite wrote. Runs once, after the suite's checks."""


@dataclass(frozen=True)
class Links:
    """Twins a run is wired to instead of the network (tests, in-memory runs, benchmarks), passed by the
    runner to every suite unchanged; each None means the target's own endpoints. Typed, so that a
    misspelt link is a type error, not a suite that silently goes to the network."""

    # Every HTTP exchange of every suite (an httpx.ASGITransport or MockTransport twin).
    http_transport: httpx.AsyncBaseTransport | None = None
    # hl7v2-receiver: the peer's handler, joined through a socket pair instead of a port.
    mllp_handler: Handler | None = None
    # hl7v2-sender: makes the peer send to the harness's handler through a socket pair; returns how many.
    hl7v2_push: Callable[[Handler, OnBroken], Awaitable[Any]] | None = None
    # realtime: hands the notification receiver's ASGI app to the sender instead of serving it.
    realtime_link: Callable[[Any], None] | None = None
    # openapi: where created resources are journalled (default reports/created/ on the network).
    ledger_dir: Path | None = None

    @property
    def on_network(self) -> bool:
        """True when HTTP goes to the target itself (so it can be probed and can die mid-run)."""
        return self.http_transport is None


class RunShared:
    """What several suites of one run need once (a FHIR server's CapabilityStatement): made by the first
    suite that asks, awaited by the others. One per run, so nothing leaks from one run into the next."""

    def __init__(self) -> None:
        self._made: dict[Hashable, asyncio.Future[Any]] = {}

    async def once(self, key: Hashable, make: Callable[[], Awaitable[T]]) -> T:
        """``make()``'s value (or exception) under ``key``, made once; a caller cancelled while it is
        being made does not cancel it for the others."""
        if key not in self._made:
            self._made[key] = asyncio.ensure_future(make())
        value: T = await asyncio.shield(self._made[key])
        return value

    async def aclose(self) -> None:
        """Cancel what is still being made (the run was stopped) and wait for it to end."""
        pending = [f for f in self._made.values() if not f.done()]
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for future in self._made.values():  # retrieved, so no "exception was never retrieved" warning
            if not future.cancelled():
                future.exception()


@dataclass
class SuiteRuntime:
    """What the runner hands a suite's context factory: protocol-neutral facts about the run."""

    target: Target
    run_id: str = ""
    links: Links = field(default_factory=Links)
    shared: RunShared = field(default_factory=RunShared)


@dataclass
class SuiteSpec:
    id: str
    title: str
    context: ContextFactory
    description: str = ""
    checks: dict[str, CheckSpec] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "checks": [c.describe() for c in self.checks.values()],
        }


class Registry:
    def __init__(self) -> None:
        self.suites: dict[str, SuiteSpec] = {}

    def add_suite(self, spec: SuiteSpec) -> SuiteSpec:
        if spec.id in self.suites:
            raise ValueError(f"suite {spec.id!r} registered twice")
        self.suites[spec.id] = spec
        return spec

    def add_check(self, spec: CheckSpec) -> None:
        suite = self.suites.get(spec.suite)
        if suite is None:
            raise ValueError(f"check {spec.id!r} names unknown suite {spec.suite!r}")
        if not _ID_RE.match(spec.id) or not spec.id.startswith(spec.suite + "."):
            raise ValueError(f"check id {spec.id!r} must be lower-case, dotted, under {spec.suite!r}")
        if spec.id in suite.checks:
            raise ValueError(f"check {spec.id!r} registered twice")
        suite.checks[spec.id] = spec

    def all_checks(self) -> list[CheckSpec]:
        return [c for s in self.suites.values() for c in s.checks.values()]


REGISTRY = Registry()


def suite(
    id: str, title: str, context: ContextFactory, description: str = "", registry: Registry = REGISTRY
) -> SuiteSpec:
    return registry.add_suite(SuiteSpec(id=id, title=title, context=context, description=description))


def check(
    *,
    id: str,
    title: str,
    requirements: list[str] | tuple[str, ...] = (),
    capabilities: list[str] | tuple[str, ...] = (),
    required: bool = True,
    needs: list[str] | tuple[str, ...] = (),
    after: list[str] | tuple[str, ...] = (),
    timeout: float | None = None,
    destructive: bool = False,
    registry: Registry = REGISTRY,
) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` as a check. The suite is the id's first segment, the group its second."""

    def decorate(fn: CheckFn) -> CheckFn:
        parts = id.split(".")
        registry.add_check(
            CheckSpec(
                id=str(id),  # a ProductKey is registered as the plain id it is
                title=title,
                fn=fn,
                suite=parts[0],
                group=".".join(parts[:2]),
                requirements=tuple(requirements),
                capabilities=tuple(capabilities),
                required=required,
                needs=tuple(str(n) for n in needs),
                after=tuple(after),
                timeout=timeout,
                destructive=destructive,
            )
        )
        return fn

    return decorate
