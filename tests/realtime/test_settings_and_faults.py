"""The [realtime] target section and faults that take a value (notification-delay=MS)."""

from __future__ import annotations

import pytest

from conformance.sandbox.faults import FAULTS, parse_faults
from conformance.targets import TargetError, parse


def target(realtime: dict[str, object]) -> dict[str, object]:
    return {"endpoints": {"fhir": "https://ehr.example.test/fhir"}, "realtime": realtime}


def test_defaults_are_the_issue_s_thresholds() -> None:
    rt = parse(target({}), "t.toml").realtime
    assert (rt.p95_ms, rt.max_lost, rt.max_duplicates, rt.max_order_violations) == (5000.0, 0, 0, 0)
    assert rt.endpoint_a({"fhir": "https://ehr.example.test/fhir/"}) == "https://ehr.example.test/fhir"
    assert rt.endpoint_b({"fhir": "https://ehr.example.test/fhir"}) == "https://ehr.example.test/fhir"


def test_values_are_read() -> None:
    rt = parse(target({"b": "https://feed.example.test/fhir", "rate": 50, "events": 100, "load_rates": [1, 10],
                       "p95_ms": 800, "listen": "127.0.0.1:8099"}), "t.toml").realtime
    assert rt.b == "https://feed.example.test/fhir" and rt.rate == 50.0 and rt.load_rates == [1.0, 10.0]


@pytest.mark.parametrize(("table", "message"), [
    ({"p95": 5}, "realtime.p95: unknown key"),
    ({"rate": 0}, "realtime.rate: must be a number greater than 0"),
    ({"events": 0}, "realtime.events: must be at least 1"),
    ({"max_lost": -1}, "realtime.max_lost: must be a whole number"),
    ({"load_rates": []}, "realtime.load_rates: must be a list"),
    ({"b": "ftp://x"}, "realtime.b: 'ftp://x' is not an http(s) URL"),
    ({"listen": "0.0.0.0:8099"}, "realtime.listen: '0.0.0.0' is not a loopback address"),
    ({"listen": "127.0.0.1"}, "realtime.listen: '127.0.0.1' is not host:port"),
])
def test_bad_values_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(TargetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(target(table), "t.toml")


def test_notification_delay_takes_milliseconds() -> None:
    assert FAULTS["notification-delay"].takes_value
    assert parse_faults(["notification-delay=250"]).value("notification-delay") == "250"
    assert parse_faults(["notification-delay"]).value("notification-delay") == "3000"  # the default
    for bad in ("notification-delay=fast", "notification-delay=-5", "notification-delay=999999"):
        with pytest.raises(ValueError, match="milliseconds"):
            parse_faults([bad])


def test_faults_without_a_value_still_refuse_one() -> None:
    with pytest.raises(ValueError, match="takes no value"):
        parse_faults(["notification-drop=3"])
    assert parse_faults(["notification-drop"]).value("notification-drop") is None


def test_the_filter_setting_must_narrow_to_the_run() -> None:
    assert parse(target({}), "t.toml").realtime.filter == "Patient?_tag={tag}"
    chosen = parse(target({"filter": "Patient?identifier={tag}"}), "t.toml").realtime
    assert chosen.filter == "Patient?identifier={tag}"
    with pytest.raises(TargetError, match=r"^t\.toml: realtime\.filter: must contain \{tag\}"):
        parse(target({"filter": "Patient?gender=female"}), "t.toml")
