#!/usr/bin/env python3
"""HL7 v2 parse+validate throughput and defect detection: conformance.hl7v2 vs hl7apy, same messages, one run.

    .venv/bin/python bench/hl7v2_throughput.py [--repeat 50] [--rounds 3]

Throughput: messages per second over the synthetic valid set (fixtures/hl7v2/valid: ADT A01-A40,
ORU^R01, ORM^O01, MDM^T02), best of ``--rounds``, each round validating every message ``--repeat``
times. Ours is timed twice: against the standard alone, and against the message's NHS profile.
hl7apy is timed as ``parse_message(..., validation_level=STRICT, find_groups=True)`` followed by
``Message.validate()``, its strict validation. Only messages hl7apy accepts are timed, so neither side
pays for exceptions; the ratio is ours/hl7apy (above 1: we are faster).

Detection: the broken set (fixtures/hl7v2/broken, one labelled defect each). A tool "catches" a
message when it rejects it; ours is also scored on naming the labelled defect at the labelled
location. hl7apy stops at its first problem and knows no profile, so profile-level defects (value
sets, NHS number, usage X, lengths) are invisible to it. False rejections of the valid set are
counted for both.
"""

from __future__ import annotations

import argparse
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from conformance.hl7v2 import Profile, load_profile, validate
from conformance.hl7v2.locations import same_place

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hl7v2"


def profile_for(stem: str) -> Profile:
    return load_profile("nhs-" + stem.replace("_", "-"))


def hl7apy_error(text: str) -> str | None:
    """hl7apy's strict verdict: None when it accepts the message, else its first complaint."""
    try:
        message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
        message.validate()
    except Exception as exc:  # noqa: BLE001  any exception is hl7apy rejecting the message
        return f"{type(exc).__name__}: {str(exc)[:90]}"
    return None


def rate(fn: Callable[[], int], rounds: int) -> float:
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    valid = [(p.stem, p.read_bytes().decode().strip("\r")) for p in sorted((FIXTURES / "valid").glob("*.hl7"))]
    profiles = {stem: profile_for(stem) for stem, _ in valid}
    apy_rejects = {stem: err for stem, text in valid if (err := hl7apy_error(text))}
    ours_rejects = {stem for stem, text in valid if not validate(text, profiles[stem]).valid}
    timed = [(stem, text) for stem, text in valid if stem not in apy_rejects]

    def ours_standard() -> int:
        for _ in range(args.repeat):
            for _stem, text in timed:
                validate(text)
        return args.repeat * len(timed)

    def ours_profile() -> int:
        for _ in range(args.repeat):
            for stem, text in timed:
                validate(text, profiles[stem])
        return args.repeat * len(timed)

    def hl7apy_strict() -> int:
        for _ in range(args.repeat):
            for _stem, text in timed:
                parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()
        return args.repeat * len(timed)

    ours_standard()  # warm the standard's tables and the profiles' caches once
    r_std, r_prof, r_apy = (rate(f, args.rounds) for f in (ours_standard, ours_profile, hl7apy_strict))
    print(f"Throughput over {len(timed)} valid messages x {args.repeat}, best of {args.rounds} (messages/s):")
    print(f"  conformance.hl7v2, standard only     {r_std:10,.0f}   ratio vs hl7apy {r_std / r_apy:5.2f}")
    print(f"  conformance.hl7v2, standard+profile  {r_prof:10,.0f}   ratio vs hl7apy {r_prof / r_apy:5.2f}")
    print(f"  hl7apy parse STRICT + validate()     {r_apy:10,.0f}")

    cases = tomllib.loads((FIXTURES / "broken" / "manifest.toml").read_text())["case"]
    ours_caught = ours_exact = apy_caught = 0
    rows = []
    for case in cases:
        text = (FIXTURES / "broken" / case["file"]).read_bytes().decode().strip("\r")
        result = validate(text, load_profile(case["profile"]))
        exact = [(i.defect, i.where) for i in result.errors] == [(case["defect"], case["location"])]
        apy = hl7apy_error(text)
        ours_caught += not result.valid
        ours_exact += exact
        apy_caught += apy is not None
        rows.append(f"  {case['file']:34} ours: {'exact' if exact else 'caught' if not result.valid else 'MISSED':6}"
                    f"  hl7apy: {apy or 'MISSED'}")
    print(f"\nBroken set: {len(cases)} messages, one labelled defect each")
    print(f"  conformance.hl7v2: caught {ours_caught}/{len(cases)}, "
          f"exact defect and location {ours_exact}/{len(cases)}")
    print(f"  hl7apy strict:     caught {apy_caught}/{len(cases)} (first problem only, no location, no profile)")
    print("\n".join(rows))
    heldout = FIXTURES / "heldout"
    held = tomllib.loads((heldout / "manifest.toml").read_text())["files"]
    h_caught = h_placed = h_apy = 0
    for name, case in held.items():
        text = (heldout / name).read_bytes().decode()
        result = validate(text, load_profile(case["profile"]))
        h_caught += not result.valid
        h_placed += any(same_place(case["location"], i.where or f"segment {i.line}") for i in result.errors)
        h_apy += hl7apy_error(text) is not None
    print(f"\nHeld-out set (written without reading the validator): {len(held)} messages")
    print(f"  conformance.hl7v2: caught {h_caught}/{len(held)}, at the labelled location {h_placed}/{len(held)}")
    print(f"  hl7apy strict:     caught {h_apy}/{len(held)}")
    print(f"\nValid set: {len(valid)} messages; false rejections: ours {len(ours_rejects)}, hl7apy {len(apy_rejects)}")
    for stem, err in sorted(apy_rejects.items()):
        print(f"  hl7apy rejects valid {stem}: {err}")


if __name__ == "__main__":
    main()
