"""What a server publishes about a SubscriptionTopic: the resources it triggers on and what subscribers may
filter by, read from an R4B/R5 ``SubscriptionTopic`` or from the R4 Subscriptions Backport IG's
``Basic``-wrapped topic (``Basic.code`` = fhir-types#SubscriptionTopic, the topic's elements as the
cross-version extensions ``http://hl7.org/fhir/{4.3,5.0}/StructureDefinition/extension-SubscriptionTopic.*``).

The shapes follow the IG's own examples (input/fsh/BackportTopics.fsh). Reading is lenient: a server's odd
shape gives an empty list, never an exception; the checks judge what came back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FHIR_TYPES = "http://hl7.org/fhir/fhir-types"
BASIC_TOPIC_SEARCH = f"{FHIR_TYPES}|SubscriptionTopic"  # Basic?code= finds the Basic-wrapped topics
# http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url (4.3 for some elements)
_CROSS_VERSION = re.compile(r"^http://hl7\.org/fhir/[0-9.]+/StructureDefinition/extension-SubscriptionTopic\.(\w+)$")


@dataclass
class Topic:
    url: str
    triggers: list[str] = field(default_factory=list)  # resource types the topic fires on ("Patient")
    filters: list[tuple[str, str]] = field(default_factory=list)  # (resource type or "", filterParameter)
    source: str = "SubscriptionTopic"  # or "Basic": where the server published it

    def allows(self, kind: str, param: str) -> bool:
        """Whether a filter ``kind?param=...`` is one the topic lets subscribers use (True when it states none)."""
        if self.triggers and kind not in self.triggers:
            return False
        return not self.filters or any(p == param and r in ("", kind) for r, p in self.filters)

    def describe(self) -> str:
        params = sorted({f"{r}.{p}" if r else p for r, p in self.filters})
        return (f"triggers on {', '.join(self.triggers) or 'unstated resources'} and lets subscribers filter by "
                f"{', '.join(params) or 'nothing stated'}")


def resource_type(uri: object) -> str:
    """``http://hl7.org/fhir/StructureDefinition/Encounter`` or ``Encounter`` -> ``Encounter``."""
    return str(uri).rstrip("/").rsplit("/", 1)[-1] if isinstance(uri, str) and uri else ""


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _value(ext: dict[str, Any]) -> object:
    return next((v for k, v in ext.items() if k.startswith("value")), None)


def _element(url: object) -> str:
    match = _CROSS_VERSION.match(url) if isinstance(url, str) else None
    return match.group(1) if match else ""


def is_basic_topic(resource: object) -> bool:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Basic":
        return False
    code = resource.get("code")
    codings = _dicts(code.get("coding")) if isinstance(code, dict) else []
    return any(c.get("system") == FHIR_TYPES and c.get("code") == "SubscriptionTopic" for c in codings)


def from_basic(resource: object) -> Topic | None:
    """A Basic-wrapped topic (R4), or None when ``resource`` is not one or names no url."""
    if not is_basic_topic(resource):
        return None
    assert isinstance(resource, dict)
    exts = _dicts(resource.get("extension"))
    url = next((_value(e) for e in exts if _element(e.get("url")) == "url"), None)
    if not isinstance(url, str) or not url:
        return None
    topic = Topic(url, source="Basic")
    for ext in exts:
        element = _element(ext.get("url"))
        parts = {str(p.get("url")): _value(p) for p in _dicts(ext.get("extension"))}
        if element == "resourceTrigger" and resource_type(parts.get("resource")):
            topic.triggers.append(resource_type(parts["resource"]))
        elif element == "canFilterBy" and isinstance(parts.get("filterParameter"), str):
            topic.filters.append((resource_type(parts.get("resource")), str(parts["filterParameter"])))
    return topic


def from_subscription_topic(resource: object) -> Topic | None:
    """An R4B/R5 SubscriptionTopic (some R4 servers serve it too), or None."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "SubscriptionTopic":
        return None
    url = resource.get("url")
    if not isinstance(url, str) or not url:
        return None
    triggers = [resource_type(t.get("resource")) for t in _dicts(resource.get("resourceTrigger"))]
    filters = [(resource_type(f.get("resource")), str(f["filterParameter"]))
               for f in _dicts(resource.get("canFilterBy")) if isinstance(f.get("filterParameter"), str)]
    return Topic(url, [t for t in triggers if t], filters)


def topics_in(bundle: object) -> list[Topic]:
    """Every topic (either shape) among a searchset's entries."""
    entries = _dicts(bundle.get("entry")) if isinstance(bundle, dict) else []
    found = [from_subscription_topic(e.get("resource")) or from_basic(e.get("resource")) for e in entries]
    return [t for t in found if t is not None]
