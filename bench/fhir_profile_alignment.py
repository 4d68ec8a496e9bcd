"""DIAGNOSTICS ONLY: profile steps judged issue by issue against HL7's recorded OperationOutcome.

    .venv/bin/python bench/fhir_profile_alignment.py --cases PATH [--packages DIR] [--summary] [--kind KIND]

A verdict can agree for the wrong reason: we call a resource invalid for another error than HL7's (a latent
false alarm on a similar valid resource), or one of our errors hides a missed one (a latent miss). Each case
of fhir-test-cases records HL7's whole OperationOutcome, so every profile step is an issue-level oracle.

Steps used, none of them held out: the tuning half's profile steps (even hash, bench/fhir_reference_agreement.py's
own ``select``), and the profile steps of the left-out and other-versions diagnostics
(bench/fhir_leftout_diagnostics.py, bench/fhir_other_versions_diagnostics.py; both drop what touches a held-out
case before anything is printed; the other versions' version artefacts are left out, as that bench counts them
apart). For each step our errors are paired with HL7's error and fatal issues: same location and kind first,
then same location, then the same kind at a parent or child location, then the same kind anywhere, last any kind
at a parent or child location. A step whose outcome is a count without issues is left out. What is left is listed
by kind: (a) ours that HL7 lacks, (b) HL7's that we lack.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_leftout_diagnostics import _run, diagnostics_parser, leftout_steps
from fhir_other_versions_diagnostics import R5Core, artefact, other_version_steps
from fhir_reference_agreement import Step, run, select

from conformance.fhirval.packages import PackageCache

# HL7's message texts (Messages.properties) by kind, tried in order; our defect codes below map to the same kinds
HL7_KINDS: tuple[tuple[str, str], ...] = (
    ("parse", r"Unrecognized property|Unrecognised property|Undefined element|is not a valid Resource|"
              r"Unable to parse|Error parsing|must be an (array|object)|should not be an array|Unexpected|"
              r"not a known resource type|This property must be"),
    ("profile-unknown", r"(Profile|profile) .*(could not be found|not found|cannot be resolved)|Unable to resolve "
                        r"(the )?profile|Unable to find profile|Unknown profile|Profile reference .* not resolved"),
    ("slicing", r"[Ss]lice|[Ss]licing|discriminator"),
    ("cardinality-min", r"minimum required = |must have a value|Element '.*' is required|is mandatory"),
    ("cardinality-max", r"max allowed = |maximum allowed|may only occur once"),
    ("fixed-pattern", r"is fixed to|but must be|[Pp]attern|Fixed value|fixed value"),
    ("invariant", r"^Constraint failed|Rule .* [Ff]ailed|invariant"),
    ("extension", r"[Ee]xtension"),
    ("reference", r"[Rr]eference|target (type|profile)|[Rr]esolve"),
    ("terminology", r"[Vv]alue ?[Ss]et|[Cc]ode ?[Ss]ystem|display|[Cc]oding|not in the (value|options)|"
                    r"[Uu]nknown code|code '"),
    ("type", r"type|Type"),
    ("value", r"regex|not a valid|[Ll]ength|too long|minValue|maxValue|less than|greater than|[Ee]mpty|whitespace"),
)
OUR_KINDS: dict[str, str] = {
    "unknown-element": "parse", "array-expected": "parse", "array-unexpected": "parse", "json-type": "parse",
    "object-expected": "parse", "null-value": "parse", "unknown-resource-type": "parse", "xml": "parse",
    "element-order": "parse", "resource-type": "parse", "json-duplicate": "parse",
    "unknown-profile": "profile-unknown",
    "slice-unmatched": "slicing", "slice-multiple": "slicing", "slice-order": "slicing", "slice-min": "slicing",
    "slice-max": "slicing", "structure-slicing": "slicing",
    "cardinality-min": "cardinality-min", "value-present": "cardinality-min",
    "cardinality-max": "cardinality-max",
    "fixed-value": "fixed-pattern", "pattern-value": "fixed-pattern",
    "invariant": "invariant",
    "extension-url": "extension", "extension-unknown": "extension", "extension-context": "extension",
    "extension-modifier": "extension",
    "reference-format": "reference", "reference-target": "reference", "reference-unresolved": "reference",
    "code-invalid": "terminology", "binding-extensible": "terminology", "code-unknown": "terminology",
    "code-display": "terminology", "coding-system": "terminology",
    "type-profile": "type", "choice-type": "type", "profile-type": "type",
    "primitive-format": "value", "too-long": "value", "too-short": "value", "empty-value": "value",
    "blank-value": "value", "min-value": "value", "max-value": "value",
}
OUR_MESSAGE = re.compile(r"^(.*?): \[([\w-]+)\] (.*)$", re.S)


@dataclass
class Found:
    """One error issue: where, of what kind, and its text (ours: ``[defect] message``)."""

    location: str
    kind: str
    text: str


def hl7_kind(text: str) -> str:
    return next((kind for kind, pattern in HL7_KINDS if re.search(pattern, text)), "other")


def place(location: str) -> str:
    """A location as both sides can compare it: no ``/*Type/id*/`` comments, no ``[x]``, no leading ``$this``."""
    location = re.sub(r"/\*.*?\*/", "", location).replace("[x]", "")
    return re.sub(r"\.ofType\((\w+)\)", r".ofType(\1)", location).strip()


def ours(step: Step) -> list[Found]:
    found: list[Found] = []
    for m in step.messages:
        hit = OUR_MESSAGE.match(m)
        if hit:
            found.append(Found(place(hit[1]), OUR_KINDS.get(hit[2], "other"), f"[{hit[2]}] {hit[3]}"))
    return found


def theirs(step: Step) -> list[Found]:
    found = []
    for m in step.expected_messages:
        expression, _, text = m.partition(": ")
        found.append(Found(place(expression), hl7_kind(text), text))
    return found


def _related(a: str, b: str) -> bool:
    """One location at or under the other (``Patient.identifier[0]`` and ``Patient.identifier[0].system``)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".") or a.startswith(b + "[") or b.startswith(a + "[")


