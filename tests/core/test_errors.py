"""The one error tree: verdicts no broad ``except`` can swallow, and one exit code per kind of error."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks import BaseContext, CheckFailed, CheckSkipped, Registry, SuiteRuntime, check, fail, skip, suite
from conformance.errors import (
    EXIT_HARNESS,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    ConfigError,
    HarnessError,
    TargetUnreachable,
    UsageError,
    exit_code,
)
from conformance.evidence.store import StoreError
from conformance.maturity.tomlcheck import ModelError
from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan
from conformance.runner.plan import SelectionError
from conformance.runner.probe import UnreachableError
from conformance.targets import TargetError, from_url


def test_verdicts_are_not_exceptions() -> None:
    """As pytest's outcomes: ``except Exception`` in a suite must not catch a fail or a skip."""
    for verdict in (CheckFailed, CheckSkipped):
        assert issubclass(verdict, BaseException) and not issubclass(verdict, Exception)


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (TargetError("t.toml: sandbox: must be true or false"), ConfigError, EXIT_USAGE),
        (StoreError("bad store URL"), ConfigError, EXIT_USAGE),
        (ModelError("m.toml: x: missing"), ConfigError, EXIT_USAGE),
        (SelectionError("unknown suite 'x'"), UsageError, EXIT_USAGE),
        (UnreachableError("the FHIR endpoint http://127.0.0.1:9 is unreachable"), TargetUnreachable, EXIT_HARNESS),
    ],
)
def test_each_error_has_its_place_and_exit_code(error: HarnessError, kind: type[HarnessError], code: int) -> None:
    assert isinstance(error, kind)
    assert exit_code(error) == code


def test_model_errors_stay_value_errors() -> None:
    """Callers that caught the maturity input errors as ValueError still do."""
    assert isinstance(ModelError("m"), ValueError)


def test_anything_else_is_the_harness_failing() -> None:
    assert exit_code(RuntimeError("bug")) == EXIT_HARNESS
    assert exit_code(KeyboardInterrupt()) == EXIT_INTERRUPTED


def _registry() -> Registry:
    reg = Registry()

    async def make(runtime: SuiteRuntime) -> BaseContext:
        return BaseContext(runtime.target)

    suite(id="broad", title="Broad excepts", context=make, registry=reg)

    @check(id="broad.x.fails-inside-try", title="fail inside a broad except", registry=reg)
    async def fails_inside(ctx: BaseContext) -> None:
        try:
            fail("the server answered 500")
        except Exception:  # a suite guarding a library call: must not turn the verdict into a pass
            pass

    @check(id="broad.x.skips-inside-try", title="skip inside a broad except", registry=reg)
    async def skips_inside(ctx: BaseContext) -> None:
        try:
            skip("the server does not claim it")
        except Exception:
            pass

    async def broken(runtime: SuiteRuntime) -> Any:
        fail("no CapabilityStatement")

    suite(id="setup", title="A context that fails", context=broken, registry=reg)

    @check(id="setup.x.any", title="any", registry=reg)
    async def anything(ctx: BaseContext) -> None:
        return None

    return reg


async def test_a_broad_except_in_a_check_cannot_swallow_its_verdict() -> None:
    reg = _registry()
    info = RunInfo(id="r1", started="", target={}, harness_version="test")
    result = await Runner(reg).run(build_plan(reg), from_url("http://127.0.0.1:9"), info)
    status = {r.id: r for r in result.results}
    assert status["broad.x.fails-inside-try"].status is Status.FAIL
    assert status["broad.x.fails-inside-try"].message == "the server answered 500"
    assert status["broad.x.skips-inside-try"].status is Status.SKIP
    # A verdict raised while building a context errors the suite's checks, as it did when it was an Exception.
    assert status["setup.x.any"].status is Status.ERROR
    message = status["setup.x.any"].message
    assert "could not start" in message and "no CapabilityStatement" in message
