"""A procurement panel's comparison: several systems' runs side by side, requirement by requirement,
weighted must/should/could (conformance/maturity/compare.py, the same matrix as `conformance compare`).

A comparison is a named set of runs (``conformance comparisons add NAME RUN...``); the ``panel`` role
is scoped to one. A comparison carries the buyer's own weighted requirements (``--requirements FILE``),
else the shipped example set. Only complete runs are compared; a run that is not (aborted, incomplete) is
named as left out.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from conformance.evidence import records
from conformance.maturity.compare import Matrix, compare, load_requirements, requirements_from_text
from conformance.maturity.jsonout import compare_json
from conformance.service import pages
from conformance.service.api import NOT_FOUND, RunsScope
from conformance.service.scope import require
from conformance.service.tables import ComparisonRow

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", responses=NOT_FOUND)


def matrix(request: Request, name: str) -> tuple[str, Matrix, list[str]]:
    """The comparison's title, its matrix, and the run ids left out (not complete)."""
    store = request.app.state.store
    with store.transaction(f"read comparison {name}") as session:
        row = session.get(ComparisonRow, name)
        title, run_ids, own = (row.title, list(row.run_ids), row.requirements) if row is not None else (name, [], "")
    runs = {r.run_id: r for r in records.run_outcomes(store, run_ids=run_ids)}
    wanted = requirements_from_text(own, f"comparison {name}") if own else load_requirements(None)
    built = compare([runs[r] for r in run_ids if r in runs], wanted)
    return title, built, [r for r in run_ids if r not in runs]


@router.get("/comparisons/{name}")
def page(request: Request, name: str) -> HTMLResponse:
    _, scope = pages.user(request)
    require(request.app.state.store, scope, "comparison", name)
    title, built, left_out = matrix(request, name)
    return pages.render(request, "comparison.html", {"title": title, "name": name, "matrix": built,
                                                     "ranked": built.ranked(), "left_out": left_out})


@api_router.get("/comparisons/{name}", summary="A named comparison of systems' runs, requirement by requirement")
def comparison_json(request: Request, name: str, scope: RunsScope) -> dict[str, Any]:
    require(request.app.state.store, scope, "comparison", name)
    title, built, left_out = matrix(request, name)
    return {"name": name, "title": title, "left_out": left_out, **compare_json(built)}
