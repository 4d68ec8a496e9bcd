"""``$this`` restored after each iteration, as FHIRPath scopes it (fhirpathpy 2.2.4 leaks it).

fhirpathpy sets ``ctx["$this"]`` to each item while ``where`` / ``select`` / ``exists`` / ``all`` iterate
and never puts it back, and it evaluates a later function's argument against that ``$this``. So after an
iteration, the argument saw the iteration's last item instead of the expression's focus:
``name.where(use = 'usual').family.subsetOf(name.family)`` read ``name.family`` on a HumanName (empty) and
was false on a Patient where it is true (the FHIRPath R4 suite's testSubSetOf3). HL7's engine evaluates an
argument against the context's ``$this`` (FHIRPathEngine ``execute(context, baseToList(context.thisItem),
...)``). Here each iteration's ``$this`` is restored when its item is done.

Only the validator's own evaluations (contexts marked ``PRIMITIVES_WHOLE``) are affected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fhirpathpy.engine as fp_engine

from conformance.fhirval.fhirpath_primitives import PRIMITIVES_WHOLE

_FHIRPATHPY_MAKE_PARAM: Callable[..., Any] = fp_engine.make_param
_UNSET = object()


def make_param(ctx: dict[str, Any], parent: Any, node_type: Any, param: Any) -> Any:
    """fhirpathpy's make_param; for an iterated argument (``Expr``), one that gives ``$this`` back."""
    if not ctx.get(PRIMITIVES_WHOLE):
        return _FHIRPATHPY_MAKE_PARAM(ctx, parent, node_type, param)
    if node_type == "SortKey":  # sort()'s key: a leading unary minus says descending (FHIRPathBaseSorter)
        descending = param.get("type") == "PolarityExpression" and (param.get("terminalNodeText") or [""])[0] == "-"
        return descending, make_param(ctx, parent, "Expr", param["children"][0] if descending else param)
    if node_type != "Expr":
        outer = ctx.get("$this", _UNSET)
        try:
            return _FHIRPATHPY_MAKE_PARAM(ctx, parent, node_type, param)
        finally:
            _restore(ctx, outer)
    each: Callable[[Any], Any] = _FHIRPATHPY_MAKE_PARAM(ctx, parent, node_type, param)

    def scoped(data: Any) -> Any:
        outer = ctx.get("$this", _UNSET)
        try:
            return each(data)
        finally:
            _restore(ctx, outer)
    return scoped


def _restore(ctx: dict[str, Any], outer: Any) -> None:
    if outer is _UNSET:
        ctx.pop("$this", None)
    else:
        ctx["$this"] = outer


fp_engine.make_param = make_param
