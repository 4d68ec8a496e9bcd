"""XML and JSON give the same verdicts: findings that differ between two forms of one resource, no oracle needed.

    .venv/bin/python bench/fhir_format_parity.py --cases /tmp/ftc --packages /tmp/fhirpkgs
        [--corpus tune|ftc-examples|r4-examples|ukcore ...] [--limit N] [--show K] [--class C]

A FHIR resource means the same in XML as in JSON, so what the validator finds in one form it should find in the
other, at the same element; a finding on one side only is a latent false alarm or missed error in one of the two
readers. Each resource is validated as given and in its other form: JSON is written as XML by
:mod:`conformance.fhirval.xml_write` (our own: fhir.resources refuses invalid content and models R4B/R5, not R4),
XML read as JSON by the validator's own reader (:mod:`conformance.fhirval.xml`) and validated from its JSON text;
twins published side by side (fhir-test-cases' ``r4/examples``) are paired as published. Corpora:

- ``tune``: the agreement bench's steps of the tuning half only (even hash; its own selection, sources, profiles
  and options), each step's file in both forms;
- ``ftc-examples``: ``CASES/r4/examples`` (published XML/JSON twins paired; the rest converted);
- ``r4-examples``: the R4 specification's examples (``PACKAGES/r4ex/package``, JSON);
- ``ukcore``: UK Core 2.0.2's examples (XML, ``--ukcore``), against base R4 and the file's own profiles.

A finding is (severity, defect, location); errors and warnings are compared. A one-sided finding is classed:
``xml-rule`` / ``json-rule`` (a rule only one format can break: element order, XML's own syntax; a JSON type,
array or null), ``location`` (the same rule on the other side at another location), ``rule`` (another rule on the
other side at the same element, same severity) and ``content`` (the rest:
what the fixes are for). Prints the resources compared, those whose verdicts differ, the classes with counts,
and ``--show K`` instances of each (defect and location, never a message of HL7's). ``--mutate`` adds invalid twins:
each JSON resource again with each fault of ``bench/fhir_format_mutations.py``. Files over 2 MB are not run.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_format_mutations import mutations
from fhir_reference_agreement import runner_packages, runner_terminology, tuning_steps

from conformance.fhirval.issues import Issue
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.options import DEFAULT, Options
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_bytes
from conformance.fhirval.xml import FhirXmlError, element_to_json, parse_xml
from conformance.fhirval.xml_write import NotExpressible, json_to_xml

XML_RULES = frozenset({"element-order", "xml", "xml-namespace"})
JSON_RULES = frozenset({"json-type", "json-duplicate", "array-expected", "array-unexpected", "null-value",
                        "object-expected"})
Finding = tuple[str, str, str]  # severity, defect, location


@dataclass
class Pair:
    """One resource in both forms, with what to validate it against."""

    label: str
    json: bytes
    xml: bytes
    source: DefinitionSource
    profiles: tuple[str, ...] = ()
    options: Options = DEFAULT
    converted: str = ""  # "json->xml", "xml->json" or "" for published twins


@dataclass
class Result:
    label: str
    json_valid: bool
    xml_valid: bool
    only_json: list[Finding] = field(default_factory=list)
    only_xml: list[Finding] = field(default_factory=list)
    cpu: tuple[float, float] = (0.0, 0.0)  # CPU seconds validating the JSON, the XML


def dump_json(value: Any) -> str:
    """JSON text keeping each decimal as written (``json.dumps`` cannot write a Decimal)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dump_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dump_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def other_form(raw: bytes, source: DefinitionSource) -> tuple[bytes, bytes, str] | str:
    """(json, xml, how) for a file in either form, or why it has no twin."""
    body = raw.removeprefix(b"\xef\xbb\xbf").lstrip()
    try:
        if body[:1] == b"<":
            root = parse_xml(raw)
            doc = element_to_json(root, source, parse_float=Decimal, allow_no_namespace=True)
            return dump_json(doc).encode(), raw, "xml->json"
        doc = json.loads(raw.decode("utf-8-sig"), parse_float=Decimal)
        if not isinstance(doc, dict):
            return "not a JSON object"
        return raw, json_to_xml(doc, source), "json->xml"
    except (FhirXmlError, NotExpressible, ValueError, RecursionError) as exc:
        return f"{type(exc).__name__}: {str(exc)[:80]}"


def _without_divs(value: Any) -> Any:
    """The content with each narrative div left out (its serialisation differs between the formats)."""
    if isinstance(value, dict):
        return {k: _without_divs(v) for k, v in value.items() if k != "div"}
    if isinstance(value, list):
        return [_without_divs(v) for v in value]
    return value


def same_content(json_raw: bytes, xml_raw: bytes, source: DefinitionSource) -> bool:
    """Whether published twins say the same (narrative aside): a finding on one side only may be the content's."""
    try:
        j = json.loads(json_raw.decode("utf-8-sig"), parse_float=Decimal)
        x = element_to_json(parse_xml(xml_raw), source, parse_float=Decimal, allow_no_namespace=True)
    except (FhirXmlError, ValueError, RecursionError):
        return False
    return bool(_without_divs(j) == _without_divs(x))


