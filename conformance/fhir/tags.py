"""The tags the harness puts on every FHIR resource it writes, so that what it left can be found later.

Every write carries the *run tag* (``TAG_SYSTEM|run-<run id>``): ``conformance cleanup --run`` searches
for it, and a search by the system alone (``_tag=TAG_SYSTEM|``) finds what any run left, whatever
narrower tags a suite added for its own searches (fhir-rest's per-suite tag, realtime's per-Subscription
filter). A killed process cannot delete what it wrote; the tag is how the next process finds it.
"""

from __future__ import annotations

import copy
from typing import Any

TAG_SYSTEM = "https://conformance.example/tag"
# The header every openapi request carries, naming the run (the marker of what an API call created).
RUN_HEADER = "X-Conformance-Run"


def run_tag(run_id: str) -> dict[str, str]:
    return {"system": TAG_SYSTEM, "code": f"run-{run_id}"}


def tag_param(tag: dict[str, str]) -> str:
    """The ``_tag`` search value for one tag (``system|code``)."""
    return f"{tag['system']}|{tag['code']}"


def with_tags(resource: dict[str, Any], *tags: dict[str, str]) -> dict[str, Any]:
    """A copy of ``resource`` whose ``meta.tag`` also holds ``tags`` (each once)."""
    out = copy.deepcopy(resource)
    found = out.get("meta")
    meta: dict[str, Any] = found if isinstance(found, dict) else {}
    out["meta"] = meta
    listed = meta.get("tag")
    have = [t for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []
    for tag in tags:
        if not any(t.get("system") == tag["system"] and t.get("code") == tag["code"] for t in have):
            have.append(dict(tag))
    meta["tag"] = have
    return out


def harness_tags(resource: Any) -> list[str]:
    """The codes of the harness's tags on a resource (empty when it carries none)."""
    meta = resource.get("meta") if isinstance(resource, dict) else None
    tags = meta.get("tag") if isinstance(meta, dict) else None
    if not isinstance(tags, list):
        return []
    return [str(t.get("code", "")) for t in tags if isinstance(t, dict) and t.get("system") == TAG_SYSTEM]
