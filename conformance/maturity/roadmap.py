"""Roadmap milestones judged by the evidence: achieved, on track, at risk or missed.

Works on anything that can say its capability statuses (an organisation's record, or a footprint's
roll-up, whose status per capability is its slowest member's), so it imports neither: ``Subject``.
The rule is data (scoring.toml, [roadmap]); a footprint's own target dates override the model's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from conformance.maturity.model import CapabilityModel, Milestone

STATES = ("achieved", "on track", "at risk", "missed")


class Subject(Protocol):
    """An organisation's record or a footprint's roll-up."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    def statuses(self) -> dict[str, str]: ...

    def laggards(self, capability_id: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class MilestoneView:
    id: str
    title: str
    target_date: str
    state: str  # achieved | on track | at risk | missed
    behind: tuple[str, ...]  # capabilities not yet met
    statuses: dict[str, str] = field(default_factory=dict, compare=False)  # each capability's status
    laggards: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)  # capability -> ODS codes


@dataclass
class Roadmap:
    subject_code: str
    subject_name: str
    kind: str  # organisation | footprint
    as_of: str
    milestones: list[MilestoneView]


def judge(milestone: Milestone, statuses: dict[str, str], model: CapabilityModel, today: date,
          target: str | None = None) -> MilestoneView:
    target = target or milestone.target_date
    mine = {c: statuses.get(c, "no evidence") for c in milestone.capabilities}
    behind = tuple(c for c, s in mine.items() if s != "met")
    if not behind:
        state = "achieved"
    elif date.fromisoformat(target) < today:
        state = "missed"
    elif all(mine[c] in model.scoring.on_track_statuses for c in behind):
        state = "on track"
    else:
        state = "at risk"
    return MilestoneView(milestone.id, milestone.title, target, state, behind, mine)


def roadmap_view(statuses: dict[str, str], model: CapabilityModel, as_of: date,
                 dates: dict[str, str] | None = None, milestones: Iterable[Milestone] | None = None
                 ) -> list[MilestoneView]:
    """Milestones judged on capability statuses (an organisation's, or a footprint's slowest members')."""
    chosen = model.milestones.values() if milestones is None else milestones
    return [judge(m, statuses, model, as_of, (dates or {}).get(m.id)) for m in chosen]


def roadmap(subject: Subject, model: CapabilityModel, today: date, dates: dict[str, str] | None = None,
            milestones: Iterable[Milestone] | None = None) -> Roadmap:
    """The roadmap of an organisation or a footprint, naming who is behind on each capability."""
    statuses = subject.statuses()
    views = []
    for view in roadmap_view(statuses, model, today, dates, milestones):
        views.append(MilestoneView(view.id, view.title, view.target_date, view.state, view.behind, view.statuses,
                                   {c: subject.laggards(c) for c in view.behind}))
    kind = "footprint" if hasattr(subject, "footprint") else "organisation"
    return Roadmap(subject.code, subject.name, kind, today.isoformat(), views)
