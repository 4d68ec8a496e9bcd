#!/usr/bin/env python3
"""Coverage matrix of HL7's ERROR rules against this validator's defect codes (issue 21).

    .venv/bin/python scripts/hl7_rule_matrix.py /work/.mirror/hapifhir+org.hl7.fhir.core/repo \
        [--rev HEAD] [--marks scripts/hl7_rule_matrix.tsv] [--list] [--status missing]

Reads every Java file under ``org.hl7.fhir.validation/.../validation/instance/``, and ``BaseValidator.java``
beside it, of a git mirror of hapifhir/org.hl7.fhir.core (``git show REV:path``, no checkout needed) and lists
each call that can raise an ERROR: ``rule``, ``rulePlural``, ``ruleInv``, ``ruleHtml``, ``txRule`` (always an error) and
``warningOrError`` / ``hintOrError`` (an error under a condition), with the message id, file and
method. The hand-written marks file says, per message id (or id prefix ending in ``*``), which of our
defect codes covers it, or why not: ``n/a`` (not R4, needs a terminology server, a fetcher or an
option) or ``missing``. Nothing of HL7's is copied: the script reads the mirror each time it runs.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

VALIDATION = "org.hl7.fhir.validation/src/main/java/org/hl7/fhir/validation/"
INSTANCE = VALIDATION + "instance/"
# Java files directly under validation/ that raise errors themselves (git grep of rule/txRule/...OrError at
# b06c7ee: only BaseValidator, whose resolveInBundle, getFromBundle, getXverExt and loadFoundResource the
# instance package calls). The helper methods' own declarations and delegations are not call sites.
BASE_FILES = ("BaseValidator.java",)
ALWAYS = ("rule", "rulePlural", "ruleInv", "ruleHtml", "txRule")
SOMETIMES = ("warningOrError", "hintOrError")
CALL = re.compile(r"(?<![\w.])(" + "|".join(ALWAYS + SOMETIMES) + r")\s*\(")
METHOD = re.compile(
    r"^\s+(?:(?:public|private|protected|static|final|synchronized)\s+)+"
    r"(?:<[^>]*>\s*)?[\w<>\[\], .?]+?\s+(\w+)\s*\("
)
DECLARED = re.compile(r"\b(?:boolean|void)\s+$")
MESSAGE = re.compile(r"I18nConstants\.(\w+)")
MARKS = Path(__file__).with_name("hl7_rule_matrix.tsv")


@dataclass(frozen=True)
class Rule:
    """One call site that can raise an ERROR."""

    message: str
    kind: str
    file: str
    method: str
    line: int


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def _strip_comments(text: str) -> str:
    """Blank out comments (keeping line breaks and string literals), so a commented-out rule is not counted."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _arguments(text: str, start: int) -> str:
    """The text between the parenthesis at ``start`` and its match."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c == '"':
            i = text.index('"', i + 1) if text.find('"', i + 1) >= 0 else len(text)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
        i += 1
    return text[start + 1 :]


def rules_in(text: str, file: str) -> list[Rule]:
    """Every ERROR-capable call in one Java source, with the method it sits in."""
    text = _strip_comments(text)
    lines = text.split("\n")
    method_at: list[str] = []
    current = "?"
    for line in lines:
        m = METHOD.match(line)
        if m and not line.rstrip().endswith(";") and m.group(1) not in ("if", "for", "while", "return", "new"):
            current = m.group(1)
        method_at.append(current)
    found: list[Rule] = []
    for m in CALL.finditer(text):
        line_no = text.count("\n", 0, m.start()) + 1
        if DECLARED.search(text, max(0, m.start() - 20), m.start()) or method_at[line_no - 1] in ALWAYS + SOMETIMES:
            continue  # the helper's declaration, or its body handing on to an overload
        args = _arguments(text, m.end() - 1)
        ids = MESSAGE.findall(args)
        if ids:
            message = ids[0]
        else:
            literal = re.search(r'"([^"]*)"', args.split(",", 6)[-1])
            message = f'"{literal.group(1)}"' if literal else "(computed)"
        found.append(Rule(message, m.group(1), file, method_at[line_no - 1], line_no))
    return found


def collect(repo: Path, rev: str) -> list[Rule]:
    """All rules of the ``instance`` package and of BaseValidator at ``rev``."""
    files = [f for f in _git(repo, "ls-tree", "-r", "--name-only", rev, INSTANCE).split() if f.endswith(".java")]
    rules: list[Rule] = []
    for f in files:
        rules += rules_in(_git(repo, "show", f"{rev}:{f}"), f[len(INSTANCE) :])
    for name in BASE_FILES:
        rules += rules_in(_git(repo, "show", f"{rev}:{VALIDATION}{name}"), name)
    return rules


def load_marks(path: Path) -> list[tuple[str, str, str]]:
    """(id or prefix*, status, note) rows; '#' starts a comment."""
    rows = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        rows.append((parts[0].strip(), parts[1].strip(), parts[2].strip() if len(parts) > 2 else ""))
    return rows


def mark_of(message: str, marks: list[tuple[str, str, str]]) -> tuple[str, str]:
    """Exact id first, then the longest matching prefix; unmarked ids say so."""
    for key, status, note in marks:
        if key == message:
            return status, note
    best = max((m for m in marks if m[0].endswith("*") and message.startswith(m[0][:-1])),
               key=lambda m: len(m[0]), default=None)
    return (best[1], best[2]) if best else ("unmarked", "")


def category(status: str) -> str:
    """covered (a defect code), n/a, missing, or unmarked."""
    if status.startswith("n/a"):
        return "n/a"
    return status if status in ("missing", "unmarked") else "covered"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", type=Path, help="git directory of a hapifhir/org.hl7.fhir.core mirror")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--marks", type=Path, default=MARKS)
    ap.add_argument("--list", action="store_true", help="one line per message id")
    ap.add_argument("--status", help="list only ids in this category (covered, n/a, missing, unmarked)")
    args = ap.parse_args(argv)
    rules = collect(args.repo, args.rev)
    marks = load_marks(args.marks)
    by_id: dict[str, list[Rule]] = {}
    for r in rules:
        by_id.setdefault(r.message, []).append(r)
    counts: Counter[str] = Counter()
    for message in sorted(by_id):
        status, note = mark_of(message, marks)
        cat = category(status)
        counts[cat] += 1
        if args.list and (args.status is None or args.status == cat):
            where = ", ".join(sorted({f"{Path(r.file).stem}.{r.method}" for r in by_id[message]}))
            kinds = "/".join(sorted({r.kind for r in by_id[message]}))
            print(f"{message}\t{status}\t{kinds}\t{where}\t{note}")
    print(f"call sites {len(rules)}; message ids {len(by_id)}: "
          + ", ".join(f"{k} {counts[k]}" for k in ("covered", "n/a", "missing", "unmarked")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
