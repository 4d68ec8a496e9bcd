"""What an API call created, and deleting it again where the API document describes how.

A ``201 Created`` names what it made by its Location, or by an ``id`` in the body under the path the
request went to. The document says whether that item can be deleted: a ``delete`` operation on the
item's path (``/appointments`` -> ``/appointments/{id}``). What cannot be deleted is said, never
left silently: the cases verdicts carry it as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from conformance.transports.http import BodyBeyondLimit, HttpResponse, HttpTransport, TransportError


@dataclass
class Created:
    operation: str  # "POST /appointments"
    url: str  # the created item's URL ("" when the answer did not name it)
    item_path: str  # the document's path of the item ("/appointments/{id}"), or ""
    deletable: bool  # the document describes DELETE on item_path
    deleted: bool = False
    note: str = ""  # why it is still there

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "url": self.url, "item_path": self.item_path,
                "deletable": self.deletable, "deleted": self.deleted, "note": self.note}


def item_paths(doc: dict[str, Any], collection: str) -> list[str]:
    """The document's paths one templated segment below ``collection``."""
    pattern = re.compile(re.escape(collection.rstrip("/")) + r"/\{[^}/]+\}$")
    return [p for p in (doc.get("paths") or {}) if isinstance(p, str) and pattern.match(p)]


def _deletable(doc: dict[str, Any], path: str) -> bool:
    item = (doc.get("paths") or {}).get(path)
    return isinstance(item, dict) and isinstance(item.get("delete"), dict)


def created_by(doc: dict[str, Any], method: str, path: str, url: str, response: HttpResponse) -> Created | None:
    """What a ``201`` answer to ``method path`` (sent to ``url``) created; None for any other answer."""
    if response.status_code != 201:
        return None
    operation = f"{method.upper()} {path}"
    items = item_paths(doc, path)
    item_path = next((p for p in items if _deletable(doc, p)), items[0] if items else "")
    sent = (response.url or url).split("?")[0]
    location = response.headers.get("location", "")
    target = urljoin(sent, location) if location else ""
    if not target:
        try:
            body = response.json()
        except (ValueError, BodyBeyondLimit):  # no id to be had from a body past the harness's limits
            body = None
        rid = body.get("id") if isinstance(body, dict) else None
        if isinstance(rid, str | int) and str(rid):
            target = sent.rstrip("/") + "/" + quote(str(rid), safe="")
    if not target or urlsplit(target).netloc != urlsplit(sent).netloc:
        return Created(operation, target, item_path, False,
                       note="201 named no item on this API (no Location, no id): it cannot be found to delete")
    if not item_path or not _deletable(doc, item_path):
        return Created(operation, target, item_path, False,
                       note=f"the document describes no DELETE for {item_path or path + '/{id}'}: left on the target")
    return Created(operation, target, item_path, True)


async def delete_created(items: list[Created], http: HttpTransport, headers: dict[str, str]) -> list[Created]:
    """DELETE each deletable item not yet deleted; returns those just deleted."""
    done = []
    for item in items:
        if not item.deletable or item.deleted:
            continue
        try:
            response = await http.request("DELETE", item.url, headers=headers)
        except TransportError as exc:
            item.note = f"DELETE failed: {exc}"
            continue
        if 200 <= response.status_code < 300 or response.status_code in (404, 410):
            item.deleted, item.note = True, ""
            done.append(item)
        else:
            item.note = f"DELETE answered {response.status_code}"
    return done


def summary(items: list[Created]) -> str:
    """One sentence on what the cases created and what is still there."""
    left = [i for i in items if not i.deleted]
    text = f"the generated cases created {len(items)} item(s); {len(items) - len(left)} deleted again"
    if left:
        reasons = sorted({i.note for i in left if i.note})
        text += f"; {len(left)} left on the target ({'; '.join(reasons[:3])})"
    return text
