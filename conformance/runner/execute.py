"""Execute a plan: concurrent where checks are independent, ordered where one needs another.

Every check ends in exactly one outcome. Whatever a check raises that is not a verdict becomes an
``error`` with its message, and the run goes on; a suite whose context cannot be built errors each of
its checks with the reason, so nothing is silently missing from the report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from conformance.checks import (
    BaseContext,
    CheckFailed,
    CheckSkipped,
    CheckSpec,
    ExchangeBroken,
    Registry,
    SuiteRuntime,
)
from conformance.evidence.capture import collecting
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.runner.events import (
    CheckFinished,
    CheckStarted,
    Event,
    Listener,
    RunFinished,
    RunStarted,
)
from conformance.runner.plan import Plan
from conformance.writeguard import is_sandbox


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def describe_exception(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, ExchangeBroken) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Runner:
    def __init__(
        self,
        registry: Registry,
        listeners: Iterable[Listener] = (),
        concurrency: int = 4,
        check_timeout: float = 60.0,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.registry = registry
        self.listeners = list(listeners)
        self.concurrency = max(1, concurrency)
        self.check_timeout = check_timeout
        self.options = dict(options or {})

    def emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)

    async def run(self, plan: Plan, target: Any, info: RunInfo) -> RunResult:
        info.suites = plan.suites
        result = RunResult(run=info)
        self.emit(RunStarted(run=info, total=len(plan.checks)))
        semaphore = asyncio.Semaphore(self.concurrency)
        done: dict[str, asyncio.Future[CheckResult]] = {
            c.id: asyncio.get_running_loop().create_future() for c in plan.checks
        }
        by_suite: dict[str, list[CheckSpec]] = {}
        for spec in plan.checks:
            by_suite.setdefault(spec.suite, []).append(spec)

        async def run_suite(suite_id: str, specs: list[CheckSpec]) -> None:
            suite = self.registry.suites[suite_id]
            ctx: Any = None
            setup_error = ""
            try:
                ctx = await suite.context(SuiteRuntime(target=target, run_id=info.id, options=self.options))
            except Exception as exc:  # a context that cannot be built errors every check of the suite
                setup_error = f"suite {suite_id} could not start: {describe_exception(exc)}"
            try:
                await asyncio.gather(
                    *(self._run_one(spec, ctx, setup_error, target, semaphore, done, result) for spec in specs)
                )
            finally:
                if isinstance(ctx, BaseContext):
                    try:
                        await ctx.aclose()
                    except Exception:  # clean-up problems must not turn verdicts already made into a crash
                        pass

        await asyncio.gather(*(run_suite(s, specs) for s, specs in by_suite.items()))
        order = {c.id: i for i, c in enumerate(plan.checks)}
        result.results.sort(key=lambda r: order[r.id])
        info.finished = _now()
        self.emit(RunFinished(result=result))
        return result

    async def _run_one(
        self,
        spec: CheckSpec,
        ctx: Any,
        setup_error: str,
        target: Any,
        semaphore: asyncio.Semaphore,
        done: dict[str, asyncio.Future[CheckResult]],
        result: RunResult,
    ) -> None:
        status, message = Status.PASS, ""
        product: Any = None
        evidence: list[Evidence] = []
        started = time.perf_counter()
        for other in spec.after:
            if other in done:
                await asyncio.shield(done[other])
        for need in spec.needs:
            if need not in done:
                continue
            needed = await asyncio.shield(done[need])
            if needed.status is not Status.PASS and not setup_error:
                status, message = Status.SKIP, f"needs {need}, which ended {needed.status.value}"
                if needed.message:
                    # Carry the root cause along a chain of skips: "... (writes to the target; ...)".
                    root = needed.message.split(" -- because: ")[-1]
                    message += f" -- because: {root}"
                break
        if setup_error:
            status, message = Status.ERROR, setup_error
        elif status is Status.PASS and spec.destructive and not is_sandbox(target):
            status, message = Status.SKIP, "writes to the target; runs only on targets marked sandbox = true"
        if status is Status.PASS:
            async with semaphore:
                self.emit(CheckStarted(check_id=spec.id))
                started = time.perf_counter()
                timeout = spec.timeout or self.check_timeout
                with collecting() as evidence:
                    try:
                        async with asyncio.timeout(timeout):
                            product = await spec.fn(ctx)
                    except CheckFailed as exc:
                        status, message = Status.FAIL, str(exc)
                    except CheckSkipped as exc:
                        status, message = Status.SKIP, str(exc)
                    except TimeoutError:
                        status, message = Status.ERROR, f"check did not finish within {timeout:g} s"
                    except Exception as exc:
                        status, message = Status.ERROR, describe_exception(exc)
        if status is Status.PASS and product is not None and isinstance(ctx, BaseContext):
            ctx.products[spec.id] = product
        outcome = CheckResult(
            id=spec.id,
            suite=spec.suite,
            group=spec.group,
            title=spec.title,
            status=status,
            required=spec.required,
            requirements=list(spec.requirements),
            capabilities=list(spec.capabilities),
            message=message,
            duration_ms=(time.perf_counter() - started) * 1000,
            evidence=list(evidence),
            metrics=_metrics_of(product),
        )
        result.results.append(outcome)
        done[spec.id].set_result(outcome)
        self.emit(CheckFinished(result=outcome))


def _metrics_of(product: Any) -> dict[str, Any]:
    """A check may report measured values by returning a mapping with a ``metrics`` key."""
    if isinstance(product, dict) and isinstance(product.get("metrics"), dict):
        return dict(product["metrics"])
    return {}
