"""Checks on endpoint B's Subscriptions (R4 Subscriptions Backport IG, rest-hook channel).

One Subscription (made by ``create``) is followed through its life: handshake, heartbeat, events
and their numbers, $status, then off. Error state and unknown topics use Subscriptions of their own.
Every wait is bounded by ``realtime.wait`` (heartbeats: twice ``realtime.heartbeat``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from conformance.checks import check, expect, fail, skip
from conformance.evidence.capture import record
from conformance.model import Evidence
from conformance.realtime.notifications import TOPIC_CANONICAL_EXT, Notification, problems
from conformance.realtime.receiver import Inbox
from conformance.realtime.scenario import patient
from conformance.realtime.settings import RealtimeSettings
from conformance.realtime.topics import BASIC_TOPIC_SEARCH, Topic, topics_in
from suites.realtime.context import DECLARED, RealtimeContext, record_notes

S = "realtime.subscription."
CREATE, HANDSHAKE, EVENT, NUMBERS = S + "create", S + "handshake", S + "event", S + "event-numbers"
STATUS_OP, HEARTBEAT = S + "status-operation", S + "heartbeat"
CAPS = ["real-time-exchange"]
IG = "FHIR-Subscriptions-Backport:"
DEFAULT_FILTER = RealtimeSettings().filter


@dataclass
class Subscribed:
    sid: str
    inbox: Inbox
    tag: dict[str, str]


def unread(note: Notification) -> None:
    """A notification past the harness's JSON limits ends the check in ``error``: it was not judged."""
    if note.unread:
        raise RuntimeError(f"a notification was {note.error}; nothing was judged on it")


async def body_of(response: Any) -> Any:
    """The JSON body, or None when it is not JSON (a body past the harness's limits: an error)."""
    try:
        return await response.ajson()
    except ValueError:
        return None


