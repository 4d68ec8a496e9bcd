"""Right verdict for the right reason: our error issues aligned one by one with HL7's recorded ones (issue 21).

    .venv/bin/python bench/fhir_issue_alignment.py --cases PATH [--packages DIR] [--messages FILE|GITDIR]
        [--corpus tune,leftout,other] [--kind base|profile] [--list extra,missing,family,other] [--only KEY]
        [--examples N] [--summary] [--steps [--family FAMILY]]

Verdict and error-count agreement (bench/fhir_reference_agreement.py) can hide a wrong reason: an error of ours
that HL7 does not give, on a step that HL7 judges invalid for something else, is a false alarm waiting for a
similar valid resource, and an HL7 error we miss there is a missed error hidden by it. Every case records HL7's
whole OperationOutcome, so each step is compared issue by issue. An HL7 error (severity error or fatal) and one
of ours are paired, best first: the same place and the same kind; a place enclosing or within the other and the
same kind; the same kind anywhere in the step (HL7 reports some errors at a neighbour's place, e.g. every
Bundle fullUrl at ``entry[0]``); away from the same place, with the kind known from HL7's message id first, then
with a kind guessed from the words the two texts share. What is left is then paired by broad kind
(bench/fhir_issue_families.py: "family", a slicing error and a slicing error), at a place enclosing or within
the other, then anywhere; last by place alone ("other": the same place, or one enclosing the other unless ours is
the resource's root, another reason). The rest is "extra" (ours only: latent false alarms) and
"missing" (HL7's only: latent misses). A step whose outcome is a count without HL7's issues (the manifest's
``errorCount``) has nothing to pair with and is left out. ``--steps`` lists the unaligned issues step by step,
``--family`` only those of one family.

Place: HL7's ``expression`` (else ``location``) and our location, both without ``/*Type/id*/`` comments and
``.ofType(X)``; an XPath (``/f:Observation/f:status``) becomes a dotted path with 0-based indexes. Kind: HL7's
message id, named by the first template of ``Messages.properties`` (org.hl7.fhir.utilities; read from the
file or the git mirror given with ``--messages``, never kept here) that matches the text, and our defect code;
the two are the same kind when scripts/hl7_rule_matrix.tsv marks that id as covered by that code, or when the
texts share most of their words.

Steps: the tuning half of the measure (even hash; the held-out half is never printed, not even by name), the
left-out diagnostics' steps and the other-versions diagnostics' R4-compatible steps, both already filtered of
anything a held-out step touches (bench/fhir_leftout_diagnostics.py, bench/fhir_other_versions_diagnostics.py).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from fhir_issue_families import hl7_family, our_family, same_family
from fhir_leftout_diagnostics import _run, leftout_steps
from fhir_other_versions_diagnostics import R5Core, artefact, other_version_steps
from fhir_qa_missed import Templates, message_id, read_templates
from fhir_reference_agreement import Step, run, runner_terminology, select, with_tx_cache
from hl7_rule_matrix import MARKS, load_marks, mark_of

from conformance.fhirval.issues import Issue
from conformance.fhirval.packages import PackageCache

MIRROR = Path("/work/.mirror/hapifhir+org.hl7.fhir.core/repo")
PROPERTIES = "org.hl7.fhir.utilities/src/main/resources/Messages.properties"
_COMMENT = re.compile(r"/\*.*?\*/")
_OF_TYPE = re.compile(r"\.ofType\(\w+\)")
_XPATH_STEP = re.compile(r"^(?:\w+:)?@?([\w-]+)(?:\[(\d+)\])?$")
_WORD = re.compile(r"[a-z][a-z0-9-]{2,}")
_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|urn:)[^\s'\"()]+")
KINDS = ("extra", "missing", "family", "other")
WHOLE = ("$", "(xml)", "(json)", "XML")  # HL7's places for the input as a whole (a parser's message), ours ""
# HL7 message ids the matrix (which lists the instance validator's rules) does not mark: its parsers' messages and
# the Bundle reference rules, with the defect code of ours that gives the same finding
ALIASES = {
    "UNABLE_TO_FIND_RESOURCETYPE_PROPERTY": "not-resource", "ERROR_PARSING_JSON_": "not-json",
    "UNDEFINED_ELEMENT_": "unknown-element", "UNDEFINED_ATTRIBUTE__ON__FOR_TYPE__PROPERTIES__": "unknown-element",
    "UNRECOGNISED_PROPERTY_": "unknown-element", "DUPLICATE_JSON_PROPERTY_KEY": "json-duplicate",
    "ERROR_PARSING_XHTML_": "narrative", "BUNDLE_BUNDLE_ENTRY_NOTFOUND_CANNOT": "reference-unresolved",
    "BUNDLE_BUNDLE_ENTRY_NOTFOUND_APPARENT": "reference-unresolved", "INV_FAILED_SOURCE": "invariant",
    "ELEMENT_MUST_HAVE_SOME_CONTENT": "invariant", "TEXT_SHOULD_NOT_BE_PRESENT": "xml",
    "REFERENCE_REF_FORMAT1": "reference-format", "REFERENCE_REF_FORMAT2": "reference-format",
    "BUNDLE_BUNDLE_FULLURL_MISSING": "reference-unresolved", "XML_ENCODING_INVALID": "xml",
    "WRONG_NAMESPACE__EXPECTED_": "xml-namespace", "XHTML_XHTML_NS_INVALID": "narrative",
    "THIS_DOES_NOT_APPEAR_TO_BE_A_FHIR_RESOURCE_UNKNOWN_NAMESPACENAME_": "xml",
    "JSON_COMMENTS_NOT_ALLOWED": "json-syntax", "JSON_COMMA_MISSING": "json-syntax", "JSON_COMMA_EXTRA": "json-syntax",
    "JSON_PROPERTY_NO_QUOTES": "json-syntax", "JSON_PROPERTY_VALUE_NO_QUOTES": "json-syntax",
}


@dataclass
class Hl7Issue:
    """One of HL7's error or fatal issues: where, its message id (``?`` when no template matches), its text."""

    place: str
    key: str
    text: str


