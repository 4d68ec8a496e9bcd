"""Building and reading acknowledgements: the routing swap, MSA, ERR in both version styles."""

from __future__ import annotations

import pytest

from conformance.hl7v2 import parse, validate
from conformance.hl7v2.ack import AckError, Problem, build_ack, enhanced, read_ack
from conformance.hl7v2.outbound import fixture_messages, readdress, set_fields, without_segment


def message(version: str = "2.5.1", enhanced_mode: bool = False) -> str:
    text = readdress(fixture_messages()["ADT^A01"], sending=("SEND", "XSE01"), receiving=("RECV", "XRE01"),
                     control_id="M1", enhanced=enhanced_mode)
    return set_fields(text, {12: version})


def test_ack_routes_back_and_names_the_message() -> None:
    ack = read_ack(build_ack(parse(message()), "AA", "A1"))
    assert (ack.code, ack.acknowledged, ack.control_id) == ("AA", "M1", "A1")
    assert ack.sending == ("RECV", "XRE01") and ack.receiving == ("SEND", "XSE01")
    assert (ack.message_code, ack.processing_id, ack.version) == ("ACK", "P", "2.5.1")
    assert ack.accepted and ack.errors == []


@pytest.mark.parametrize("version", ["2.3", "2.4", "2.5.1"])
def test_err_segments_round_trip_in_each_version_style(version: str) -> None:
    problems = [Problem("101", "PID-3 missing", "PID", 3), Problem("103", "bad code", "PV1", 2)]
    text = build_ack(parse(message(version)), "AE", "A2", problems)
    ack = read_ack(text)
    assert [(e.code, e.location) for e in ack.errors] == [("101", "PID-3"), ("103", "PV1-2")]
    assert not ack.accepted
    # The ACK we build is itself valid HL7 v2 for its version (ERR-1 before 2.5, ERR-3 from 2.5).
    assert validate(text).valid, [i.line_text() for i in validate(text).errors]


def test_enhanced_mode_is_read_from_msh_15() -> None:
    assert enhanced(parse(message(enhanced_mode=True)))
    assert not enhanced(parse(message()))


@pytest.mark.parametrize(("reply", "words"), [
    ("PID|1||9990000018", "no MSH"),
    ("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X|P|2.5.1", "no MSA"),
])
def test_a_reply_that_is_not_an_ack_is_named(reply: str, words: str) -> None:
    with pytest.raises(AckError, match=words):
        read_ack(reply)


def test_outbound_helpers_change_only_what_they_say() -> None:
    text = message()
    assert text.split("\r")[0].split("|")[9] == "M1"
    assert "PID|" not in without_segment(text, "PID") and without_segment(text, "PID").count("\r") == text.count(
        "\r") - 1
    changed = set_fields(text, {2: "X"}, segment="PV1")
    assert changed.split("\r")[5].split("|")[2] == "X" and changed.split("\r")[:5] == text.split("\r")[:5]
