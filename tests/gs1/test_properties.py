"""Properties: round trips between the three forms, check digits, and no traceback on any text."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.gs1 import convert, to_bracketed, to_digital_link, to_unbracketed, validate
from conformance.gs1.linters import CSET82, check_digit, check_pair, csum, csumalpha

digits = st.text(alphabet=string.digits, min_size=1, max_size=1)


def with_check(length: int) -> st.SearchStrategy[str]:
    payload = st.text(alphabet=string.digits, min_size=length - 1, max_size=length - 1)
    return payload.map(lambda p: p + str(check_digit(p)))


x_value = st.text(alphabet=CSET82, min_size=1, max_size=20)
date = st.tuples(st.integers(0, 99), st.integers(1, 12), st.integers(0, 28)).map(
    lambda t: f"{t[0]:02d}{t[1]:02d}{t[2]:02d}")


@st.composite
def product(draw: st.DrawFn) -> list[tuple[str, str]]:
    """A GTIN with any of expiry, batch, serial, net weight: what a medicine pack carries."""
    elements = [("01", draw(with_check(14)))]
    if draw(st.booleans()):
        elements.append(("17", draw(date)))
    if draw(st.booleans()):
        elements.append(("10", draw(x_value)))
    if draw(st.booleans()):
        elements.append(("21", draw(x_value)))
    if draw(st.booleans()):
        elements.append((f"310{draw(st.integers(0, 5))}", draw(st.text(string.digits, min_size=6, max_size=6))))
    return elements


def _bracketed(elements: list[tuple[str, str]]) -> str:
    return "".join(f"({ai}){v.replace('(', chr(92) + '(')}" for ai, v in elements)


@given(product())
@settings(max_examples=300)
def test_generated_valid_data_is_valid_in_all_three_forms(elements: list[tuple[str, str]]) -> None:
    expected = dict(elements)
    bracketed = _bracketed(elements)
    result = validate(bracketed)
    assert result.valid, [i.line() for i in result.issues]
    assert result.ais == expected
    unbracketed = to_unbracketed(result.elements, symbology="]d2")
    digital_link = to_digital_link(result.elements, domain="https://example.org/x")
    for form in (unbracketed, digital_link, to_bracketed(result.elements)):
        again = validate(form)
        assert again.valid, (form, [i.line() for i in again.issues])
        assert again.ais == expected


@given(product(), st.sampled_from(["bracketed", "unbracketed", "digital-link"]),
       st.sampled_from(["bracketed", "unbracketed", "digital-link"]))
@settings(max_examples=200)
def test_convert_round_trip(elements: list[tuple[str, str]], first: str, second: str) -> None:
    one = convert(_bracketed(elements), first)
    two = convert(one, second)
    assert validate(two).ais == dict(elements)
    assert validate(convert(two, "bracketed")).ais == dict(elements)  # a Digital Link may reorder elements


@given(st.text(alphabet=string.digits, min_size=1, max_size=17), st.integers(0, 9))
def test_check_digit_detects_every_single_digit_error(payload: str, wrong: int) -> None:
    good = payload + str(check_digit(payload))
    assert csum(good) is None
    if wrong != int(good[-1]):
        assert csum(payload + str(wrong)) is not None


@given(st.text(alphabet=string.digits, min_size=2, max_size=17), st.data())
def test_check_digit_detects_adjacent_transpositions_mostly(payload: str, data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(payload) - 2))
    a, b = payload[i], payload[i + 1]
    swapped = payload[:i] + b + a + payload[i + 2:]
    # mod 10 with weights 3/1 misses only transpositions of digits differing by 5
    if a != b and abs(int(a) - int(b)) != 5:
        assert check_digit(swapped) != check_digit(payload)


@given(st.text(alphabet=CSET82, min_size=1, max_size=23))
def test_check_pair_round_trip(payload: str) -> None:
    assert csumalpha(payload + check_pair(payload)) is None


@given(st.text(max_size=300))
@settings(max_examples=500)
def test_never_a_traceback_on_arbitrary_text(text: str) -> None:
    out = validate(text).to_dict()
    assert isinstance(out["valid"], bool)
    assert all(i["severity"] != "fatal" or "internal" not in str(i) for i in out["outcome"]["issue"])
    if not out["valid"]:
        assert any(i["severity"] in ("error", "fatal") for i in out["outcome"]["issue"])


scanner_alphabet = st.sampled_from([*string.digits, *"()\x1d^]%/?=&:dCeQ", "https://a.b/", "01", "(01)"])


@given(st.lists(scanner_alphabet, max_size=60).map("".join))
@settings(max_examples=500)
def test_never_a_traceback_on_gs1_like_text(text: str) -> None:
    result = validate(text)
    assert not any(i.defect == "internal" for i in result.issues), [i.line() for i in result.issues]


@given(with_check(13), st.sampled_from(["", "12", "51234"]))
def test_ean13_scans_give_the_gtin_and_add_on(gtin13: str, addon: str) -> None:
    result = validate(("]E3" if addon else "]E0") + gtin13 + addon, form="scanner")
    assert result.valid and result.ais == {"01": "0" + gtin13}
    assert result.carrier is not None and result.carrier.addon == addon


@given(st.text(alphabet=string.digits, min_size=6, max_size=6), st.sampled_from("01"))
def test_upc_e_expands_to_a_gtin_12_that_checks(six: str, ns: str) -> None:
    """Whatever the six digits, the UPC-E with the right check digit validates to a GTIN-12 keeping its digits."""
    from conformance.gs1.carriers import upce_to_upca

    upca = upce_to_upca(ns + six + "0") or ""
    check = str(check_digit(upca[:11]))
    result = validate("]E0" + ns + six + check)
    assert result.valid, [i.line() for i in result.issues]
    gtin = result.ais["01"]
    assert gtin == "00" + upca[:11] + check
    # zero suppression only inserts zeros, moves a final 0-2 and drops a final 3 or 4 (they only say where)
    kept = ns + six[:5] + (six[5] if six[5] not in "34" else "") + check
    assert sorted(gtin.replace("0", "")) == sorted(kept.replace("0", ""))
    wrong = str((int(check) + 1) % 10)
    assert not validate("]E0" + ns + six + wrong).valid


@given(st.lists(st.sampled_from(["<", ">", " ", '"', "{", "}", "|", "\\", "^", "`", "\u00e9"]), min_size=1,
                max_size=3), with_check(14))
def test_digital_link_characters_outside_rfc3986_are_refused(chars: list[str], gtin: str) -> None:
    result = validate(f"https://id.gs1.org/01/{gtin}/10/A{''.join(chars)}")
    assert not result.valid
    assert any(i.defect == "dl-syntax" for i in result.issues)
