#!/usr/bin/env python3
"""GS1 parse+validate throughput and verdict agreement: conformance.gs1 vs biip, same inputs, one run.

    .venv/bin/python bench/gs1_throughput.py [--count 5000] [--rounds 3] [--seed 6]

Throughput: element strings per second over scanner-style inputs (``]d2`` + data with GS
separators: GTIN, expiry, batch, serial, as on a medicine pack), best of ``--rounds``. biip is timed
through ``biip.parse`` (its entry point, which also tries GTIN/UPC/SSCC readings) and through
``GS1Message.parse`` (the message parser alone); the ratio is ours/biip (above 1: we are faster).

Agreement: a labelled set of valid inputs and of inputs with one deliberate defect each (check
digit, date, length, character set, unknown AI, pairing, association, Digital Link syntax), in all
three forms. Each tool's verdict (accept/reject) is compared with the label. biip "accepts" when
it parses the input as a GS1 message or Digital Link URI with no element-level error.

Scans (bench/gs1_scans.py): every carrier drawn by zint and read by zxing-cpp (zbar for UPC-E sent
unexpanded), plus broken variants; false alarms and misses are counted apart, and the GTIN each
tool reads is compared with the one the symbol was made from.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import biip
from biip.gs1_messages import GS1Message
from gs1_scans import labelled as labelled_scans

from conformance.gs1 import to_bracketed, to_digital_link, to_unbracketed, validate
from conformance.gs1.linters import CSET82, check_digit
from conformance.gs1.outcome import Element

GS = "\x1d"
BATCH_CHARS = CSET82.replace("(", "")


def gtin(rng: random.Random) -> str:
    payload = "0" + "".join(rng.choice("0123456789") for _ in range(12))
    return payload + str(check_digit(payload))


def pack(rng: random.Random) -> list[Element]:
    """What a medicine pack's DataMatrix carries (FMD / UDI style)."""
    day = rng.randint(0, 28)
    return [Element("01", gtin(rng)), Element("17", f"{rng.randint(24, 35):02d}{rng.randint(1, 12):02d}{day:02d}"),
            Element("10", "".join(rng.choice(BATCH_CHARS) for _ in range(rng.randint(1, 20)))),
            Element("21", "".join(rng.choice(BATCH_CHARS) for _ in range(rng.randint(1, 20))))]


def scanner_inputs(rng: random.Random, count: int) -> list[str]:
    return [to_unbracketed(pack(rng), symbology="]d2") for _ in range(count)]


# Each defect: (name, function from a valid pack to broken elements).
def _set(els: list[Element], ai: str, value: str) -> list[Element]:
    return [Element(e.ai, value if e.ai == ai else e.value) for e in els]


DEFECTS: dict[str, Callable[[list[Element]], list[Element]]] = {
    "check digit": lambda e: _set(e, "01", e[0].value[:-1] + str((int(e[0].value[-1]) + 1) % 10)),
    "month 13": lambda e: _set(e, "17", "251301"),
    "day 32": lambda e: _set(e, "17", "250132"),
    "Feb 30": lambda e: _set(e, "17", "250230"),
    "Feb 29 non-leap": lambda e: _set(e, "17", "270229"),
    "GTIN 13 digits": lambda e: _set(e, "01", e[0].value[1:]),
    "batch 21 chars": lambda e: _set(e, "10", "A" * 21),
    "space in serial": lambda e: _set(e, "21", "AB 12"),
    "non-ASCII in batch": lambda e: _set(e, "10", "LOT\u00e91"),
    "unknown AI": lambda e: [*e, Element("23", "1234")],
    "serial without GTIN": lambda e: e[1:],
    "GTIN with CONTENT": lambda e: [*e, Element("02", e[0].value)],
    "net weight twice": lambda e: [*e, Element("3100", "000100"), Element("3101", "000100")],
    "AI 3106 (not in range)": lambda e: [*e, Element("3106", "000100")],
    "expiry alone": lambda e: [e[1]],
}


def labelled_set(rng: random.Random, per_case: int = 20) -> list[tuple[str, bool, str]]:
    cases: list[tuple[str, bool, str]] = []
    for _ in range(per_case):
        good = pack(rng)
        cases += [(to_bracketed(good), True, "valid bracketed"),
                  (to_unbracketed(good, symbology="]d2"), True, "valid scanner"),
                  (to_digital_link(good), True, "valid digital link")]
        for name, breaker in DEFECTS.items():
            bad = breaker(good)
            cases += [(to_bracketed(bad), False, name), (to_unbracketed(bad, symbology="]d2"), False, name)]
    gtin_ = pack(rng)[0].value
    cases += [("", False, "empty"), ("1" * 10240, False, "10 kB"), ("hello", False, "not GS1"),
              (f"https://id.gs1.org/01/{gtin_}/21/X/10/A", False, "DL qualifier order"),
              (f"https://id.gs1.org/01/{gtin_}?21=A", False, "DL serial in query"),
              ("https://id.gs1.org/ARHKVAdpQgTSUrA", False, "DL compressed"),
              (f"urn:epc:id:sgtin:{gtin_}", False, "EPC URN"),
              (f"]d2{GS}01{gtin_}\x07", False, "control character")]
    return cases


