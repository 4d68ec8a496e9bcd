"""fhirpathpy's function calls without their per-call setup, for the validator's own evaluations.

fhirpathpy 2.2.4's ``doInvoke`` and ``infix_invoke`` (``fhirpathpy.engine``) merge the library's ~110 functions
with the caller's table into a new dict on every call (2-3 us; ~5,500 calls a pass of the throughput bench with
``--cases``, about a twentieth of the validator's time there once the walk is compiled), and every member or
function name is unquoted with ``re.sub`` each time it is met. Here the merged registry is made once, for a
context that carries it (``REGISTRY``, set by ``fhirpath.engine``), and each name is unquoted once.

Behaviour is fhirpathpy's own, line for line (the same lookups, checks, argument handling and error messages):
only where the registry comes from differs. A context without ``REGISTRY`` (any other caller of the library) runs
fhirpathpy's functions unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import fhirpathpy.engine as fp_engine
from fhirpathpy.engine import util
from fhirpathpy.engine.evaluators import evaluators
from fhirpathpy.engine.invocations import invocation_registry as _BASE

REGISTRY = "conformanceInvocationRegistry"  # in a fhirpathpy context: the merged function registry to use
_FHIRPATHPY_DO_INVOKE: Callable[..., Any] = fp_engine.doInvoke
_FHIRPATHPY_INFIX_INVOKE: Callable[..., Any] = fp_engine.infix_invoke
_FHIRPATHPY_IDENTIFIER: Callable[..., Any] = evaluators["Identifier"]
_merged: tuple[int, int, int, dict[str, Any]] | None = None  # (id, size of the user table, of the base, merged)


def registry(table: dict[str, Any]) -> dict[str, Any]:
    """``{**base, **table}`` as fhirpathpy builds it on each call, made again only when either table grows or
    another table is given (every table here is complete once its modules are imported)."""
    global _merged
    if _merged is None or _merged[:3] != (id(table), len(table), len(_BASE)):
        _merged = (id(table), len(table), len(_BASE), {**_BASE, **table})
    return _merged[3]


def do_invoke(ctx: Any, fn_name: Any, data: Any, raw_params: Any) -> Any:
    """fhirpathpy.engine.doInvoke, the registry taken from the context."""
    invocation_registry = ctx.get(REGISTRY) if isinstance(ctx, dict) else None
    if invocation_registry is None:
        return _FHIRPATHPY_DO_INVOKE(ctx, fn_name, data, raw_params)

    if isinstance(fn_name, list) and len(fn_name) == 1:
        fn_name = fn_name[0]

    if not isinstance(fn_name, str) or fn_name not in invocation_registry:
        raise Exception("Not implemented: " + str(fn_name))

    invocation = invocation_registry[fn_name]

    if "nullable_input" in invocation and util.is_nullable(data):  # type: ignore[no-untyped-call]
        return []

    if "variadic" in invocation:
        tp = invocation["variadic"]
        raw_params_list = raw_params if isinstance(raw_params, list) else []
        this_value = ctx["$this"] if "$this" in ctx else ctx["dataRoot"]
        params = [fp_engine.make_param(ctx, this_value, tp, pr)  # type: ignore[no-untyped-call]
                  for pr in raw_params_list]
        res = invocation["fn"](ctx, util.arraify(data), *params)  # type: ignore[no-untyped-call]
        return util.arraify(res)  # type: ignore[no-untyped-call]

    if "arity" not in invocation:
        if raw_params is None or util.is_empty(raw_params):  # type: ignore[no-untyped-call]
            res = invocation["fn"](ctx, util.arraify(data))  # type: ignore[no-untyped-call]
            return util.arraify(res)  # type: ignore[no-untyped-call]

        raise Exception(fn_name + " expects no params")

    if invocation["fn"].__name__ == "trace_fn" and raw_params is not None:
        raw_params = raw_params[:1]

    params_number = 0
    if isinstance(raw_params, list):
        params_number = len(raw_params)

    if params_number not in invocation["arity"]:
        raise Exception(fn_name + " wrong arity: got " + str(params_number))

    params = []
    arg_types = invocation["arity"][params_number]

    this_value = ctx["$this"] if "$this" in ctx else ctx["dataRoot"]
    for i in range(0, params_number):
        params.append(fp_engine.make_param(ctx, this_value, arg_types[i], raw_params[i]))  # type: ignore[no-untyped-call]

    params.insert(0, data)
    params.insert(0, ctx)

    if "nullable" in invocation:
        if any(util.is_nullable(x) for x in params):  # type: ignore[no-untyped-call]
            return []

    res = invocation["fn"](*params)

    return util.arraify(res)  # type: ignore[no-untyped-call]


def infix_invoke(ctx: Any, fn_name: Any, data: Any, raw_params: Any) -> Any:
    """fhirpathpy.engine.infix_invoke, the registry taken from the context."""
    invocation_registry = ctx.get(REGISTRY) if isinstance(ctx, dict) else None
    if invocation_registry is None:
        return _FHIRPATHPY_INFIX_INVOKE(ctx, fn_name, data, raw_params)
    if fn_name not in invocation_registry or "fn" not in invocation_registry[fn_name]:
        raise Exception("Not implemented " + fn_name)

    invocation = invocation_registry[fn_name]
    params_number = len(raw_params)

    if params_number != 2:
        raise Exception("Infix invoke should have arity 2")

    arg_types = invocation["arity"][params_number]

    if arg_types is not None:
        params = [ctx]

        for i in range(0, params_number):
            params.append(fp_engine.make_param(ctx, data, arg_types[i], raw_params[i]))  # type: ignore[no-untyped-call]

        if "nullable" in invocation:
            if any(util.is_nullable(x) for x in params):  # type: ignore[no-untyped-call]
                return []

        res = invocation["fn"](*params)
        return util.arraify(res)  # type: ignore[no-untyped-call]

    print(fn_name + " wrong arity: got " + params_number)  # as fhirpathpy (whose str + int raises TypeError here)
    return []


_QUOTES = re.compile(r"(^\"|\"$)")
_NAMES: dict[str, str] = {}
_NAMES_LIMIT = 100_000


def identifier(ctx: Any, parent_data: Any, node: Any) -> list[str]:
    """fhirpathpy's Identifier evaluator (a name with its double quotes taken off), each text unquoted once."""
    text = node["text"]
    name = _NAMES.get(text) if isinstance(text, str) else None
    if name is None:
        name = _QUOTES.sub("", text)
        if isinstance(text, str) and len(_NAMES) < _NAMES_LIMIT:
            _NAMES[text] = name
    return [name]


fp_engine.doInvoke = do_invoke
fp_engine.infix_invoke = infix_invoke
evaluators["Identifier"] = identifier