def findings(issues: Sequence[Issue]) -> collections.Counter[Finding]:
    return collections.Counter((i.severity, i.defect, i.location) for i in issues
                               if i.severity in ("fatal", "error", "warning"))


def compare(pair: Pair) -> Result:
    start = time.process_time()
    j = validate_bytes(pair.json, pair.source, pair.profiles, options=pair.options)
    middle = time.process_time()
    x = validate_bytes(pair.xml, pair.source, pair.profiles, options=pair.options)
    cpu = (middle - start, time.process_time() - middle)
    fj, fx = findings(j), findings(x)
    return Result(pair.label, not any(i.is_error for i in j), not any(i.is_error for i in x),
                  sorted((fj - fx).elements()), sorted((fx - fj).elements()), cpu)


def classify(finding: Finding, side: str, other: Sequence[Finding]) -> str:
    severity, defect, _ = finding
    if side == "xml" and defect in XML_RULES:
        return "xml-rule"
    if side == "json" and defect in JSON_RULES:
        return "json-rule"
    if any(o[0] == severity and o[1] == defect for o in other):
        return "location"
    if any(o[2] == finding[2] and o[0] == severity for o in other):
        return "rule"
    return "content"


def tune_pairs(cases: Path, cache: PackageCache, mutate: bool = False) -> Iterator[Pair | tuple[str, str]]:
    """The tuning half's steps (even hash; never a held-out one), each file in its other form."""
    for step, source, profiles in tuning_steps(cases, cache):
        made = other_form(step.file.read_bytes(), source)
        if isinstance(made, str):
            yield step.name, made
            continue
        yield Pair(step.name, made[0], made[1], source, profiles, step.options, made[2])
        if mutate and made[2] == "json->xml":
            yield from mutated_pairs(step.name, made[0], source, profiles, step.options)


