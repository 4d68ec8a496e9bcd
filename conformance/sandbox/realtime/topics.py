"""Endpoint B's topic as the R4 Subscriptions Backport IG publishes one: a Basic-wrapped SubscriptionTopic.

Shaped like the IG's example (input/fsh/BackportTopics.fsh: cross-version extensions on Basic), so the
realtime suite reads the triggers and ``canFilterBy`` from it on the sandbox as on an R4 server.
"""

from __future__ import annotations

from typing import Any

from conformance.realtime.topics import FHIR_TYPES
from conformance.sandbox.realtime.subscriptions import TOPICS

X5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic."
X43 = "http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic."
FILTERS = ("_tag", "identifier")  # what the sandbox's matching (its search engine) honours on Patient
INTERACTIONS = {"POST": "create", "PUT": "update"}


def basic_topic(n: int, url: str) -> dict[str, Any]:
    rtype, methods = TOPICS[url]
    trigger = [{"url": "description", "valueMarkdown": f"A {rtype} is created or updated."},
               {"url": "resource", "valueUri": f"http://hl7.org/fhir/StructureDefinition/{rtype}"},
               *({"url": "supportedInteraction", "valueCode": INTERACTIONS[m]} for m in methods)]
    filters = [{"url": X43 + "canFilterBy", "extension": [
        {"url": "description", "valueMarkdown": f"Filter {rtype} by {p}."}, {"url": "resource", "valueUri": rtype},
        {"url": "filterParameter", "valueString": p}]} for p in FILTERS]
    return {"resourceType": "Basic", "id": f"topic-{n}",
            "modifierExtension": [{"url": X5 + "status", "valueCode": "active"}],
            "extension": [{"url": X5 + "url", "valueUri": url},
                          {"url": X5 + "title", "valueString": f"{rtype} writes"},
                          {"url": X43 + "resourceTrigger", "extension": trigger}, *filters],
            "code": {"coding": [{"system": FHIR_TYPES, "code": "SubscriptionTopic"}]}}


def basic_topics(base: str) -> dict[str, Any]:
    """``GET Basic?code=http://hl7.org/fhir/fhir-types|SubscriptionTopic``: every topic B knows."""
    found = [basic_topic(n + 1, url) for n, url in enumerate(sorted(TOPICS))]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(found),
            "entry": [{"fullUrl": f"{base}/Basic/{b['id']}", "resource": b, "search": {"mode": "match"}}
                      for b in found]}