def align(mine: list[Found], hl7: list[Found]) -> tuple[list[Found], list[Found]]:
    """Pair our errors with HL7's, the closest pairs first; what is left on each side."""
    left_mine, left_hl7 = list(mine), list(hl7)
    tests: tuple[Callable[[Found, Found], bool], ...] = (
             lambda a, b: a.location == b.location and a.kind == b.kind,
             lambda a, b: a.location == b.location,
             lambda a, b: a.kind == b.kind and _related(a.location, b.location),
             lambda a, b: a.kind == b.kind,
             # one problem worded as two kinds (a fullUrl's), below the root (which holds every location)
             lambda a, b: "." in a.location and "." in b.location and _related(a.location, b.location))
    for same in tests:
        for a in list(left_mine):
            b = next((b for b in left_hl7 if same(a, b)), None)
            if b is not None:
                left_mine.remove(a)
                left_hl7.remove(b)
    return left_mine, left_hl7


@dataclass
class Row:
    corpus: str
    step: Step
    extra: list[Found]
    missing: list[Found]


def rows(root: Path, cache: PackageCache) -> list[Row]:
    """Every profile step of the three corpora that may be looked at, aligned."""
    tuning = [s for s in select(root, cache)[0] if not s.held_out and s.name.endswith("[profile]")]
    run(tuning, cache)
    left = [c for c in leftout_steps(root, cache)[0] if c.step.name.endswith("[profile]")]
    _run(left, cache)
    other = [c for c in other_version_steps(root, cache)[0] if c.step.name.endswith("[profile]")]
    _run(other, cache)
    r5 = R5Core(cache)
    corpora: list[tuple[str, Iterable[Step]]] = [
        ("tuning", tuning), ("left-out", (c.step for c in left if c.step.got_errors >= 0)),
        ("other-versions", (c.step for c in other if c.step.got_errors >= 0 and not artefact(c, r5)))]
    out = []
    for corpus, steps in corpora:
        for step in steps:
            if step.expected_errors != len(step.expected_messages):
                continue  # a count without HL7's issues (the manifest's errorCount): no issue to align with
            extra, missing = align(ours(step), theirs(step))
            out.append(Row(corpus, step, extra, missing))
    return out


def summary(found: list[Row]) -> None:
    for corpus in ("tuning", "left-out", "other-versions", "all"):
        some = [r for r in found if corpus in ("all", r.corpus)]
        ours_n = sum(len(ours(r.step)) for r in some)
        hl7_n = sum(len(r.step.expected_messages) for r in some)
        extra, missing = sum(len(r.extra) for r in some), sum(len(r.missing) for r in some)
        clean = sum(not r.extra and not r.missing for r in some)
        print(f"{corpus}: {len(some)} profile steps, {clean} aligned issue for issue; our errors {ours_n}, "
              f"HL7's {hl7_n}; (a) ours HL7 lacks {extra}; (b) HL7's we lack {missing}")
    for label, side in (("(a) ours HL7 lacks", "extra"), ("(b) HL7's we lack", "missing")):
        kinds = Counter(f.kind for r in found for f in getattr(r, side))
        print(f"{label}, by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()))


def main() -> None:
    parser = diagnostics_parser(__doc__)
    parser.add_argument("--kind", help="list only the issues of this kind")
    args = parser.parse_args()
    cache = PackageCache(args.packages or args.cases / "validator" / "packages")
    found = rows(args.cases, cache)
    print("DIAGNOSTICS ONLY - profile steps that are not held out, aligned issue by issue with HL7's outcome")
    summary(found)
    if args.summary:
        return
    for r in found:
        extra = [f for f in r.extra if not args.kind or f.kind == args.kind]
        missing = [f for f in r.missing if not args.kind or f.kind == args.kind]
        if not (extra or missing):
            continue
        print(f"\n== {r.corpus}: {r.step.name} ({r.step.file.name}): HL7 {r.step.expected_errors}, "
              f"ours {r.step.got_errors}")
        for f in extra:
            print(f"   (a) ours  {f.kind}: {f.location}: {f.text[:200]}")
        for f in missing:
            print(f"   (b) HL7's {f.kind}: {f.location}: {f.text[:200]}")


if __name__ == "__main__":
    main()
