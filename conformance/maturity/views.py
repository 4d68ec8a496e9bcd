"""The record's outputs under their first names, kept for callers written before the split into
html.py (pages), csvout.py (CSV) and jsonout.py (JSON). New code should import those modules."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.maturity import html
from conformance.maturity.compare import Matrix
from conformance.maturity.csvout import compare_rows, footprint_rows, org_rows, roadmap_rows, to_csv
from conformance.maturity.html import page, roadmap_table
from conformance.maturity.roadmap import MilestoneView
from conformance.maturity.score import FootprintRecord, OrgRecord

__all__ = ["compare_html", "compare_rows", "footprint_html", "footprint_rows", "org_html", "org_rows", "page",
           "roadmap_rows", "roadmap_table", "to_csv"]


def org_html(record: OrgRecord, roadmap: Sequence[MilestoneView]) -> str:
    return html.org_page(record, roadmap)


def footprint_html(record: FootprintRecord, roadmap: Sequence[MilestoneView]) -> str:
    return html.footprint_page(record, roadmap)


def compare_html(matrix: Matrix) -> str:
    return html.compare_page(matrix)
