"""What a clean-up found, deleted and could not delete, per endpoint and type; printed or as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TypeReport:
    endpoint: str
    type: str  # a FHIR resource type, or an API item path such as /appointments/{id}
    found: int = 0
    deleted: int = 0
    remaining: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # what could not be deleted -> why
    problems: list[str] = field(default_factory=list)

    def note(self, problem: str) -> None:
        if problem not in self.problems:
            self.problems.append(problem)

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "type": self.type, "found": self.found, "deleted": self.deleted,
                "remaining": self.remaining, "not_deleted": dict(self.refused), "problems": list(self.problems)}


@dataclass
class Report:
    target: str
    tag: str  # the _tag searched (the harness's system, or one run's tag)
    dry_run: bool
    rows: list[TypeReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # endpoint-wide: nothing could be searched there

    def row(self, endpoint: str, kind: str) -> TypeReport:
        for row in self.rows:
            if row.endpoint == endpoint and row.type == kind:
                return row
        self.rows.append(TypeReport(endpoint, kind))
        return self.rows[-1]

    @property
    def ok(self) -> bool:
        """Nothing of the harness's remains (and nothing went unsearched)."""
        return not self.problems and all(r.remaining == 0 and not r.problems for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "tag": self.tag, "dry_run": self.dry_run, "ok": self.ok,
                "types": [r.to_dict() for r in self.rows if r.found or r.remaining or r.problems or r.refused],
                "problems": list(self.problems)}

    def lines(self) -> list[str]:
        verb = "would delete" if self.dry_run else "deleted"
        out = [f"clean-up of {self.target} (tag {self.tag}){' — dry run, nothing deleted' if self.dry_run else ''}"]
        shown = [r for r in self.rows if r.found or r.remaining or r.problems or r.refused]
        for r in shown:
            done = r.found if self.dry_run else r.deleted
            out.append(f"  {r.endpoint} {r.type}: found {r.found}, {verb} {done}, remaining {r.remaining}")
            out += [f"    not deleted {what}: {why}" for what, why in list(r.refused.items())[:10]]
            out += [f"    {p}" for p in r.problems]
        if not shown:
            out.append("  nothing of the harness's found" + (" where it could search; but:" if self.problems else ""))
        out += [f"  {p}" for p in self.problems]
        return out
