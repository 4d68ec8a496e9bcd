"""HL7 v2 message model: encoding characters, escapes, locations, and every problem reported."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.hl7v2 import Encoding, encode, escape, parse, unescape

ADT = ("MSH|^~\\&|CONF|RXX01|PAS|RXX01|20261122120000||ADT^A01^ADT_A01|MSG0001|P|2.5.1\r"
       "PID|1||9990000018^^^NHS^NH~123^^^RXX01^MR||Smith^John\\T\\Jr||19800101|M\r"
       "OBX|1|NM|8867-4^Heart rate^LN||72\rOBX|2|ST|x^y^LN||a\\F\\b")


def test_structure_and_locations() -> None:
    m = parse(ADT)
    assert m.issues == []
    assert m.type == ("ADT", "A01", "ADT_A01") and m.version == "2.5.1"
    assert [s.label for s in m.segments] == ["MSH", "PID", "OBX", "OBX[2]"]
    pid = m.first("PID")
    assert pid is not None
    assert pid.value(3, 2, 4) == "RXX01" and pid.value(3, 1, 5) == "NH"
    assert pid.value(5, 1, 2) == "John&Jr"  # \T\ is the subcomponent separator as data
    assert m.all("OBX")[1].value(5) == "a|b"
    assert pid.value(99) == ""


def test_every_problem_is_reported_not_just_the_first() -> None:
    broken = ADT.replace("MSG0001|P", "MSG0001|P").replace("Heart rate", "Heart \\Q\\rate") + "\rpid|x\rOBX|3|ST|||\\F"
    m = parse(broken)
    where = [i.location for i in m.issues]
    assert "OBX-3.2" in where  # unknown escape \Q\
    assert "segment 5" in where  # lower-case segment name
    assert "OBX[3]-5.1" in where  # escape not closed
    assert len(m.issues) == 3


def test_encoding_characters_come_from_msh() -> None:
    m = parse("MSH#*!@%#A#B\rPID#1##X*Y!Z%W")
    pid = m.first("PID")
    assert pid is not None and pid.value(3, 1, 2) == "Y" and pid.value(3, 2, 1) == "Z"
    assert any(i.location == "MSH-2" and i.severity == "warning" for i in m.issues)
    bad = parse("MSH|^^\\&|A\rPID|1")
    assert any(i.location == "MSH-2" and i.severity == "error" for i in bad.issues)


def test_bad_input_is_an_issue_never_an_exception() -> None:
    for data in ("", "   ", "PID|1", "\x00\x01\x02garbage", b"\xff\xfe\x0b\x1c", "MSH", "MSH|"):
        m = parse(data)
        assert m.issues, data


def test_line_feeds_are_read_but_are_an_error() -> None:
    for sep in ("\n", "\r\n"):
        m = parse(ADT.replace("\r", sep))
        assert [s.label for s in m.segments] == ["MSH", "PID", "OBX", "OBX[2]"]
        assert [i.severity for i in m.issues] == ["error"] and "CR (0x0D)" in m.issues[0].diagnostics


TEXT = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n\x0b\x1c"), max_size=20)


@given(TEXT)
def test_escape_round_trip(value: str) -> None:
    enc = Encoding()
    issues: list[object] = []
    assert unescape(escape(value, enc), enc, "X-1", issues) == value  # type: ignore[arg-type]
    assert issues == []


@settings(max_examples=200)
@given(st.lists(st.lists(TEXT, min_size=1, max_size=3), min_size=1, max_size=4))
def test_encode_parse_round_trip(fields: list[list[str]]) -> None:
    """Any data placed in fields survives encoding and parsing exactly."""
    body = "|".join("~".join(escape(v, Encoding()) for v in reps) for reps in fields)
    m = parse("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5.1\rZZZ|" + body)
    zzz = m.first("ZZZ")
    assert zzz is not None and m.issues == []
    for n, reps in enumerate(fields, 1):
        assert ["".join(r[0]) if len(r) == 1 and len(r[0]) == 1 else r for r in zzz.repetitions(n)] == reps
    assert parse(encode(m)).segments[1].fields == zzz.fields


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    parse(data)
