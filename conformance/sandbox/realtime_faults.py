"""The real-time sandbox's fault switches (endpoint B: subscriptions and notification delivery).

Kept apart from faults.py only for length; faults.py merges them into the one registry. Delivery
faults (delay aside) touch events from the fourth on, as a feed under load does, so the protocol
checks (three events each) see a clean stream and only the exchange checks see the damage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.sandbox.faults import Fault

# Fault names, for the parts that honour them (faults.on(NAME)).
SUBSCRIPTION_TOPIC_UNDECLARED = "subscription-topic-undeclared"
SUBSCRIPTION_CAPABILITY_REST_NOT_LIST = "subscription-capability-rest-not-list"
SUBSCRIPTION_REST_HOOK_REJECTED = "subscription-rest-hook-rejected"
SUBSCRIPTION_ACCEPTS_UNKNOWN_TOPIC = "subscription-accepts-unknown-topic"
SUBSCRIPTION_NEVER_NOTIFIES = "subscription-never-notifies"
NOTIFICATION_NO_HEARTBEAT = "notification-no-heartbeat"
NOTIFICATION_NO_FOCUS = "notification-no-focus"
NOTIFICATION_WRONG_EVENT_NUMBERS = "notification-wrong-event-numbers"
NOTIFICATION_INVALID_BUNDLE = "notification-invalid-bundle"
SUBSCRIPTION_STATUS_STALE = "subscription-status-stale"
SUBSCRIPTION_ERRORS_UNREPORTED = "subscription-errors-unreported"
SUBSCRIPTION_ERROR_ONLY_ON_HANDSHAKE = "subscription-error-only-on-handshake"
SUBSCRIPTION_OFF_IGNORED = "subscription-off-ignored"
NOTIFICATION_DELAY = "notification-delay"
NOTIFICATION_DROP = "notification-drop"
NOTIFICATION_DUPLICATE = "notification-duplicate"
NOTIFICATION_REORDER = "notification-reorder"
NOTIFICATION_SLOW_UNDER_LOAD = "notification-slow-under-load"

S = "realtime.subscription."
X = "realtime.exchange."
L = "realtime.load.levels"
DEFAULT_DELAY_MS = "3000"  # over the sandbox's 2000 ms p95 threshold (sandbox/realtime/settings.py)


def delay_ms(value: str) -> str:
    """``notification-delay=MS``: a whole number of milliseconds from 0 to 60000."""
    text = value.strip().removesuffix("ms")
    if not text.isdigit() or int(text) > 60_000:
        raise ValueError(f"{value!r} is not a whole number of milliseconds from 0 to 60000")
    return str(int(text))


def realtime_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault(SUBSCRIPTION_TOPIC_UNDECLARED, "endpoint B's CapabilityStatement lists Subscription but no "
              "SubscriptionTopic canonical, and B serves no Basic-wrapped SubscriptionTopic",
              (S + "topics-discoverable",)),
        fault(SUBSCRIPTION_CAPABILITY_REST_NOT_LIST, "endpoint B's CapabilityStatement has rest as one object, "
              "not a list of rest entries", (S + "declared", S + "topics-discoverable")),
        fault(SUBSCRIPTION_REST_HOOK_REJECTED, "creating a rest-hook Subscription answers 422 (the server "
              "only does websockets)", (S + "create",)),
        fault(SUBSCRIPTION_ACCEPTS_UNKNOWN_TOPIC, "a Subscription to a topic the server does not know is "
              "accepted (and never notifies)", (S + "unknown-topic",)),
        fault(SUBSCRIPTION_NEVER_NOTIFIES, "Subscriptions are accepted and stay 'requested': no handshake, "
              "heartbeat or event notification is ever sent",
              (S + "handshake", X + "observed")),
        fault(NOTIFICATION_NO_HEARTBEAT, "no heartbeat is ever sent, whatever heartbeatPeriod says",
              (S + "heartbeat",)),
        fault(NOTIFICATION_NO_FOCUS, "notification-event parts carry no focus reference", (S + "event",)),
        fault(NOTIFICATION_WRONG_EVENT_NUMBERS, "every event is numbered 1 (the counter is never advanced)",
              (S + "event-numbers",)),
        fault(NOTIFICATION_INVALID_BUNDLE, "notification bundles are of type 'collection', their "
              "SubscriptionStatus has no 'status' and entries have no request/response", (S + "bundle",)),
        fault(SUBSCRIPTION_STATUS_STALE, "$status always says 'requested' with 0 events since start",
              (S + "status-operation",)),
        fault(SUBSCRIPTION_ERRORS_UNREPORTED, "a Subscription whose endpoint answers 500 stays 'active'",
              (S + "error-state",)),
        fault(SUBSCRIPTION_ERROR_ONLY_ON_HANDSHAKE, "a Subscription goes to 'error' only when its handshake "
              "cannot be delivered, and then with a refused-filter reason; once active, failed deliveries leave "
              "it 'active'", (S + "error-state",)),
        fault(SUBSCRIPTION_OFF_IGNORED, "setting a Subscription's status to 'off' is stored but "
              "notifications keep coming", (S + "off",)),
        fault(NOTIFICATION_DELAY, "every notification is sent MS milliseconds after its event "
              f"(notification-delay=MS; {DEFAULT_DELAY_MS} when no value is given)", (X + "latency", L),
              takes_value=True, default=DEFAULT_DELAY_MS, check_value=delay_ms),
        fault(NOTIFICATION_DROP, "every fifth event (from the fifth) is never notified", (X + "loss", L)),
        fault(NOTIFICATION_DUPLICATE, "every fourth event (from the fourth) is notified twice",
              (X + "duplicates",)),
        fault(NOTIFICATION_REORDER, "every fifth event (from the fourth) is held back until the next event "
              "of the same patient has been notified", (X + "order",)),
        fault(NOTIFICATION_SLOW_UNDER_LOAD, "notifications go out one at a time, 50 ms each: above 20 events "
              "a second the queue grows", (L,)),
    )
