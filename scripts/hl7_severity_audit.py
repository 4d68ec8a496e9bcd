#!/usr/bin/env python3
"""Severity audit: for each HL7 message id the rule matrix marks covered, HL7's severities beside ours (issue 21).

    .venv/bin/python scripts/hl7_severity_audit.py /work/.mirror/hapifhir+org.hl7.fhir.core/repo [--rev HEAD]
        [--marks scripts/hl7_rule_matrix.tsv] [--flagged]

HL7's side: every call of HL7's validation module (all Java files under ``org.hl7.fhir.validation/src/main/java``,
read from the mirror with ``git show``) that raises a covered id, by kind (``rule``, ``warning``, ``hint``,
``warningOrError``...) and ``file.method:line``. Our side: the severities of every issue call in conformance/fhirval
(``sink.error``, ``.warning``, ``.info``, ``.display``, ``.best_practice``, ``.add``: a severity computed there
is read as "computed", possibly an error) whose enclosing function cites
the id (else its module's docstring), and, when none cites it, of every call with the row's defect code. The
verdict is mechanical and only sorts what to read by hand: *same* (HL7 errors only, ours errors), *ours softer?*
(HL7 errors only, no error of ours), *ours stricter?* (HL7 never errors, ours does), *conditional* (HL7 errors at
one site or under a condition and not at another: read the Java). Nothing of HL7's is copied.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hl7_error_sites import ERROR_KINDS, OURS, calls, hl7_calls
from hl7_rule_matrix import MARKS, category, load_marks, mark_of

SINK = re.compile(r"\b(?:sink|self|w\.sink|walker\.sink)\.(error|warning|info|display|best_practice|add)\(")
LITERAL_SEVERITY = re.compile(r'\s*"(error|warning|information|fatal)"\s*')
CONDITIONAL = frozenset({"warningOrError", "hintOrError"})
SEVERITY = {"error": "error", "warning": "warning", "info": "information", "display": "display(error|warning)",
            "best_practice": "best-practice"}


def hl7_sites(repo: Path, rev: str) -> dict[str, list[tuple[str, str]]]:
    """Message id -> (kind, file:line) of every call raising it in HL7's validation module."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, message, kind, line in hl7_calls(repo, rev):
        out[message].append((kind, f"{Path(path).stem}:{line}"))
    return out


def our_sites(root: Path = OURS) -> list[tuple[str, str, str, set[str]]]:
    """(file:line, severity, defect, ids cited by the enclosing function or else the module docstring)."""
    out: list[tuple[str, str, str, set[str]]] = []
    for path, lines, i, m, own, module in calls(root, SINK):
        args = _top_level_args("\n".join(lines[i:i + 3])[m.end():])
        if m.group(1) == "add":
            literal = LITERAL_SEVERITY.fullmatch(args[0]) if args else None
            severity = literal.group(1) if literal else "computed"
            args = args[1:]
        else:
            severity = SEVERITY[m.group(1)]
        defect = args[0].strip().strip('"') if args else "?"
        out.append((f"{path.name}:{i + 1}", severity, defect, own or module))
    return out


def _top_level_args(text: str) -> list[str]:
    """The arguments of a call whose text starts after its opening parenthesis, split at the commas outside brackets
    and string literals, up to the closing parenthesis (or the end of the text given)."""
    args: list[str] = []
    depth, quote, start = 0, "", 0
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                args.append(text[start:i])
                return args
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(text[start:i])
            start = i + 1
    args.append(text[start:])
    return args


def verdict(hl7: list[tuple[str, str]], ours: set[str]) -> str:
    kinds = {k for k, _ in hl7}
    errs = kinds & ERROR_KINDS - CONDITIONAL
    lower = kinds - ERROR_KINDS
    if kinds & CONDITIONAL or (errs and lower):
        return "conditional"
    if not ours:
        return "no site of ours"
    if errs:
        return "same" if "error" in ours else "ours softer?"
    return "ours stricter?" if "error" in ours else "same"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", type=Path, help="git directory of a hapifhir/org.hl7.fhir.core mirror")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--marks", type=Path, default=MARKS)
    ap.add_argument("--flagged", action="store_true", help="only the rows whose verdict is not 'same'")
    args = ap.parse_args(argv)
    hl7 = hl7_sites(args.repo, args.rev)
    marks = load_marks(args.marks)
    ours = our_sites()
    counts: dict[str, int] = defaultdict(int)
    for message in sorted(hl7):
        status, _ = mark_of(message, marks)
        if category(status) != "covered" or not any(k in ERROR_KINDS for k, _ in hl7[message]):
            continue
        codes = {c.strip() for c in re.split(r"[,/ ]+", status) if c.strip()}
        cited = [(s, sev) for s, sev, _, ids in ours if message in ids]
        by_code = [(s, sev) for s, sev, defect, _ in ours if defect in codes]
        chosen = cited or by_code
        severities = {sev for _, sev in chosen}
        if severities & {"display(error|warning)", "computed"}:  # an error under some condition of ours
            severities |= {"error"}
        v = verdict(hl7[message], severities)
        counts[v] += 1
        if args.flagged and v == "same":
            continue
        theirs = ", ".join(f"{k}@{where}" for k, where in hl7[message])
        mine = ", ".join(sorted({f"{sev}@{s}" for s, sev in chosen}))
        how = "cited" if cited else "by code"
        print(f"{message}\t{status}\t{v}\tHL7: {theirs}\tours ({how}): {mine}")
    print("covered ids: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
