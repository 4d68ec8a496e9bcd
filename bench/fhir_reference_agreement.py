"""Agreement with HL7's reference validator on its own published test cases (FHIR/fhir-test-cases).

    .venv/bin/python bench/fhir_reference_agreement.py --cases PATH [--show tune|heldout] [--limit N]

PATH is a checkout (or an extract) of https://github.com/FHIR/fhir-test-cases holding
``validator/manifest.json``, the case files and ``validator/outcomes/java/``. Nothing of it is kept
in this repository. Selected: R4 (``version`` 4.0) JSON cases that need nothing beyond base R4 (no
``supporting`` / ``profile`` / ``packages`` / ``logical`` definitions, no terminology server module
or ``tx-dependent`` flag, no fetcher). The Java validator's expected outcome is its recorded
OperationOutcome: its error + fatal issues give the expected error count (``errorCount`` in the
manifest wins where present); no errors = valid.

The cases are split by the SHA-256 of their file name: even hashes were used while tuning the
validator, odd ones were never looked at; both are reported, the odd ones as "held out".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_bytes

NEEDS_MORE = ("supporting", "supporting5", "profiles", "profile", "packages", "logical", "fetcher", "tx-dependent",
              "bundle-param", "package-map", "ips", "certificate", "sct")
TERMINOLOGY_MODULES = {"tx", "tx-advanced", "cda", "cdshooks", "shc"}
# Options of HL7's validator, set per case, that change what it reports and that ours does not have: such a
# case's expected outcome is not the default behaviour, so it is left out (and counted). The one option both
# have, allowed-extension-domain (our --extension-domain), is passed on.
OPTIONS_NOT_OFFERED = ("security-checks", "validateReference", "validateContains", "allow-comments", "examples",
                       "r5-bundle-relative-reference-policy", "advisor", "noHtmlInMarkdown", "no-experimental-content",
                       "new-xver-mode")


@dataclass
class Case:
    name: str
    file: Path
    expected_errors: int
    held_out: bool
    got_errors: int = 0
    messages: tuple[str, ...] = ()
    expected_messages: tuple[str, ...] = ()
    extension_domains: tuple[str, ...] = ()


def select(root: Path) -> tuple[list[Case], list[str]]:
    """The cases, and the names of those left out for an option ours does not have."""
    manifest: dict[str, Any] = json.loads((root / "validator" / "manifest.json").read_text(encoding="utf-8"))
    cases: list[Case] = []
    optioned: list[str] = []
    for t in manifest["test-cases"]:
        if not str(t.get("version", "")).startswith("4.0") or not t["file"].endswith(".json"):
            continue
        if t.get("use-test") is False or any(k in t for k in NEEDS_MORE) or t.get("module") in TERMINOLOGY_MODULES:
            continue
        if any(k in t and not (k == "examples" and t[k] is True) for k in OPTIONS_NOT_OFFERED):  # true: the default
            optioned.append(t["name"])
            continue
        java = t.get("java")
        expected: list[dict[str, Any]] = []
        if isinstance(java, str):
            outcome_file = root / "validator" / "outcomes" / java
            if not outcome_file.exists():
                continue
            expected = json.loads(outcome_file.read_text(encoding="utf-8")).get("issue", [])
        elif isinstance(java, dict):
            expected = java.get("outcome", {}).get("issue", [])
        errors = [i for i in expected if i.get("severity") in ("error", "fatal")]
        count = t.get("errorCount", len(errors)) if isinstance(t.get("errorCount"), int) else len(errors)
        path = root / "validator" / t["file"]
        if not path.exists():
            continue
        digest = int(hashlib.sha256(t["file"].encode()).hexdigest(), 16)
        msgs = tuple(f"{(i.get('expression') or [''])[0]}: {(i.get('details') or {}).get('text', '')[:150]}"
                     for i in errors)
        domain = t.get("allowed-extension-domain")
        cases.append(Case(t["name"], path, count, digest % 2 == 1, expected_messages=msgs,
                          extension_domains=(domain,) if isinstance(domain, str) else ()))
    return cases, optioned


def run(cases: list[Case]) -> float:
    source = base_source()
    start = time.perf_counter()
    for case in cases:
        issues = validate_bytes(case.file.read_bytes(), source, extension_domains=case.extension_domains)
        errors = [i for i in issues if i.is_error]
        case.got_errors = len(errors)
        case.messages = tuple(f"{i.location}: [{i.defect}] {i.message[:150]}" for i in errors)
    return time.perf_counter() - start


def report(label: str, cases: list[Case]) -> None:
    if not cases:
        print(f"{label}: no cases")
        return
    verdict = sum((c.got_errors == 0) == (c.expected_errors == 0) for c in cases)
    count = sum(c.got_errors == c.expected_errors for c in cases)
    invalid = [c for c in cases if c.expected_errors]
    caught = sum(c.got_errors > 0 for c in invalid)
    valid = [c for c in cases if not c.expected_errors]
    clean = sum(c.got_errors == 0 for c in valid)
    n = len(cases)
    print(f"{label}: {n} cases; valid/invalid agreement {verdict}/{n} = {100 * verdict / n:.1f}%; "
          f"error-count agreement {count}/{len(cases)} = {100 * count / len(cases):.1f}%; "
          f"invalid caught {caught}/{len(invalid)}, valid passed {clean}/{len(valid)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, required=True, help="checkout of FHIR/fhir-test-cases")
    parser.add_argument("--show", choices=["tune", "heldout"], help="list the disagreements of one half")
    args = parser.parse_args()
    cases, optioned = select(args.cases)
    seconds = run(cases)
    print(f"{len(cases)} R4 JSON cases needing base R4 only, validated in {seconds:.2f} s "
          f"({len(optioned)} more set an option of HL7's validator that ours does not have: {', '.join(optioned)})")
    report("tuning half (even hash)", [c for c in cases if not c.held_out])
    report("held out (odd hash, never seen)", [c for c in cases if c.held_out])
    report("all", cases)
    if args.show:
        for c in cases:
            if c.held_out == (args.show == "heldout") and c.got_errors != c.expected_errors:
                print(f"\n== {c.name} ({c.file.name}): expected {c.expected_errors}, got {c.got_errors}")
                for m in c.expected_messages:
                    print(f"   java: {m}")
                for m in c.messages:
                    print(f"   ours: {m}")


if __name__ == "__main__":
    main()
