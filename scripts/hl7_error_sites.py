#!/usr/bin/env python3
"""Our error sites against the severity HL7 gives the rules they cite (issue 21: latent false alarms).

    .venv/bin/python scripts/hl7_error_sites.py /work/.mirror/hapifhir+org.hl7.fhir.core/repo [--rev HEAD]
        [--list suspect|uncited|graded]

scripts/hl7_rule_matrix.py goes from HL7's ERROR rules to our defect codes. This goes the other way, from
each ``sink.error(...)`` call in conformance/fhirval to the HL7 message ids (I18nConstants names) its function
cites in its docstring and comments, and grades each site by how HL7's validator raises those ids (every Java
file under ``org.hl7.fhir.validation/src/main/java``, read from the mirror with ``git show``): *graded*, when
at least one cited id is raised as an error somewhere (``rule``, ``txRule``, ``warningOrError``...);
*suspect*, when every cited id HL7 raises is raised only as a warning, hint or signpost (a rule of ours
that HL7 grades lower generates false alarms); *uncited*, when no raised id is cited (read by hand). A
site's function is the ``def`` above it, back to the previous ``def``; a function that cites none is read
with its module's docstring (a module of one rule cites it there). Nothing of HL7's is copied.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hl7_rule_matrix import MESSAGE, _arguments, _git, _strip_comments

VALIDATION = "org.hl7.fhir.validation/src/main/java/"
OURS = Path(__file__).resolve().parents[1] / "conformance" / "fhirval"
ERROR_KINDS = frozenset({"rule", "rulePlural", "ruleInv", "ruleHtml", "txRule", "fail", "warningOrError",
                         "hintOrError"})
LOWER_KINDS = ("warning", "warningPlural", "warningInv", "warningHtml", "txWarning", "hint", "hintPlural",
               "hintInv", "txHint", "signpost", "suppressedwarning")
CALL = re.compile(r"(?<![\w.])(" + "|".join(sorted(ERROR_KINDS) + list(LOWER_KINDS)) + r")\s*\(")
ID = re.compile(r"\b([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+)\b")
SITE = re.compile(r"\bsink\.error\(\s*([^,]+),")


def hl7_calls(repo: Path, rev: str) -> Iterator[tuple[str, str, str, int]]:
    """(Java file, message id, kind of call: rule, warning, hint..., line) of every call raising an id in HL7's
    validation module."""
    files = _git(repo, "ls-tree", "-r", "--name-only", rev, "--", VALIDATION).split()
    for path in (f for f in files if f.endswith(".java")):
        text = _strip_comments(_git(repo, "show", f"{rev}:{path}"))
        for m in CALL.finditer(text):
            found = MESSAGE.search(_arguments(text, m.end() - 1))
            if found:
                yield path, found.group(1), m.group(1), text.count("\n", 0, m.start()) + 1


def hl7_kinds(repo: Path, rev: str) -> dict[str, set[str]]:
    """Message id -> the kinds of call (rule, warning, hint...) that raise it in HL7's validation module."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for _path, message, kind, _line in hl7_calls(repo, rev):
        kinds[message].add(kind)
    return kinds


def calls(root: Path, pattern: re.Pattern[str]) -> Iterator[tuple[Path, list[str], int, re.Match[str], set[str],
                                                                  set[str]]]:
    """Each line of our modules under ``root`` where ``pattern`` matches: (path, the module's lines, the line's index,
    the match, ids cited in the enclosing function up to that line, ids cited in the module's docstring)."""
    for path in sorted(root.glob("*.py")):
        text = path.read_text()
        doc = re.match(r'\s*"""(.*?)"""', text, re.S)
        module = set(ID.findall(doc.group(1))) if doc else set()
        lines = text.split("\n")
        start = 0
        for i, line in enumerate(lines):
            if line.lstrip().startswith(("def ", "async def ")):
                start = i
            m = pattern.search(line)
            if m:
                yield path, lines, i, m, set(ID.findall("\n".join(lines[start:i + 1]))), module


def sites(root: Path = OURS) -> list[tuple[str, int, str, set[str], set[str]]]:
    """(file, line, defect argument, ids cited in the enclosing function, ids cited in the module's docstring)
    for every sink.error call."""
    return [(path.name, i + 1, m.group(1).strip(), cited, module)
            for path, _lines, i, m, cited, module in calls(root, SITE)]


def grade(cited: set[str], kinds: dict[str, set[str]]) -> str:
    raised = [kinds[c] for c in cited if c in kinds]
    if not raised:
        return "uncited"
    return "graded" if any(k & ERROR_KINDS for k in raised) else "suspect"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("repo", type=Path, help="git directory of a hapifhir/org.hl7.fhir.core mirror")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--list", choices=("suspect", "uncited", "graded"), help="list the sites of one grade")
    args = ap.parse_args(argv)
    kinds = hl7_kinds(args.repo, args.rev)
    found = sites()
    counts: dict[str, int] = defaultdict(int)
    for file, line, defect, own, module in found:
        cited = own if any(c in kinds for c in own) else own | module
        g = grade(cited, kinds)
        counts[g] += 1
        if args.list == g:
            shown = sorted(c for c in cited if c in kinds)
            how = "; ".join(f"{c}: {'/'.join(sorted(kinds[c]))}" for c in shown)
            print(f"{file}:{line}\t{defect}\t{how}")
    print(f"error sites {len(found)}: graded {counts['graded']}, suspect {counts['suspect']}, "
          f"uncited {counts['uncited']}; HL7 message ids raised {len(kinds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