def ours(text: str) -> bool:
    return validate(text).valid


def theirs(text: str) -> bool:
    try:
        if text.startswith("("):
            elements = GS1Message.parse_hri(text).element_strings
        else:
            result = biip.parse(text)
            if result.gs1_message is not None and result.gs1_message_error is None:
                elements = result.gs1_message.element_strings
            elif result.gs1_digital_link_uri is not None:
                elements = result.gs1_digital_link_uri.element_strings
            else:
                return False
    except Exception:  # noqa: BLE001 - any failure of the peer to read the input is a rejection
        return False
    return bool(elements) and not any(e.gtin_error or e.sscc_error or e.gln_error for e in elements)


def gtin_of_ours(text: str) -> str:
    return validate(text).ais.get("01", "")


def gtin_of_theirs(text: str) -> str:
    try:
        result = biip.parse(text)
        return result.gtin.as_gtin_14() if result.gtin is not None else ""
    except Exception:  # noqa: BLE001 - any failure of the peer to read the input is no GTIN
        return ""


def theirs_scan(text: str) -> bool:
    """biip's verdict on scanner data: its GTIN reading counts for EAN/UPC/ITF carriers."""
    if theirs(text):
        return True
    try:
        result = biip.parse(text)
    except Exception:  # noqa: BLE001
        return False
    return result.gtin is not None and result.gtin_error is None and text[:3] in ("]E0", "]E3", "]E4", "]I1")


def report_scans(rng: random.Random, per_carrier: int) -> None:
    """False alarms (a valid scan rejected), misses (a broken one accepted) and GTINs, per tool."""
    cases = labelled_scans(rng, per_carrier)
    valid = [c for c in cases if c[1]]
    broken = [c for c in cases if not c[1]]
    print(f"scanner strings from zint symbols read by zxing-cpp/zbar: {len(valid)} valid, {len(broken)} broken")
    for tool, judge, gtin_of in (("conformance.gs1", ours, gtin_of_ours), ("biip", theirs_scan, gtin_of_theirs)):
        false_alarms = [c for c in valid if not judge(c[0])]
        misses = [c for c in broken if judge(c[0])]
        wrong_gtin = [c for c in valid if gtin_of(c[0]) != c[3]]
        agree = len(cases) - len(false_alarms) - len(misses)
        print(f"  {tool:16s} agreement {agree}/{len(cases)} ({100 * agree / len(cases):.1f}%)  false alarms "
              f"{len(false_alarms)}  misses {len(misses)}  wrong GTIN {len(wrong_gtin)}/{len(valid)}")
        by_case: dict[str, int] = {}
        for c in false_alarms + misses + wrong_gtin:
            by_case[c[2]] = by_case.get(c[2], 0) + 1
        if by_case:
            print("    by case: " + ", ".join(f"{k} {v}" for k, v in sorted(by_case.items())))


def rate(fn: Callable[[str], object], inputs: list[str], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for text in inputs:
            fn(text)
        best = min(best, time.perf_counter() - t0)
    return len(inputs) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--per-carrier", type=int, default=20, help="symbols drawn per carrier for the scan set")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    inputs = scanner_inputs(rng, args.count)
    assert all(ours(t) for t in inputs[:200]), "generated inputs must be valid"
    ours_rate = rate(validate, inputs, args.rounds)
    biip_rate = rate(biip.parse, inputs, args.rounds)
    msg_rate = rate(lambda t: GS1Message.parse(t[3:]), inputs, args.rounds)
    print(f"throughput on {len(inputs)} scanner strings (]d2, 4 AIs each), best of {args.rounds}:")
    print(f"  conformance.gs1.validate  {ours_rate:10,.0f} /s")
    print(f"  biip.parse                {biip_rate:10,.0f} /s   ratio ours/biip {ours_rate / biip_rate:.2f}")
    print(f"  biip GS1Message.parse     {msg_rate:10,.0f} /s   ratio ours/biip {ours_rate / msg_rate:.2f}")
    cases = labelled_set(rng)
    ours_ok = sum(ours(t) == label for t, label, _ in cases)
    theirs_ok = sum(theirs(t) == label for t, label, _ in cases)
    print(f"agreement with labels on {len(cases)} inputs ({sum(1 for c in cases if c[1])} valid, "
          f"{sum(1 for c in cases if not c[1])} broken):")
    print(f"  conformance.gs1  {ours_ok}/{len(cases)} ({100 * ours_ok / len(cases):.1f}%)")
    print(f"  biip             {theirs_ok}/{len(cases)} ({100 * theirs_ok / len(cases):.1f}%)")
    missed: dict[str, list[int]] = {}
    for text, label, name in cases:
        row = missed.setdefault(name, [0, 0, 0])
        row[0] += 1
        row[1] += ours(text) != label
        row[2] += theirs(text) != label
    wrong = {k: v for k, v in missed.items() if v[1] or v[2]}
    if wrong:
        print("  wrong verdicts by case (cases, ours, biip):")
        for name, (n, o, b) in sorted(wrong.items()):
            print(f"    {name:26s} {n:4d} {o:4d} {b:4d}")
    report_scans(rng, args.per_carrier)


if __name__ == "__main__":
    main()