@dataclass
class Alignment:
    """One step's issues paired: matched pairs, pairs at one place for other reasons, and what is left."""

    step: str
    corpus: str
    file: str = ""
    matched: list[tuple[Hl7Issue, Issue]] = field(default_factory=list)
    family: list[tuple[Hl7Issue, Issue]] = field(default_factory=list)
    other: list[tuple[Hl7Issue, Issue]] = field(default_factory=list)
    extra: list[Issue] = field(default_factory=list)
    missing: list[Hl7Issue] = field(default_factory=list)


def place(location: str) -> str:
    """A location in one notation: no resource comments, no ``.ofType(X)``, an XPath as a dotted 0-based path."""
    location = _OF_TYPE.sub("", _COMMENT.sub("", location.strip()))
    if location in WHOLE:
        return ""
    if not location.startswith("/"):
        return location
    parts = []
    for part in location.strip("/").split("/"):
        found = _XPATH_STEP.match(part)
        if found is None:
            return location  # not an XPath this reads: kept as it is
        parts.append(found[1] + (f"[{int(found[2]) - 1}]" if found[2] else ""))
    return ".".join(parts)


def related(a: str, b: str) -> bool:
    """The same place, or one enclosing the other (``x.subject`` and ``x.subject.reference``)."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return bool(short) and long.startswith(short) and long[len(short)] in ".["


def nearby(theirs: str, ours: str) -> bool:
    """The same place, or one enclosing the other, ours below the resource's root: our root-level error (an unknown
    profile) would pair with any of HL7's of another kind, while HL7 puts whole-resource findings at the root
    (InstanceValidator's snapshot errors: ``Error generating Snapshot``) that one of ours deeper down may share."""
    return theirs == ours or ("." in ours and related(theirs, ours))


def hl7_issues(step: Step, templates: Templates) -> list[Hl7Issue]:
    out = []
    for raw in step.expected_issues:
        where = (raw.get("expression") or raw.get("location") or [""])[0]
        text = str((raw.get("details") or {}).get("text", "") or raw.get("diagnostics", ""))
        out.append(Hl7Issue(place(str(where)), message_id(text, templates) if templates else "?", text))
    return out


def _words(text: str) -> set[str]:
    """The text's words, URLs left out: two messages naming one profile's URL share its words, not their reason."""
    return set(_WORD.findall(_URL.sub(" ", text.lower())))


def constant(key: str) -> str:
    """A Messages.properties key as the matrix names it, I18nConstants' constant (``Validation_VAL_Profile_Minimum_one``
    is VALIDATION_VAL_PROFILE_MINIMUM, its plural forms one)."""
    return re.sub(r"_(ONE|OTHER)$", "", key.upper())


def same_kind(theirs: Hl7Issue, ours: Issue, marks: list[tuple[str, str, str]], *, by_id: bool = False) -> bool:
    """The matrix marks HL7's id as covered by our code, or (unless ``by_id``) the two texts share most of their
    words."""
    key = constant(theirs.key)
    if theirs.key != "?" and ours.defect in [ALIASES.get(key), *re.split(r"[\s,/;]+", mark_of(key, marks)[0])]:
        return True
    if by_id:
        return False
    a, b = _words(theirs.text), _words(ours.message)
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= 0.6


def align(step: Step, corpus: str, templates: Templates, marks: list[tuple[str, str, str]]) -> Alignment:
    """Pair HL7's errors with ours, the closest kind of pairing first (see the module's docstring)."""
    result = Alignment(step.name, corpus, step.file.name)
    theirs, ours = hl7_issues(step, templates), list(step.issues)
    # away from the same place, a kind known by HL7's message id first, anywhere in the step, before a kind guessed
    # from shared words: two messages about one URL share its words (a fullUrl HL7 reports at entry[0], a reference
    # inside that entry)
    passes: list[tuple[Callable[[Hl7Issue, Issue], bool], list[tuple[Hl7Issue, Issue]]]] = [
        (lambda t, o: t.place == place(o.location) and same_kind(t, o, marks), result.matched),
        (lambda t, o: related(t.place, place(o.location)) and same_kind(t, o, marks, by_id=True), result.matched),
        (lambda t, o: same_kind(t, o, marks, by_id=True), result.matched),
        (lambda t, o: related(t.place, place(o.location)) and same_kind(t, o, marks), result.matched),
        (lambda t, o: same_kind(t, o, marks), result.matched),
        (lambda t, o: related(t.place, place(o.location)) and same_family(t.text, o.defect), result.family),
        (lambda t, o: same_family(t.text, o.defect), result.family),
        (lambda t, o: nearby(t.place, place(o.location)), result.other),
    ]
    for test, into in passes:
        for t in list(theirs):
            o = next((o for o in ours if test(t, o)), None)
            if o is not None:
                into.append((t, o))
                theirs.remove(t)
                ours.remove(o)
    result.extra, result.missing = ours, theirs
    return result


def corpora(root: Path, cache: PackageCache, wanted: Iterable[str],
            tx_cache: Path | None = None) -> list[tuple[str, Step]]:
    """The steps that may be looked at, run, by corpus: never a held-out (odd-hash) step of the measure.
    ``tx_cache``: HL7's recorded terminology answers for the R4 corpora (tune, leftout)."""
    out: list[tuple[str, Step]] = []
    if "tune" in wanted:
        tune = [s for s in select(root, cache)[0] if not s.held_out]
        with_tx_cache(tune, tx_cache)
        run(tune, cache)
        out += [("tune", s) for s in tune]
    if "leftout" in wanted:
        cases = leftout_steps(root, cache)[0]
        with_tx_cache([c.step for c in cases], tx_cache)
        _run(cases, cache)
        out += [("leftout", c.step) for c in cases]
    if "other" in wanted:
        cases = other_version_steps(root, cache)[0]
        _run(cases, cache)
        r5 = R5Core(cache)
        out += [("other", c.step) for c in cases if not artefact(c, r5)]  # R4-compatible only
    assert not any(s.held_out for c, s in out if c == "tune"), "a held-out step of the measure is never aligned"
    # a count without HL7's issues (the manifest's errorCount) leaves nothing to pair with
    return [(c, s) for c, s in out if s.got_errors >= 0 and s.expected_errors == len(s.expected_issues)]


def load_templates(source: Path | None) -> Templates:
    """HL7's message templates, from a Messages.properties file or a git mirror of org.hl7.fhir.core."""
    if source is None:
        return []
    if source.is_file():
        return read_templates(source.read_text(encoding="utf-8"))
    text = subprocess.run(["git", "-C", str(source), "show", f"HEAD:{PROPERTIES}"], check=True,
                          capture_output=True, text=True).stdout
    return read_templates(text)


def totals(label: str, rows: list[Alignment]) -> str:
    n = collections.Counter({k: sum(len(getattr(a, k)) for a in rows) for k in ("matched", *KINDS)})
    paired = n["matched"] + n["family"] + n["other"]
    return (f"{label}: {len(rows)} steps; HL7 errors {paired + n['missing']}, ours {paired + n['extra']}; matched "
            f"{n['matched']}; same family {n['family']}; same place, other reason {n['other']}; extra (ours only) "
            f"{n['extra']}; missing (HL7's only) {n['missing']}; steps fully aligned "
            f"{sum(not (a.family or a.other or a.extra or a.missing) for a in rows)}, with no extra or missing "
            f"{sum(not (a.extra or a.missing) for a in rows)}")


def by_family(rows: list[Alignment]) -> list[str]:
    """The extra and missing issues counted by broad kind, most first."""
    extra = collections.Counter(our_family(i.defect) for a in rows for i in a.extra)
    missing = collections.Counter(hl7_family(t.text) for a in rows for t in a.missing)
    return [f"{label}, by family: " + ", ".join(f"{k} {n}" for k, n in found.most_common())
            for label, found in (("extra (ours only)", extra), ("missing (HL7's only)", missing))]


def by_step(rows: list[Alignment], family: str | None) -> list[str]:
    """Each step's extra and missing issues (of one family if given), the step named (never a held-out one)."""
    lines = []
    for a in rows:
        extra = [i for i in a.extra if not family or our_family(i.defect) == family]
        missing = [t for t in a.missing if not family or hl7_family(t.text) == family]
        if extra or missing:
            paired = len(a.matched) + len(a.family) + len(a.other)
            hl7, ours = paired + len(a.missing), paired + len(a.extra)
            lines.append(f"\n== {a.corpus}: {a.step} ({a.file}): HL7 {hl7}, ours {ours}")
            lines += [f"   extra   {our_family(i.defect)}: {i.location}: [{i.defect}] {i.message[:200]}" for i in extra]
            lines += [f"   missing {hl7_family(t.text)}: {t.place}: {t.text[:200]}" for t in missing]
    return lines


def _entries(a: Alignment, kind: str) -> list[tuple[str, str]]:
    """(class key, one line) for each unaligned issue of one kind."""
    if kind == "extra":
        return [(i.defect, f"{a.step}: {i.location}: {i.message[:140]}") for i in a.extra]
    if kind == "missing":
        return [(t.key, f"{a.step}: {t.place}: {t.text[:140]}") for t in a.missing]
    return [(f"{o.defect} / {t.key}", f"{a.step}: {t.place}: HL7 {t.text[:90]} | ours {o.message[:90]}")
            for t, o in getattr(a, kind)]


def classes(rows: list[Alignment], kind: str, marks: list[tuple[str, str, str]], only: str | None,
            examples: int) -> list[str]:
    """Per class (our code, HL7's id, or both for "other"), most issues first: the count, steps and examples."""
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for a in rows:
        for key, line in _entries(a, kind):
            groups[key].append(f"[{a.corpus}] {line}")
    lines = []
    for key, found in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if only and only not in key:
            continue
        note = f"  (matrix: {mark_of(constant(key), marks)[0]})" if kind == "missing" and key != "?" else ""
        lines.append(f"  {len(found):4d}  {key}{note}")
        lines += [f"          {line}" for line in found[:examples]]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, required=True, help="checkout of FHIR/fhir-test-cases")
    parser.add_argument("--packages", type=Path, metavar="DIR", help="FHIR packages (a cache or .tgz files)")
    parser.add_argument("--messages", type=Path, default=MIRROR if MIRROR.is_dir() else None,
                        help="HL7's Messages.properties, or a git mirror of org.hl7.fhir.core holding it")
    parser.add_argument("--corpus", default="tune,leftout,other", help="tune, leftout, other (comma-separated)")
    parser.add_argument("--kind", choices=["base", "profile"], help="base or profile steps only")
    parser.add_argument("--list", default="extra,missing,family,other",
                        help="classes to list: extra, missing, family, other")
    parser.add_argument("--only", metavar="KEY", help="list only classes whose key contains this")
    parser.add_argument("--examples", type=int, default=3, metavar="N", help="examples per class (default 3)")
    parser.add_argument("--summary", action="store_true", help="print the totals only")
    parser.add_argument("--tx-cache", type=Path, metavar="DIR",
                        help="HL7's recorded terminology answers (txCache/.../4.0.1) for the tune and leftout corpora")
    parser.add_argument("--steps", action="store_true", help="list the extra and missing issues step by step")
    parser.add_argument("--family", help="with --steps, only the issues of this family (fhir_issue_families.py)")
    args = parser.parse_args(argv)
    cache = PackageCache(args.packages or args.cases / "validator" / "packages")
    runner_terminology(args.cases, cache, None)
    templates, marks = load_templates(args.messages), load_marks(MARKS)
    wanted = args.corpus.split(",")
    steps = [(c, s) for c, s in corpora(args.cases, cache, wanted, args.tx_cache)
             if not args.kind or s.name.endswith(f"[{args.kind}]")]
    rows = [align(s, c, templates, marks) for c, s in steps]
    print(f"HL7 message templates: {len(templates)} ({args.messages or 'none: every id is ?'})")
    for corpus in wanted:
        for kind in [args.kind] if args.kind else ["base", "profile"]:
            print(totals(f"{corpus} {kind}", [a for a in rows if a.corpus == corpus and a.step.endswith(f"[{kind}]")]))
    print(totals("all", rows))
    print("\n".join(by_family(rows)))
    if args.summary:
        return 0
    if args.steps:
        print("\n".join(by_step(rows, args.family)))
        return 0
    for kind in (k for k in args.list.split(",") if k in KINDS):
        print(f"\n{kind} by class:")
        for line in classes(rows, kind, marks, args.only, args.examples):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