def spread(files: list[Path], limit: int | None) -> list[Path]:
    """``limit`` of the files, evenly spread over the (sorted) folder, so that every resource type has its turn."""
    if limit is None or limit >= len(files):
        return files
    return [files[i * len(files) // limit] for i in range(limit)]


def resource_files(folder: Path, suffixes: tuple[str, ...] = (".json", ".xml"), max_bytes: int | None = 2_000_000,
                   limit: int | None = None) -> list[Path]:
    """A folder's resource files (no package.json, no hidden file, none over ``max_bytes``), sorted and spread."""
    files = sorted(p for p in folder.iterdir() if p.suffix in suffixes and not p.name.startswith(".")
                   and p.name != "package.json" and (max_bytes is None or p.stat().st_size <= max_bytes))
    return spread(files, limit)


def examples_of(package: Path) -> Path:
    """A guide package's examples: its ``example/`` folder, else the package folder itself."""
    return package / "example" if (package / "example").is_dir() else package


def folder_pairs(folder: Path, source: DefinitionSource, limit: int | None,
                 max_bytes: int = 2_000_000, mutate: bool = False) -> Iterator[Pair | tuple[str, str]]:
    """Every JSON/XML resource of a folder: published twins (same stem) paired, the rest converted; files over
    ``max_bytes`` (the spec's 5-35 MB Bundles of every definition) are listed as too large, not run."""
    files = sorted(p for p in folder.iterdir() if p.suffix in (".json", ".xml") and not p.name.startswith("."))
    for big in [p for p in files if p.stat().st_size > max_bytes]:
        yield big.name, f"too large: {big.stat().st_size:,} bytes"
    files = [p for p in files if p.stat().st_size <= max_bytes]
    files = spread([p for p in files if p.name != "package.json"], limit)
    stems: dict[str, dict[str, Path]] = collections.defaultdict(dict)
    for p in files:
        stems[p.stem][p.suffix] = p
    for stem, forms in sorted(stems.items()):
        if ".json" in forms and ".xml" in forms:
            j, x = forms[".json"].read_bytes(), forms[".xml"].read_bytes()
            label = stem if same_content(j, x, source) else f"{stem} (published twins differ in content)"
            yield Pair(label, j, x, source)
            continue
        path = next(iter(forms.values()))
        made = other_form(path.read_bytes(), source)
        if isinstance(made, str):
            yield path.name, made
            continue
        yield Pair(path.name, made[0], made[1], source, converted=made[2])
        if mutate and made[2] == "json->xml":
            yield from mutated_pairs(path.name, made[0], source)


def mutated_pairs(label: str, raw: bytes, source: DefinitionSource, profiles: tuple[str, ...] = (),
                  options: Options = DEFAULT) -> Iterator[Pair | tuple[str, str]]:
    """The resource with each of fhir_format_mutations' faults, in both forms."""
    doc = json.loads(raw.decode("utf-8-sig"), parse_float=Decimal)
    for name, mutated in mutations(doc):
        try:
            xml = json_to_xml(mutated, source)
        except (NotExpressible, ValueError) as exc:
            yield f"{label} +{name}", f"{type(exc).__name__}: {str(exc)[:80]}"
            continue
        yield Pair(f"{label} +{name}", dump_json(mutated).encode(), xml, source, profiles, options, "json->xml")


def report(name: str, results: list[Result], skipped: list[tuple[str, str]], show: int, only: str | None) -> None:
    """One corpus's summary: verdict differences and one-sided findings by class and side."""
    differ = [r for r in results if r.json_valid != r.xml_valid]
    classes: collections.Counter[tuple[str, str]] = collections.Counter()
    examples: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for r in results:
        for side, mine, other in (("json", r.only_json, r.only_xml), ("xml", r.only_xml, r.only_json)):
            for f in mine:
                key = (classify(f, side, other), f"{side}-only {f[0]} {f[1]}")
                classes[key] += 1
                examples[key].append(f"{r.label}: {f[2] or '(document)'}")
    both = sum(not r.json_valid and not r.xml_valid for r in results)
    print(f"{name}: {len(results)} resources compared ({both} invalid in both forms), {len(skipped)} without a "
          f"twin; verdicts differ on "
          f"{len(differ)} (JSON valid/XML invalid {sum(r.json_valid for r in differ)}, "
          f"XML valid/JSON invalid {sum(r.xml_valid for r in differ)}); one-sided findings "
          f"{sum(classes.values())}")
    for cls in ("content", "rule", "location", "xml-rule", "json-rule"):
        rows = {k: n for k, n in classes.items() if k[0] == cls}
        if not rows:
            continue
        print(f"  {cls}: {sum(rows.values())}")
        for key, n in sorted(rows.items(), key=lambda kv: -kv[1]):
            print(f"    {n:5d}  {key[1]}")
            if show and (only is None or only == cls):
                for line in examples[key][:show]:
                    print(f"           {line}")
    slow = sorted(results, key=lambda r: -max(r.cpu))[:3]
    print(f"  CPU validating: JSON {sum(r.cpu[0] for r in results):.1f} s, XML {sum(r.cpu[1] for r in results):.1f} s; "
          "slowest " + ", ".join(f"{r.label} ({r.cpu[0]:.1f}/{r.cpu[1]:.1f} s)" for r in slow))
    if show and skipped:
        reasons = collections.Counter(why.split(":")[0] for _, why in skipped)
        print("  without a twin: " + ", ".join(f"{why} {n}" for why, n in reasons.most_common()))


def run(pairs: Iterator[Pair | tuple[str, str]]) -> tuple[list[Result], list[tuple[str, str]]]:
    results: list[Result] = []
    skipped: list[tuple[str, str]] = []
    for item in pairs:
        if isinstance(item, Pair):
            results.append(compare(item))
        else:
            skipped.append(item)
    return results, skipped


def ukcore_pairs(folder: Path, limit: int | None) -> Iterator[Pair | tuple[str, str]]:
    """UK Core's examples (XML) against base R4, the package and the profiles they claim."""
    source = load_definitions([folder])
    yield from folder_pairs(folder / "examples", source, limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, required=True, help="extract of FHIR/fhir-test-cases")
    parser.add_argument("--packages", type=Path, required=True, help="the FHIR packages folder (with r4ex/)")
    parser.add_argument("--ukcore", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
                        / "ukcore-2.0.2", help="UK Core 2.0.2 package folder")
    parser.add_argument("--corpus", action="append", choices=["tune", "ftc-examples", "r4-examples", "ukcore"],
                        help="corpora to run (default: all)")
    parser.add_argument("--limit", type=int, help="N files of each folder corpus, evenly spread")
    parser.add_argument("--show", type=int, default=0, help="K instances of each class")
    parser.add_argument("--mutate", action="store_true", help="also each JSON resource with each of "
                        "fhir_format_mutations' faults (invalid twins)")
    parser.add_argument("--class", dest="only", choices=["content", "rule", "location", "xml-rule", "json-rule"],
                        help="with --show: instances of this class only")
    args = parser.parse_args()
    cache = PackageCache(args.packages)
    for line in runner_terminology(args.cases, cache, None):
        print(line)
    base = load_definitions([], defaults=runner_packages(cache.root))
    corpora = args.corpus or ["tune", "ftc-examples", "r4-examples", "ukcore"]
    for name in corpora:
        if name == "tune":
            pairs = tune_pairs(args.cases, cache, args.mutate)
        elif name == "ftc-examples":
            pairs = folder_pairs(args.cases / "r4" / "examples", base, args.limit, mutate=args.mutate)
        elif name == "r4-examples":
            pairs = folder_pairs(args.packages / "r4ex" / "package", base, args.limit, mutate=args.mutate)
        else:
            pairs = ukcore_pairs(args.ukcore, args.limit)
        cpu = time.process_time()
        results, skipped = run(pairs)
        report(name, results, skipped, args.show, args.only)
        print(f"  ({time.process_time() - cpu:.1f} s CPU for both forms, conversion included)")


if __name__ == "__main__":
    main()
