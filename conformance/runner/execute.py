"""Execute a plan: concurrent where checks are independent, ordered where one needs another.

Every check ends in exactly one outcome. Whatever a check raises that is not a verdict becomes an
``error`` with its message, and the run goes on; a suite whose context cannot be built errors each of
its checks with the reason, so nothing is silently missing from the report.

A run can be stopped early (runner/stop.py): the target stopped answering (transports report each
exchange to a liveness watch; a re-probe confirms), the run deadline passed, or :meth:`Runner.interrupt`
(Ctrl-C). Running checks are cancelled, the rest end ``error`` saying why, and every suite still
cleans up, bounded in time; ``RunInfo.aborted`` then holds the reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from conformance import liveness
from conformance.checks import (
    BaseContext,
    CheckFailed,
    CheckSkipped,
    CheckSpec,
    ExchangeBroken,
    Links,
    Registry,
    RunShared,
    SuiteRuntime,
)
from conformance.evidence.capture import collecting
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.runner.events import (
    CheckFinished,
    CheckStarted,
    Event,
    EventSink,
    RunFinished,
    RunStarted,
)
from conformance.runner.plan import Plan
from conformance.runner.stop import SUSPECT_AFTER, Stop, deadline_passed, interrupted, target_died
from conformance.writeguard import is_sandbox

if TYPE_CHECKING:
    from conformance.targets import Target

# Clean-up (deleting what the suites wrote) against a target that hangs must not hold the run for ever.
CLEANUP_TIMEOUT = 30.0
Reprobe = Callable[[], Awaitable[str | None]]


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
        sinks: Iterable[EventSink] = (),
        concurrency: int = 4,
        check_timeout: float = 60.0,
        links: Links | None = None,
        deadline: float | None = None,
        reprobe: Reprobe | None = None,
        cleanup_timeout: float = CLEANUP_TIMEOUT,
    ) -> None:
        """``reprobe`` says whether the target still answers (None) or why not; without it the runner
        does not watch for a dying target (in-memory twins cannot die)."""
        self.registry = registry
        self.sinks = list(sinks)
        self.concurrency = max(1, concurrency)
        self.check_timeout = check_timeout
        self.links = links or Links()
        self.deadline = deadline
        self.reprobe = reprobe
        self.cleanup_timeout = cleanup_timeout
        self.stopped: Stop | None = None
        self.notes: list[str] = []  # clean-up that did not finish, for the session to print
        self._running: set[asyncio.Future[Any]] = set()
        self._done: dict[str, asyncio.Future[CheckResult]] = {}
        self._probing: asyncio.Task[None] | None = None

    def interrupt(self) -> None:
        """Ctrl-C: stop the run as soon as the running checks are cancelled and the suites cleaned up."""
        self.stop(interrupted())

    def stop(self, why: Stop) -> None:
        """Cancel the running checks and end the rest with ``why.message``; no effect once every check
        finished (a run whose checks all ended is complete, whatever happens during clean-up)."""
        if self.stopped is not None or all(f.done() for f in self._done.values()):
            return
        self.stopped = why
        for task in list(self._running):
            task.cancel()

    def _suspect(self, detail: str) -> None:
        if self.stopped is None and (self._probing is None or self._probing.done()):
            self._probing = asyncio.get_running_loop().create_task(self._confirm(detail))

    async def _confirm(self, detail: str) -> None:
        verdict = await self.reprobe() if self.reprobe is not None else detail
        if verdict is not None:
            self.stop(target_died(verdict))

    def _deadline_passed(self) -> None:
        if self.deadline is not None:
            self.stop(deadline_passed(self.deadline, sum(not f.done() for f in self._done.values())))

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.on_event(event)

    async def run(self, plan: Plan, target: Target, info: RunInfo) -> RunResult:
        info.suites = plan.suites
        result = RunResult(run=info)
        self.emit(RunStarted(run=info, total=len(plan.checks)))
        semaphore = asyncio.Semaphore(self.concurrency)
        loop = asyncio.get_running_loop()
        done: dict[str, asyncio.Future[CheckResult]] = {c.id: loop.create_future() for c in plan.checks}
        self._done, self.stopped = done, None
        by_suite: dict[str, list[CheckSpec]] = {}
        shared = RunShared()  # what this run's suites share, made once (checks.RunShared)
        for spec in plan.checks:
            by_suite.setdefault(spec.suite, []).append(spec)

        async def run_suite(suite_id: str, specs: list[CheckSpec]) -> None:
            suite = self.registry.suites[suite_id]
            ctx: Any = None
            setup = (Status.PASS, "")
            try:
                ctx = await suite.context(SuiteRuntime(target=target, run_id=info.id, links=self.links,
                                                       shared=shared))
            except CheckSkipped as exc:  # the target lacks what the suite tests (no FHIR endpoint): skip it all
                setup = (Status.SKIP, str(exc))
            except CheckFailed as exc:  # a verdict is no Exception now: a setup that fails one errors, as before
                setup = (Status.ERROR, f"suite {suite_id} could not start: {describe_exception(exc)}")
            except Exception as exc:  # a context that cannot be built errors every check of the suite
                setup = (Status.ERROR, f"suite {suite_id} could not start: {describe_exception(exc)}")
            try:
                await asyncio.gather(
                    *(self._run_one(spec, ctx, setup, target, semaphore, done, result) for spec in specs)
                )
            finally:
                if isinstance(ctx, BaseContext):
                    await self._clean_up(suite_id, ctx)

        watch = liveness.Watch(SUSPECT_AFTER, self._suspect) if self.reprobe is not None else None
        timer = loop.call_later(self.deadline, self._deadline_passed) if self.deadline else None
        try:
            with liveness.watching(watch):
                await asyncio.gather(*(run_suite(s, specs) for s, specs in by_suite.items()))
        finally:
            if timer is not None:
                timer.cancel()
            if self._probing is not None:
                self._probing.cancel()
                await asyncio.gather(self._probing, return_exceptions=True)
            await shared.aclose()
        if self.stopped is not None:
            info.aborted = self.stopped.reason
        order = {c.id: i for i, c in enumerate(plan.checks)}
        result.results.sort(key=lambda r: order[r.id])
        info.finished = _now()
        self.emit(RunFinished(result=result))
        return result

    async def _clean_up(self, suite_id: str, ctx: BaseContext) -> None:
        """The suite's aclose(), never skipped and bounded in time: it deletes what the suite wrote."""
        ctx.cut_short = self.stopped is not None
        try:
            async with asyncio.timeout(self.cleanup_timeout):
                await ctx.aclose()
        except TimeoutError:
            self.notes.append(f"suite {suite_id}: clean-up did not finish within {self.cleanup_timeout:g} s; "
                              "it may have left data on the target")
        except Exception as exc:  # clean-up problems must not turn verdicts already made into a crash
            self.notes.append(f"suite {suite_id}: clean-up failed: {describe_exception(exc)}")

    async def _run_one(
        self,
        spec: CheckSpec,
        ctx: Any,
        setup: tuple[Status, str],
        target: Target,
        semaphore: asyncio.Semaphore,
        done: dict[str, asyncio.Future[CheckResult]],
        result: RunResult,
    ) -> None:
        status, message = Status.PASS, ""
        setup_status, setup_error = setup
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
        if self.stopped is not None:
            status, message = Status.ERROR, self.stopped.message
        elif setup_error:
            status, message = setup_status, setup_error
        elif status is Status.PASS and spec.destructive and not is_sandbox(target):
            status, message = Status.SKIP, "writes to the target; runs only on targets marked sandbox = true"
        if status is Status.PASS:
            async with semaphore:
                if self._probing is not None and not self._probing.done():
                    # The target is suspected dead: start nothing until the re-probe decides. A dead
                    # target refuses in a millisecond, so without this wait every check left would end
                    # before the re-probe did, and the run would count as complete and be scored.
                    await asyncio.wait({self._probing})
                if self.stopped is not None:
                    status, message = Status.ERROR, self.stopped.message
                else:
                    self.emit(CheckStarted(check_id=spec.id))
                    started = time.perf_counter()
                    with collecting() as evidence:
                        status, message, product = await self._call(spec, ctx)
        if status is Status.PASS and product is not None and isinstance(ctx, BaseContext):
            ctx.products[spec.id] = product
        claimed: dict[str, str] = ctx.required_by if isinstance(ctx, BaseContext) else {}
        outcome = CheckResult(
            id=spec.id,
            suite=spec.suite,
            group=spec.group,
            title=spec.title,
            status=status,
            required=spec.required or spec.id in claimed,
            requirements=[*spec.requirements, *([claimed[spec.id]] if spec.id in claimed else [])],
            capabilities=list(spec.capabilities),
            message=message,
            duration_ms=(time.perf_counter() - started) * 1000,
            evidence=list(evidence),
            metrics=_metrics_of(product),
        )
        result.results.append(outcome)
        done[spec.id].set_result(outcome)
        self.emit(CheckFinished(result=outcome))


    async def _call(self, spec: CheckSpec, ctx: Any) -> tuple[Status, str, Any]:
        """Run the check in its own task, so that :meth:`stop` can cancel it alone."""
        timeout = spec.timeout or self.check_timeout
        task = asyncio.ensure_future(spec.fn(ctx))
        self._running.add(task)
        try:
            async with asyncio.timeout(timeout):
                return Status.PASS, "", await task
        except CheckFailed as exc:
            return Status.FAIL, str(exc), None
        except CheckSkipped as exc:
            return Status.SKIP, str(exc), None
        except TimeoutError:
            return Status.ERROR, f"check did not finish within {timeout:g} s", None
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self.stopped is None or (current is not None and current.cancelling()):
                raise  # not ours: the runner itself is being cancelled
            return Status.ERROR, self.stopped.message, None
        except Exception as exc:
            return Status.ERROR, describe_exception(exc), None
        finally:
            self._running.discard(task)


def _metrics_of(product: Any) -> dict[str, Any]:
    """A check may report measured values by returning a mapping with a ``metrics`` key."""
    if isinstance(product, dict) and isinstance(product.get("metrics"), dict):
        return dict(product["metrics"])
    return {}
