"""In-memory versioned resource store.

Ids come from one counter in creation order (not random) so two runs against fresh sandboxes see the
same ids, which the benchmark's replay relies on. Every version is kept, deletes included, so
history and vread answer the way R4 http.html describes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass
class Version:
    """One version of a resource; ``resource`` is None for a delete."""

    version_id: str
    last_updated: str
    method: str
    resource: dict[str, Any] | None


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars) at a fraction of ``copy.deepcopy``'s cost: every
    write copied its body twice with deepcopy, about a tenth of the sandbox's CPU a target. Anything that is
    not JSON is handed to deepcopy."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return copy.deepcopy(value)


@dataclass
class Store:
    versions: dict[tuple[str, str], list[Version]] = field(default_factory=dict)
    counter: int = 0
    _last_instant: datetime | None = None
    # The same histories by type, and each type's live resources once asked for (dropped on a write to the
    # type): a search scanned every version of every type, a cost that grew with all a sandbox ever stored.
    _by_type: dict[str, dict[str, list[Version]]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _live: dict[str, list[dict[str, Any]]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for (rtype, rid), history in self.versions.items():  # a store made with versions already in it
            self._by_type.setdefault(rtype, {})[rid] = history

    def _history_for(self, rtype: str, rid: str) -> list[Version]:
        history = self.versions.get((rtype, rid))
        if history is None:
            history = self.versions[(rtype, rid)] = []
            self._by_type.setdefault(rtype, {})[rid] = history
        self._live.pop(rtype, None)
        return history

    def _now(self) -> str:
        """Strictly increasing instants, so lastUpdated orders versions even within one millisecond."""
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_instant is not None and now <= self._last_instant:
            now = self._last_instant + timedelta(milliseconds=1)
        self._last_instant = now
        return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"

    def _stamp(self, rtype: str, rid: str, resource: dict[str, Any], vid: str, method: str) -> Version:
        body = json_copy(resource)
        body["resourceType"] = body.get("resourceType", rtype)
        body["id"] = rid
        meta = dict(body.get("meta") or {})
        when = self._now()
        meta["versionId"] = vid
        meta["lastUpdated"] = when
        body["meta"] = meta
        version = Version(vid, when, method, body)
        self._history_for(rtype, rid).append(version)
        return version

    def create(self, rtype: str, resource: dict[str, Any]) -> Version:
        self.counter += 1
        return self._stamp(rtype, str(self.counter), resource, "1", "POST")

    def update(self, rtype: str, rid: str, resource: dict[str, Any]) -> Version:
        vid = str(len(self.versions.get((rtype, rid), [])) + 1)
        return self._stamp(rtype, rid, resource, vid, "PUT")

    def delete(self, rtype: str, rid: str) -> Version:
        history = self.versions[(rtype, rid)]
        self._live.pop(rtype, None)
        version = Version(str(len(history) + 1), self._now(), "DELETE", None)
        history.append(version)
        return version

    def history(self, rtype: str, rid: str) -> list[Version]:
        return list(self.versions.get((rtype, rid), []))

    def current(self, rtype: str, rid: str) -> Version | None:
        """The newest version (which may be a delete), or None if the id was never used."""
        history = self.versions.get((rtype, rid))
        return history[-1] if history else None

    def live(self, rtype: str) -> list[dict[str, Any]]:
        """The current, undeleted resources of a type in creation order (ids are numeric)."""
        live = self._live.get(rtype)
        if live is None:
            found = [h[-1].resource for h in self._by_type.get(rtype, {}).values() if h[-1].resource is not None]
            live = self._live[rtype] = sorted(found, key=lambda r: int(r["id"]) if str(r["id"]).isdigit() else 0)
        return list(live)