async def field_of(response: Any, name: str) -> str:
    """``name`` of the resource in ``response`` as text ("" when the body is not an object or lacks it):
    a bent answer is judged by the check as a missing value, never a harness ``AttributeError``."""
    data = await body_of(response)
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def listed(data: Any, key: str) -> list[dict[str, Any]]:
    """The objects in ``data[key]`` when that is a list (a server's odd shapes give nothing)."""
    value = data.get(key) if isinstance(data, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def subscribed(ctx: RealtimeContext) -> Subscribed:
    value: Subscribed = ctx.product(CREATE)
    return value


async def discover(ctx: RealtimeContext) -> tuple[list[str], str]:
    """Endpoint B's Subscription declaration and the topics it makes discoverable: (topics, how). ``how`` is
    "extension" (the capabilitystatement-subscriptiontopic-canonical extension), "published" (Basic-wrapped
    topics or SubscriptionTopic resources), or "" (none). Skips when B does not declare Subscription."""
    ctx.require_endpoints()
    response = await ctx.b.get("metadata")
    cap = await body_of(response)
    expect(response.status_code == 200 and isinstance(cap, dict), f"GET metadata answered {response.status_code}")
    found = cap.get("resourceType")
    expect(found == "CapabilityStatement", f"GET metadata answered {found!r}, not a CapabilityStatement")
    if "rest" in cap and not isinstance(cap.get("rest"), list):
        fail(f"the CapabilityStatement's rest is {str(cap.get('rest'))[:80]!r}, not a list of rest entries")
    resources = [r for rest in listed(cap, "rest") for r in listed(rest, "resource")]
    sub = next((r for r in resources if r.get("type") == "Subscription"), None)
    if sub is None:
        skip("endpoint B does not declare Subscription in its CapabilityStatement")
    topics = [str(e.get("valueCanonical")) for e in listed(sub, "extension") if e.get("url") == TOPIC_CANONICAL_EXT]
    if topics:
        return topics, "extension"
    # The IG's other way to discover topics on R4: Basic-wrapped SubscriptionTopics (Basic.code).
    topics = [t.url for t in await published_topics(ctx, None)]
    if topics:
        record(Evidence(kind="derived", summary=f"no {TOPIC_CANONICAL_EXT} extension; {len(topics)} topic(s) "
                        "discovered as published SubscriptionTopics (Basic-wrapped or SubscriptionTopic)",
                        data={"topics": topics[:20]}))
    return topics, "published" if topics else ""


@check(id=DECLARED, title="Endpoint B's CapabilityStatement declares Subscription, and the topic to subscribe to is "
       "known", requirements=[IG + "CapabilityStatements", "FHIR-R4:capabilitystatement.html"], capabilities=CAPS)
async def declared(ctx: RealtimeContext) -> str:
    topics, _ = await discover(ctx)
    if not topics:
        # The IG lets an R4 server leave topic discovery out-of-band (components.md): the topic agreed that
        # way is realtime.topic. Not advertising one is judged by topics-discoverable (a SHOULD), not here.
        if not ctx.rt.topic:
            skip("not judged: endpoint B declares Subscription but advertises no SubscriptionTopic (no "
                 f"{TOPIC_CANONICAL_EXT} extension, no Basic-wrapped topic); the IG allows agreeing topics "
                 "out-of-band: set realtime.topic to the one agreed")
        record(Evidence(kind="derived", summary=f"no topic advertised; using realtime.topic {ctx.rt.topic} "
                        "(agreed out-of-band, as the IG allows)", data={"topic": ctx.rt.topic}))
        return ctx.rt.topic
    wanted = ctx.rt.topic or topics[0]
    if wanted not in topics:  # the target file's mistake, not the server's (docs/check-contract.md)
        skip(f"not judged: realtime.topic {wanted!r} is not among the topics endpoint B declares "
             f"({', '.join(topics[:5])}); set realtime.topic to one of them, or leave it out to use the first")
    return wanted


@check(id=S + "topics-discoverable", title="Endpoint B makes its SubscriptionTopics discoverable (the "
       "CapabilityStatement's topic canonical extension, or Basic-wrapped topics)",
       requirements=[IG + "conformance.html", IG + "components.html"], capabilities=CAPS, required=False)
async def topics_discoverable(ctx: RealtimeContext) -> None:
    """A SHOULD of the IG (conformance.md): optional, so a server that agrees topics out-of-band still passes."""
    topics, how = await discover(ctx)
    expect(topics, "Subscription is declared but no SubscriptionTopic canonical "
                   f"({TOPIC_CANONICAL_EXT}) nor any Basic-wrapped SubscriptionTopic (Basic?code="
                   f"{BASIC_TOPIC_SEARCH}): a client cannot discover what it may subscribe to")
    record(Evidence(kind="derived", summary=f"{len(topics)} topic(s) discoverable ({how})",
                    data={"topics": topics[:20]}))


async def published_topics(ctx: RealtimeContext, url: str | None) -> list[Topic]:
    """The topics B publishes (``url``: only that one): as SubscriptionTopic resources, else Basic-wrapped
    (the R4 Backport IG way). A server that serves neither gives []; its answers are evidence."""
    params = {"url": url} if url else {}
    response = await ctx.b.get("SubscriptionTopic", params=params)
    found = topics_in(await body_of(response)) if response.status_code == 200 else []
    if not found:
        response = await ctx.b.get("Basic", params={"code": BASIC_TOPIC_SEARCH})
        found = topics_in(await body_of(response)) if response.status_code == 200 else []
    return [t for t in found if url is None or t.url == url]


def choose_filter(topic: Topic, configured: str) -> str:
    """``configured`` when the topic allows it or it was set in the target file; else, from the default, the
    first filter the topic allows that the harness's patients can match (each carries the tag as a tag and as
    an identifier)."""
    kind, param = _filter_param(configured)
    if topic.allows(kind, param) or configured != DEFAULT_FILTER:
        return configured
    for candidate in ("_tag", "identifier"):
        if topic.allows("Patient", candidate):
            return f"Patient?{candidate}={{tag}}"
    return configured


def _filter_param(spec: str) -> tuple[str, str]:
    """``Patient?_tag={tag}`` -> ("Patient", "_tag")."""
    kind, _, query = spec.partition("?")
    return kind, query.split("=", 1)[0]


@check(id=CREATE, title="A rest-hook Subscription to a declared topic is created (201, status requested or active)",
       requirements=[IG + "subscriptions.html", "FHIR-R4:http.html#create"], capabilities=CAPS,
       needs=[DECLARED], destructive=True)
async def create(ctx: RealtimeContext) -> Subscribed:
    topic: str = ctx.product(DECLARED)
    published = await published_topics(ctx, topic)
    if published:
        # Built from what the server publishes: a filter the topic does not allow would be refused by a
        # correct server, and that would be the harness's doing, not the server's.
        found = published[0]
        record(Evidence(kind="derived", summary=f"the topic {topic} (published as {found.source}) {found.describe()}",
                        data={"topic": topic, "source": found.source, "triggers": found.triggers,
                              "can_filter_by": [list(f) for f in found.filters]}))
        ctx.filter = choose_filter(found, ctx.rt.filter)
        kind, param = _filter_param(ctx.filter)
        if not found.allows(kind, param):
            skip(f"not judged: the topic {topic} {found.describe()}, but realtime.filter is "
                 f"{ctx.rt.filter!r}; set realtime.filter (and realtime.topic) to what the topic allows")
    tag = ctx.tag("sub")
    response, inbox, sid = await ctx.subscribe(topic, tag, ctx.rt.heartbeat)
    expect(response.status_code == 201, f"creating the Subscription answered {response.status_code}, not 201"
           f" (the body starts {response.text[:160]!r})")
    expect(sid, "the created Subscription came back without an id")
    status = await field_of(response, "status")
    expect(status in ("requested", "active"), f"the new Subscription's status is {status!r}, not requested or active"
           f" (the body starts {response.text[:120]!r})")
    # Read it back: a server may accept the resource and then say why it will not notify (status error,
    # Subscription.error). That sentence is the verdict's: the harness asked for something it refuses.
    again = await ctx.b.get(f"Subscription/{sid}")
    now, why = await field_of(again, "status"), await field_of(again, "error")
    if now in ("error", "off"):
        skip(f"not judged: the server accepted Subscription/{sid} and then set it {now}: {why or 'no reason given'}"
             f" (filter {ctx.filter!r}; set realtime.filter and realtime.topic to what the topic allows)")
    return Subscribed(sid, inbox, tag)


@check(id=HANDSHAKE, title="A handshake notification arrives and the Subscription becomes active",
       requirements=[IG + "subscriptions.html#handshake"], capabilities=CAPS, needs=[CREATE])
async def handshake(ctx: RealtimeContext) -> None:
    sub = subscribed(ctx)
    arrived = await sub.inbox.wait_for(lambda: bool(sub.inbox.notes), ctx.rt.wait)
    record_notes(sub.inbox.notes[:1], what="first notification")
    expect(arrived, f"no notification arrived within {ctx.rt.wait:g} s: the Subscription was accepted "
                    "but the target never notified")
    first = sub.inbox.notes[0]
    unread(first)
    expect(not first.error, f"the first notification is not a notification Bundle: {first.error}")
    expect(first.type == "handshake", f"the first notification is of type {first.type or 'none'!r}, not handshake")
    expect(first.subscription.split("/_history/")[0].endswith(f"Subscription/{sub.sid}"),
           f"the handshake names subscription {first.subscription!r}, not Subscription/{sub.sid}")
    expect(first.events_since in ("", "0"), f"the handshake says {first.events_since} events since start, not 0")
    deadline = time.monotonic() + ctx.rt.wait
    status = ""
    while time.monotonic() < deadline:
        status = await field_of(await ctx.b.get(f"Subscription/{sub.sid}"), "status")
        if status == "active":
            return
        await asyncio.sleep(0.1)
    fail(f"after the handshake the Subscription's status is {status!r}, not active")


@check(id=HEARTBEAT, title="Heartbeats arrive within twice the heartbeatPeriod asked for",
       requirements=[IG + "subscriptions.html#heartbeats"], capabilities=CAPS, needs=[HANDSHAKE])
async def heartbeat(ctx: RealtimeContext) -> None:
    sub = subscribed(ctx)
    period = max(1, round(ctx.rt.heartbeat))
    bound = 2 * period + 0.5
    # A heartbeat is owed after a period with nothing sent, so the bound runs from the last notification.
    started = time.perf_counter()
    while not sub.inbox.of_type("heartbeat"):
        quiet_since = max([started, *(n.arrived for n in sub.inbox.notes)])
        left = quiet_since + bound - time.perf_counter()
        if left <= 0:
            break
        await sub.inbox.wait_for(lambda: bool(sub.inbox.of_type("heartbeat")), min(left, 0.25))
    record_notes(sub.inbox.of_type("heartbeat")[:1], what="heartbeat")
    expect(sub.inbox.of_type("heartbeat"), f"no heartbeat within {bound:g} s of the last notification "
                                           f"(heartbeatPeriod {period} s)")


async def write_and_wait(ctx: RealtimeContext, sub: Subscribed, pid: str | None, seq: int, count: int,
                         wait: float | None = None) -> str:
    """Write one patient in A (create when ``pid`` is None); wait until ``count`` events have arrived."""
    body = patient(pid, sub.tag, f"{sub.tag['code']}-{seq}", seq, ctx.codings())
    response = await (ctx.a.put(f"Patient/{pid}", body) if pid else ctx.a.post("Patient", body))
    expect(response.status_code < 300, f"writing the patient in A answered {response.status_code}")
    pid = pid or await field_of(response, "id")
    if pid and pid not in ctx.patients:
        ctx.patients.append(pid)
    await sub.inbox.wait_for(lambda: len(sub.inbox.of_type("event-notification")) >= count, wait or ctx.rt.wait)
    return pid


@check(id=EVENT, title="Writing a matching resource in A sends an event notification whose focus is that resource",
       requirements=[IG + "notifications.html", IG + "payloads.html#full-resource"], capabilities=CAPS,
       needs=[HANDSHAKE], destructive=True)
async def event(ctx: RealtimeContext) -> str:
    sub = subscribed(ctx)
    pid = await write_and_wait(ctx, sub, None, 1, 1)
    events = sub.inbox.of_type("event-notification")
    record_notes(events, what="event notification")
    expect(events, f"no event notification within {ctx.rt.wait:g} s of writing Patient/{pid} in A")
    foci = [e.focus for e in events[0].events]
    expect(any(f.split("/_history/")[0].endswith(f"Patient/{pid}") for f in foci),
           f"the event's focus is {foci or 'missing'}, not Patient/{pid}")
    return pid


@check(id=NUMBERS, title="Events are numbered 1, 2, 3... in order; eventsSinceSubscriptionStart agrees",
       requirements=[IG + "notifications.html#event-numbering"], capabilities=CAPS, needs=[EVENT],
       destructive=True)
async def event_numbers(ctx: RealtimeContext) -> None:
    sub = subscribed(ctx)
    pid = ctx.product(EVENT)
    for seq in (2, 3):
        await write_and_wait(ctx, sub, pid, seq, seq)
    notes = sub.inbox.of_type("event-notification")
    record_notes(notes, what="event notification")
    expect(len(notes) >= 3, f"{len(notes)} of 3 event notifications arrived within {ctx.rt.wait:g} s")
    faults: list[str] = []
    numbered: dict[str, str] = {}
    for note in notes:
        numbers = [e.number for e in note.events]
        if numbers and note.events_since != max(numbers, key=lambda n: int(n) if n.isdigit() else -1):
            faults.append(f"eventsSinceSubscriptionStart {note.events_since!r} but event number(s) {numbers}")
        for e in note.events:
            if numbered.setdefault(e.number, e.focus) != e.focus:
                faults.append(f"event number {e.number} names both {numbered[e.number]} and {e.focus}")
    order = [e.number for note in notes for e in note.events]
    if order[:3] != ["1", "2", "3"]:
        faults.append(f"the first three events are numbered {order[:3]}, expected ['1', '2', '3']")
    expect(not faults, "; ".join(dict.fromkeys(faults)))


@check(id=S + "bundle", title="Every notification is a valid notification Bundle (history, SubscriptionStatus first)",
       requirements=[IG + "StructureDefinition-backport-subscription-notification-r4.html"], capabilities=CAPS,
       needs=[HANDSHAKE], after=[NUMBERS, HEARTBEAT])
async def bundle(ctx: RealtimeContext) -> None:
    notes = subscribed(ctx).inbox.notes
    record_notes(notes)
    for note in notes:
        unread(note)
    found = [f"notification {n + 1} ({note.type or 'no type'}): {p}" for n, note in enumerate(notes)
             for p in problems(note)]
    expect(not found, f"{len(found)} problem(s): " + "; ".join(found[:5]))
