"""HL7 v2 validator: valid messages pass, each broken one has exactly its one defect, located; never a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.hl7v2 import load_profile, split_messages, validate
from conformance.hl7v2.datatypes import check_dtm, nhs_number

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hl7v2"
VALID = sorted((FIXTURES / "valid").glob("*.hl7"))
CASES = tomllib.loads((FIXTURES / "broken" / "manifest.toml").read_text())["case"]


def profile_for(path: Path) -> str:
    return "nhs-" + path.stem.replace("_", "-")


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_messages_pass_the_standard_and_their_profile(path: Path) -> None:
    for profile in (None, load_profile(profile_for(path))):
        result = validate(path.read_bytes(), profile)
        assert result.valid, [i.line_text() for i in result.issues]
        assert result.to_outcome()["issue"][0]["severity"] in ("information", "warning")


def test_every_shipped_profile_has_a_valid_example() -> None:
    shipped = {p.stem for p in (FIXTURES.parents[1] / "profiles" / "hl7v2").glob("*.toml")} - {"nhs-base"}
    assert shipped == {profile_for(p) for p in VALID}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["file"])
def test_each_broken_message_has_exactly_its_one_defect_at_its_location(case: dict[str, str]) -> None:
    result = validate((FIXTURES / "broken" / case["file"]).read_bytes(), load_profile(case["profile"]))
    errors = [(i.defect, i.where) for i in result.errors]
    assert errors == [(case["defect"], case["location"])], [i.line_text() for i in result.issues]
    issue = next(i for i in result.to_outcome()["issue"] if i["severity"] == "error")
    assert issue["expression"] == [case["location"]] and issue["details"]["coding"][0]["code"] == case["defect"]


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = (FIXTURES / "valid" / "adt_a01.hl7").read_bytes().decode()
    text = text.replace("|19800101|F|", "|19801301|X|").replace("^^^NHS^NH", "^^^NHX^NH").replace("ZU1|", "ZQQ|")
    result = validate(text, load_profile("nhs-adt-a01"))
    assert sorted(i.where for i in result.errors) == ["PID-3", "PID-7", "PID-8", "ZQQ"]


def test_locations_name_segment_repetition_component() -> None:
    text = (FIXTURES / "valid" / "oru_r01.hl7").read_bytes().decode().replace("||11.2|", "||x|")
    text = text.replace("RXX1234567^^^RXX01^MR", "RXX1234567^^^RXX01^MR~^^^RXX01^PI")
    wheres = {i.where for i in validate(text, load_profile("nhs-oru-r01")).errors}
    assert wheres == {"OBX[2]-5", "PID-3[3].1"}


def test_bad_input_is_a_verdict_not_a_traceback() -> None:
    for data in (b"", b"\x00\x01\x02binary", b"hello world", b"MSH", b"MSH|", b"MSH|^~\\&", "MSH|^~\\&|\u00e9|" * 3,
                 b"MSH|^^^^|A|B", b"PID|1\rMSH|^~\\&", b"\x0bMSH|^~\\&|A\x1c\x0d"):
        result = validate(data)
        assert not result.valid and result.issues, data


def test_an_unknown_message_type_and_version_are_named() -> None:
    result = validate("MSH|^~\\&|A|B|C|D|20260101||XYZ^Q99|1|P|2.5.1\rPID|1")
    # An unknown code and event are defects of tables 0076 and 0003; the missing structure is information.
    assert {("code", "MSH-9.1"), ("code", "MSH-9.2")} <= {(i.defect, i.where) for i in result.errors}
    assert ("information", "message-type", "MSH-9") in [(i.severity, i.defect, i.where) for i in result.issues]
    result = validate("MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|3.0\rEVN|A01")
    assert ("version", "MSH-12") in [(i.defect, i.where) for i in result.errors]


def test_split_messages_handles_batches_and_line_feeds() -> None:
    one = (FIXTURES / "valid" / "adt_a08.hl7").read_bytes().decode()
    batch = "FHS|^~\\&\nBHS|^~\\&\n" + one.replace("\r", "\n") + one + "BTS|2\rFTS|1"
    messages = split_messages(batch)
    assert len(messages) == 2 and all(m.startswith("MSH") and "BTS" not in m for m in messages)
    assert [(i.defect, i.severity) for i in validate(messages[0]).issues] == [("separator", "error")]
    assert validate(messages[1]).valid and "\n" not in messages[1]


def test_datatype_primitives() -> None:
    assert check_dtm("20261122120000.1234+0100") is None
    assert check_dtm("2026") is None and check_dtm("20260229") is not None and check_dtm("20280229") is None
    assert check_dtm("202611221") is not None and check_dtm("2026112225") is not None
    assert nhs_number("9990000018") and not nhs_number("9990000019") and not nhs_number("999000001")


segment_text = st.text(alphabet=st.sampled_from("MSHPIDOBXZU|^~\\&\r\n0123456789 .-+AFT"), max_size=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=segment_text, prefix=st.sampled_from(["", "MSH|^~\\&|", "MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5.1\r"]))
def test_validator_never_raises_on_arbitrary_text(body: str, prefix: str) -> None:
    result = validate(prefix + body, load_profile("nhs-adt-a01"))
    result.to_outcome()


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_validator_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    validate(b"MSH|^~\\&|" + data).to_outcome()
