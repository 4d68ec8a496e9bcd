"""Topics as servers publish them: the R4 Backport IG's Basic-wrapped SubscriptionTopic (the IG's own
example, transcribed from input/fsh/BackportTopics.fsh) and an R4B SubscriptionTopic."""

from __future__ import annotations

from typing import Any

from conformance.realtime.topics import from_basic, from_subscription_topic, resource_type, topics_in

X5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic."
X43 = "http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic."
URL = "http://hl7.org/fhir/uv/subscriptions-backport/SubscriptionTopic/r4-encounter-complete"


def _filter(resource: str, param: str) -> dict[str, Any]:
    return {"url": X43 + "canFilterBy", "extension": [
        {"url": "description", "valueMarkdown": "..."}, {"url": "resource", "valueUri": resource},
        {"url": "filterParameter", "valueString": param}]}


IG_EXAMPLE: dict[str, Any] = {
    "resourceType": "Basic", "id": "r4-encounter-complete",
    "modifierExtension": [{"url": X5 + "status", "valueCode": "draft"}],
    "extension": [
        {"url": X5 + "url", "valueUri": URL},
        {"url": X5 + "version", "valueString": "1.2.0"},
        {"url": X43 + "resourceTrigger", "extension": [
            {"url": "description", "valueMarkdown": "Triggered when an encounter is completed."},
            {"url": "resource", "valueUri": "http://hl7.org/fhir/StructureDefinition/Encounter"},
            {"url": "supportedInteraction", "valueCode": "create"},
            {"url": "supportedInteraction", "valueCode": "update"},
            {"url": "queryCriteria", "extension": [{"url": "current", "valueString": "status=finished"}]}]},
        _filter("Encounter", "subject"), _filter("Encounter", "_in")],
    "code": {"coding": [{"system": "http://hl7.org/fhir/fhir-types", "code": "SubscriptionTopic"}]}}


def test_the_igs_basic_wrapped_topic_is_read() -> None:
    topic = from_basic(IG_EXAMPLE)
    assert topic is not None and topic.url == URL and topic.source == "Basic"
    assert topic.triggers == ["Encounter"]
    assert topic.filters == [("Encounter", "subject"), ("Encounter", "_in")]
    assert topic.allows("Encounter", "subject") and not topic.allows("Encounter", "_tag")
    assert not topic.allows("Patient", "subject")  # not a resource the topic triggers on


def test_a_basic_that_is_not_a_topic_or_names_no_url_is_none() -> None:
    assert from_basic({**IG_EXAMPLE, "code": {"coding": [{"system": "http://x", "code": "SubscriptionTopic"}]}}) is None
    assert from_basic({**IG_EXAMPLE, "extension": IG_EXAMPLE["extension"][1:]}) is None
    assert from_basic({"resourceType": "Basic", "code": "SubscriptionTopic"}) is None  # bent, not a crash
    assert from_basic("Basic") is None


def test_an_r4b_subscription_topic_and_a_bundle_of_both() -> None:
    r4b = {"resourceType": "SubscriptionTopic", "url": "https://t.example/patient",
           "resourceTrigger": [{"resource": "Patient"}],
           "canFilterBy": [{"filterParameter": "_tag"}, {"resource": "Patient", "filterParameter": "identifier"},
                           {"resource": "Patient"}]}
    topic = from_subscription_topic(r4b)
    assert topic is not None and topic.filters == [("", "_tag"), ("Patient", "identifier")]
    assert topic.allows("Patient", "_tag") and topic.allows("Patient", "identifier")
    bundle = {"resourceType": "Bundle", "entry": [{"resource": r4b}, {"resource": IG_EXAMPLE}, {"resource": 3}, 4]}
    assert [t.url for t in topics_in(bundle)] == ["https://t.example/patient", URL]
    assert topics_in({"entry": "none"}) == [] and topics_in(None) == []


def test_a_topic_stating_nothing_allows_any_filter() -> None:
    topic = from_subscription_topic({"resourceType": "SubscriptionTopic", "url": "u"})
    assert topic is not None and topic.allows("Patient", "_tag")
    assert resource_type("http://hl7.org/fhir/StructureDefinition/Patient") == "Patient"
    assert resource_type(None) == ""
