"""Agreement with HL7's reference validator on its own published test cases (FHIR/fhir-test-cases).

    .venv/bin/python bench/fhir_reference_agreement.py --cases PATH [--packages DIR] [--terminology PATH|none]
        [--show tune|heldout|all] [--tx-cache DIR]

PATH is a checkout (or an extract) of https://github.com/FHIR/fhir-test-cases holding
``validator/manifest.json``, the case files and ``validator/outcomes/java/``. Nothing of it is kept
in this repository. Selected: R4 (``version`` 4.0) JSON and XML cases that need nothing beyond base R4
and the case's own files: each case's ``supporting`` and ``profiles`` files are loaded as a package (as
HL7's test runner loads them); no ``packages`` from a registry, no ``logical`` models, no terminology
server (``tx-dependent``, or a case of a terminology module, ``tx`` / ``tx-advanced``, whose codes
come from a code system neither base R4 nor its own files hold, UCUM aside: those of the module that
need no server are run and also reported on their own), no fetcher. Each case is one or two validation steps: the base
step (the file against its own ``meta.profile`` and base R4) and, where the manifest gives a ``profile``,
a profile step (the file against that StructureDefinition). The Java validator's expected outcome is
its recorded OperationOutcome: its error + fatal issues give the expected error count (``errorCount``
in the manifest wins where present); no errors = valid.

Reported separately, for the tuning half, the held-out half and the whole R4 selection, each also split
into base and profile steps: verdict agreement, error-count agreement, false-valid (HL7 says invalid, we
say valid: a missed error) and false-invalid (HL7 says valid, we say invalid: a false alarm). Cases that
set an option of HL7's validator that ours does not have are listed with the option, not run; the R4
cases needing more than base R4 and their own files are counted by what they need.

Cross-version extensions: when ``--packages`` holds ``hl7.fhir.r5.core`` (the R5 core, from which the 5.0 path table
is computed) and/or ``hl7.fhir.xver-extensions`` (HL7's own tables for 1.0, 1.4, 3.0, 4.0 and 5.0, which its validator
always loads), every step gets their generators (conformance/fhirval/xver.py), as HL7's runner always has them;
without them such extensions stay unchecked.

The cases are split by the SHA-256 of their file name: even hashes were used while tuning the
validator, odd ones were never looked at; both are reported, the odd ones as "held out".

The HL7 Terminology package (THO), which HL7's runner loads into every case's context (TestUtilities.
getValidationEngine; the manifest's ``versions.terminology``), is used for every step when the ``--packages``
folder holds ``hl7.terminology.r4`` (found as ``conformance validate fhir --package-cache`` finds it) or
``--terminology`` names one (a folder or a ``.tgz``, read file by file; ``none``: without it). The version used
and the manifest's are printed first (``runner_terminology``).

Package cases: a case that names ``packages`` is run when every one is available locally, as a file of the
test cases (``packages/hl7.fhir.test.verA#1.0.0.tgz``) or, for ``id#version``, in the ``--packages`` folder (a
FHIR package cache, or archives as ``npm pack`` writes them); its ``package-map`` offers packages for
dependencies. Dependencies come from the packages given or that folder, never the network. They keep the same
hash split and are also reported on their own lines ("base selection" / "package cases"), so the totals of
the base selection stay comparable with earlier runs. So are the cases whose manifest names an outcome file the
checkout lacks while the file HL7's runner writes, ``R4.<name>-base.json``, is there ("renamed outcome").

``--tx-cache DIR``: HL7's runner validates every case with a terminology server whose answers are recorded in the
core repository (``org.hl7.fhir.validation/src/test/resources/txCache/org.hl7.fhir.validation/4.0.1``); with that
folder every step consults them where local terminology cannot decide (conformance/fhirval/tx_cache.py). The
selection and the split are the same with or without it.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # fhir_case_options, also when loaded as a module

from fhir_case_options import (
    OPTIONS_NOT_OFFERED,
    _held_out,
    _offered,
    case_options,
    profile_options,
    runs_without_terminology,
)

from conformance.fhirval.base import base_source
from conformance.fhirval.default_packages import EXTENSIONS_R4
from conformance.fhirval.issues import Issue
from conformance.fhirval.layered import LayeredSource, load_definitions, with_cross_version
from conformance.fhirval.loaders import DefinitionLoadError, read_file
from conformance.fhirval.options import DEFAULT, Options
from conformance.fhirval.package_layer import package_layer
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.terminology_packages import (
    ENV,
    THO_NAMES,
    default_terminology_source,
    find_terminology_package,
    package_version,
    use_package_cache,
)
from conformance.fhirval.validate import validate_bytes
from conformance.fhirval.xver import generators_in

PACKAGES = ("packages", "package-map")  # run when every package is available locally (see package_files)
NEEDS_MORE = ("supporting5", "packages", "logical", "fetcher", "tx-dependent", "bundle-param", "package-map", "ips",
              "certificate", "sct")
TERMINOLOGY_MODULES = {"tx", "tx-advanced", "cda", "cdshooks", "shc"}
LOCAL_TERMINOLOGY_MODULES = {"tx", "tx-advanced"}  # run when every code system they use is held locally
UCUM = "http://unitsofmeasure.org"
# Held-out instance files that were read while tuning (or whose names and old recorded outcomes were shown, or whose
# case's files were read), and when: a held-out step validating one of them is no longer "never seen", so it is
# counted apart (``held out, read or shown while tuning``) and the held-out totals are the unseen ones.
_LISTED_18 = ("session 18 printed its name and the errorCount an old manifest (2019-2020, commit 9a2fc51e) recorded"
              ", listing cases the manifest has since dropped; the file was not read")
_READ_18 = ("session 18 read this case's profile source (xhtml-ctrl-source-profile.xml, used by no tuning case) "
            "while checking which cases use narrative-source-control")
SEEN = {
    "patient_example_as_operator_issue.xml": "session 16 read it as the R5 case patient_as_operator_issue-r5, which "
                                             "fhir_other_versions_diagnostics drops for sharing it with a held-out "
                                             "step, after the held-out counts by module had pointed at invariants",
    "attachment-with-invalid-binary.json": _LISTED_18,
    "attachment-with-wrong-size.json": _LISTED_18,
    "bundle-ihe-bad.xml": _LISTED_18,
    "bundle-ihe-good.xml": _LISTED_18,
    "bundle-slice-bad2.xml": _LISTED_18,
    "cda/example.xml": _LISTED_18,
    "ch/mixed-valueset-dr.xml": _LISTED_18,
    "no/Person-test-bad.xml": _LISTED_18,
    "patient-bad-gender.xml": _LISTED_18,
    "patient-circle1-good-alone.xml": _LISTED_18,
    "patient-extension-bad.xml": _LISTED_18,
    "patient-extension-complex-bad2.xml": _LISTED_18,
    "patient-extension-complex.xml": _LISTED_18,
    "patient-extension-simple.xml": _LISTED_18,
    "patient-translated-codes.xml": _LISTED_18,
    "profile-choice-3.xml": _LISTED_18,
    "slice-by-polymorphic-type.xml": _LISTED_18,
    "slicing-types-by-string.xml": _LISTED_18,
    "snomed-ca.json": _LISTED_18,
    "synthea.json": _LISTED_18,
    "xhtml-ctrl-source1.xml": _READ_18,
}


@dataclass
class Step:
    name: str
    file: Path
    expected_errors: int
    held_out: bool
    supporting: tuple[Path, ...] = ()
    profile: Path | None = None
    options: Options = DEFAULT  # the case's options of HL7's validator that ours has (case_options)
    got_errors: int = 0
    messages: tuple[str, ...] = ()
    expected_messages: tuple[str, ...] = ()
    problem: str = ""
    terminology: bool = False  # a case of a terminology module that needs no server
    packages: tuple[Path, ...] = ()  # the case's packages, loaded before its own files
    available: tuple[Path, ...] = ()  # its package-map: packages offered for dependencies only
    renamed_outcome: bool = False  # the outcome file the manifest names is missing; R4.<name>-base.json read
    profile_url: str | None = None  # a profile step's source given by canonical URL: fetched from what is loaded
    expected_issues: tuple[dict[str, Any], ...] = ()  # HL7's error and fatal issues, as recorded
    issues: tuple[Issue, ...] = ()  # our errors (bench/fhir_issue_alignment.py aligns the two)
    no_tx: bool = False  # the case's no-tx: HL7's runner validates it without a terminology server
    module: str = ""  # the manifest's module of the case (the issue counts disagreements by it)
    seen: str = ""  # a held-out step whose file was read (or name shown) while tuning: why (SEEN); counted apart


def _expected(root: Path, java: Any) -> list[dict[str, Any]] | None:
    if isinstance(java, str):
        outcome_file = root / "validator" / "outcomes" / java
        if not outcome_file.exists():
            return None
        issues: list[dict[str, Any]] = json.loads(outcome_file.read_text(encoding="utf-8")).get("issue", [])
        return issues
    if isinstance(java, dict):
        found: list[dict[str, Any]] = java.get("outcome", {}).get("issue", [])
        return found or [_output_issue(line) for line in java.get("output", []) if isinstance(line, str)]
    return None


def _output_issue(line: str) -> dict[str, Any]:
    """An issue of a manifest's ``output`` (``ERROR: List.entry[0]: message``), the case's only record of HL7's
    messages when it gives no outcome (its ``errorCount`` then gives the count)."""
    severity, _, rest = line.partition(": ")
    where, _, text = rest.partition(": ")
    return {"severity": severity.lower(), "expression": [where], "details": {"text": text}}


def _step(root: Path, t: dict[str, Any], java: Any, label: str, supporting: list[str],
          profile: str | None) -> Step | None:
    # the manifest of some cases names an outcome file the checkout lacks, while the file HL7's runner writes,
    # R4.<name>-base.json, is there: that one is read, and the step reported on its own ("renamed outcome")
    renamed = f"java/R4.{t['name']}-base.json"
    renamed_used = (label == "base" and isinstance(java, str) and not (root / "validator" / "outcomes" / java).exists()
                    and (root / "validator" / "outcomes" / renamed).exists())
    expected = _expected(root, renamed if renamed_used else java)
    if expected is None:
        return None
    errors = [i for i in expected if i.get("severity") in ("error", "fatal")]
    count_given = java.get("errorCount") if isinstance(java, dict) else t.get("errorCount") if label == "base" else None
    count = count_given if isinstance(count_given, int) else len(errors)
    msgs = tuple(f"{(i.get('expression') or [''])[0]}: {(i.get('details') or {}).get('text', '')[:150]}"
                 for i in errors)
    folder = root / "validator"
    # HL7's runner fetches a profile source that is an absolute URL from its context (a package's), else loads the file
    url = profile if profile and re.match(r"^[a-z]+:", profile) else None
    return Step(f"{t['name']} [{label}]", folder / t["file"], count, _held_out(t),
                tuple(folder / s for s in supporting if s != url), folder / profile if profile and not url else None,
                case_options(t, folder), expected_messages=msgs, expected_issues=tuple(errors),
                renamed_outcome=renamed_used, profile_url=url, no_tx=runs_without_terminology(t))


def package_files(root: Path, t: dict[str, Any], cache: PackageCache | None) -> tuple[list[Path], list[Path]] | None:
    """The case's packages and its package-map's, as local paths; None when one is not available locally."""
    found: list[list[Path]] = [[], []]
    for i, specs in enumerate((t.get("packages", []), list((t.get("package-map") or {}).values()))):
        for spec in specs:
            path = package_path(root, spec, cache)
            if path is None:
                return None
            found[i].append(path)
    return found[0], found[1]


def package_path(root: Path, spec: str, cache: PackageCache | None) -> Path | None:
    """One package a case names, as a local path: a file of the test cases, or ``id#version`` in the cache."""
    folder = root / "validator"
    if "/" in spec or spec.endswith(".tgz"):
        return folder / spec if (folder / spec).exists() else None
    name, _, version = spec.partition("#")
    return cache.find(name, version or None) if cache is not None else None


def select(root: Path, cache: PackageCache | None = None) -> tuple[list[Step], dict[str, list[str]]]:
    """The steps, and the names of the cases left out for an option ours does not have, by option."""
    manifest: dict[str, Any] = json.loads((root / "validator" / "manifest.json").read_text(encoding="utf-8"))
    steps: list[Step] = []
    optioned: dict[str, list[str]] = {}
    for t in manifest["test-cases"]:
        if not str(t.get("version", "")).startswith("4.0") or not t["file"].endswith((".json", ".xml")):
            continue
        if t.get("use-test") is False or any(k in t for k in NEEDS_MORE if k not in PACKAGES):
            continue
        packages = package_files(root, t, cache) if any(k in t for k in PACKAGES) else ([], [])
        if packages is None or not (root / "validator" / t["file"]).exists():
            continue
        terminology = t.get("module") in TERMINOLOGY_MODULES
        if terminology and (t.get("module") not in LOCAL_TERMINOLOGY_MODULES or t.get("tags")
                            or needs_server(root, t, packages[0])):
            continue
        options = [k for k in OPTIONS_NOT_OFFERED if k in t and not _offered(k, t[k], t)]
        if options:
            for k in options:
                optioned.setdefault(k, []).append(t["name"])
            continue
        supporting = [*t.get("supporting", []), *t.get("profiles", [])]
        case_steps: list[Step] = []
        base = _step(root, t, t.get("java"), "base", supporting, None)
        if base is not None:
            case_steps.append(base)
        prof = t.get("profile")
        extra: tuple[list[Path], list[Path]] | None = ([], [])
        if isinstance(prof, dict) and isinstance(prof.get("source"), str) and prof.get("use-test") is not False:
            extra = package_files(root, prof, cache) if any(k in prof for k in PACKAGES) else extra
            blocked = [k for k in (*NEEDS_MORE, *OPTIONS_NOT_OFFERED)
                       if k in prof and not (k in PACKAGES and extra is not None) and not _offered(k, prof[k], t)]
            for k in blocked:
                optioned.setdefault(f"profile step: {k}", []).append(t["name"])
            step = None if blocked else _step(root, t, prof.get("java"), "profile", [
                *supporting, *prof.get("supporting", []), prof["source"]], prof["source"])
            if step is not None and extra is not None:
                step.packages, step.available = tuple(extra[0]), tuple(extra[1])
                step.options = profile_options(step.options, prof)
                case_steps.append(step)
        for step in case_steps:
            step.terminology = terminology
            step.module = str(t.get("module") or "general")
            step.seen = SEEN.get(t["file"], "") if step.held_out else ""
            step.packages, step.available = (*packages[0], *step.packages), (*packages[1], *step.available)
        steps.extend(case_steps)
    return steps, optioned


def _coded_systems(node: Any, found: set[str]) -> None:
    """Code system URIs an instance uses: ``system`` beside a ``code`` (Coding, Quantity), and in a ValueSet's
    ``compose`` include/exclude (an Identifier's or a ContactPoint's ``system`` is no code system)."""
    if isinstance(node, dict):
        system = node.get("system")
        if isinstance(system, str) and ("code" in node or "concept" in node or "filter" in node):
            found.add(system)
        for value in node.values():
            _coded_systems(value, found)
    elif isinstance(node, list):
        for value in node:
            _coded_systems(value, found)


def needs_server(root: Path, t: dict[str, Any], packages: list[Path] | None = None) -> bool:
    """Whether a terminology-module case uses a code system that neither base R4 nor its own files hold (so
    HL7's validator asked its terminology server): such a case is not run."""
    folder = root / "validator"
    try:
        instance = read_file(folder / t["file"])
        files = [*(packages or []), *(folder / s for s in [*t.get("supporting", []), *t.get("profiles", [])])]
        source = load_definitions([p for p in files if p.exists()]) if files else base_source()
    except (DefinitionLoadError, OSError):
        return True
    held = {r.get("url") for r in instance if r.get("resourceType") == "CodeSystem"}
    systems: set[str] = set()
    _coded_systems(instance, systems)

    tho = default_terminology_source()  # the HL7 Terminology package, where one is installed

    def local(system: str) -> bool:  # base R4 has stubs (content not-present) for SNOMED CT, LOINC...
        cs = source.code_system(system) or (tho.code_system(system) if tho is not None else None)
        return system == UCUM or system in held or (cs is not None and cs.get("content") != "not-present")

    return not all(local(s) for s in systems)


def left_out(root: Path, cache: PackageCache | None = None) -> dict[str, list[str]]:
    """The R4 cases not in the selection for needing more than base R4 and their own files, by what they need
    (a registry package, a terminology server module, a logical model, a fetcher...)."""
    manifest: dict[str, Any] = json.loads((root / "validator" / "manifest.json").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for t in manifest["test-cases"]:
        if not str(t.get("version", "")).startswith("4.0") or t.get("use-test") is False:
            continue
        packages = package_files(root, t, cache) if any(k in t for k in PACKAGES) else ([], [])
        if not t["file"].endswith((".json", ".xml")):
            reason = "not JSON or XML (" + t["file"].rsplit(".", 1)[-1] + ")"
        elif packages is None:
            reason = "packages"  # not all available locally
        elif t.get("module") in TERMINOLOGY_MODULES and (t.get("module") not in LOCAL_TERMINOLOGY_MODULES
                                                         or t.get("tags") or needs_server(root, t, packages[0])):
            reason = f"terminology server module {t['module']}"
        else:
            reason = next((k for k in NEEDS_MORE if k in t and k not in PACKAGES), "")
        if reason:
            out.setdefault(reason, []).append(t["name"])
    return out


@functools.cache
def runner_packages(root: Path) -> tuple[Path, ...]:
    """The packages HL7's test runner loads for every case, after base R4 and before the case's own
    (TestUtilities.getValidationEngine: ValidationEngine.loadExt, the extensions package in its R4 flavour), where
    the --packages folder, or a folder of archives in it, holds them; their version is whatever is there."""
    folders = [root, *sorted(p for p in (root.iterdir() if root.is_dir() else ())
                             if p.is_dir() and "#" not in p.name and not (p / "package").is_dir())]
    found = (next((hit for f in folders if (hit := PackageCache(f).find(name)) is not None), None)
             for name in (EXTENSIONS_R4,))
    return tuple(p for p in found if p is not None)


@functools.cache
def _base_only(root: Path) -> LayeredSource:
    """Base R4 with the runner's packages, one source shared by every step without files of its own."""
    return load_definitions([], defaults=runner_packages(root))


def _source(step: Step, cache: PackageCache | None = None,
            generators: Sequence[DefinitionSource] = ()) -> tuple[DefinitionSource, list[str]]:
    """Base R4, the runner's packages, the step's packages, then its own files, and the canonical URL of the
    profile asked for; beneath them the cross-version extension generators (HL7's runner always has them on)."""
    profiles: list[str] = [step.profile_url] if step.profile_url else []
    if step.profile is not None:
        url = next((r.get("url") for r in read_file(step.profile) if r.get("resourceType") == "StructureDefinition"),
                   None)
        if isinstance(url, str):
            profiles.append(url)
    files = [*step.packages, *(p for p in dict.fromkeys(step.supporting) if p.exists())]
    if not files:
        return with_cross_version(_base_only(cache.root) if cache is not None else base_source(), generators), profiles
    defaults = runner_packages(cache.root) if cache is not None else ()  # never the user's own cache
    return with_cross_version(load_definitions(files, cache=cache, available=step.available, defaults=defaults),
                              generators), profiles


def tuning_steps(root: Path, cache: PackageCache) -> Iterator[tuple[Step, DefinitionSource, tuple[str, ...]]]:
    """The tuning half's steps (even hash; never a held-out one) with what each is validated against, as run()
    validates it: for the benches that read or rewrite the tuning material (format parity, metamorphic rewrites,
    the FHIRPath differential)."""
    generators = generators_in(cache)
    for step in select(root, cache)[0]:
        if not step.held_out:
            source, profiles = _source(step, cache, generators)
            yield step, source, tuple(profiles)


def run(steps: list[Step], cache: PackageCache | None = None) -> float:
    start = time.perf_counter()
    generators = generators_in(cache) if cache is not None else []  # hl7.fhir.r5.core in --packages: R5 xver on
    for step in steps:
        try:
            source, profiles = _source(step, cache, generators)
            issues = validate_bytes(step.file.read_bytes(), source, profiles, options=step.options)
        except (DefinitionLoadError, OSError) as exc:
            step.problem = f"supporting files not loaded: {exc}"
            step.got_errors = -1
            continue
        errors = [i for i in issues if i.is_error]
        step.got_errors = len(errors)
        step.issues = tuple(errors)
        step.messages = tuple(f"{i.location}: [{i.defect}] {i.message[:150]}" for i in errors)
    return time.perf_counter() - start


def report(label: str, steps: list[Step]) -> None:
    if not steps:
        print(f"{label}: no steps")
        return
    n = len(steps)
    # a step whose files the harness could not load (got_errors -1) gave no verdict: a disagreement, whichever HL7's
    # verdict, counted on its own, neither a false alarm nor (for an invalid resource) an agreement
    ran = [s for s in steps if s.got_errors >= 0]
    verdict = sum((s.got_errors == 0) == (s.expected_errors == 0) for s in ran)
    count = sum(s.got_errors == s.expected_errors for s in ran)
    false_valid = sum(s.expected_errors > 0 and s.got_errors == 0 for s in ran)
    false_invalid = sum(s.expected_errors == 0 and s.got_errors != 0 for s in ran)
    not_run = f"; not run (files the harness could not load) {n - len(ran)}" if len(ran) < n else ""
    print(f"{label}: {n} steps; verdict agreement {verdict}/{n} = {100 * verdict / n:.1f}%; "
          f"error-count agreement {count}/{n} = {100 * count / n:.1f}%; "
          f"false-valid (missed errors) {false_valid}; false-invalid (false alarms) {false_invalid}{not_run}")


def runner_terminology(root: Path, cache: PackageCache, terminology: str | None) -> list[str]:
    """The HL7 Terminology package HL7's test runner loads into every case's context (TestUtilities.
    getValidationEngine), found the way the product finds it; one line on what was found (manifest
    ``versions.terminology``):
    ``terminology`` is a package path or ``none``; by default a path in ``$CONFORMANCE_TERMINOLOGY_PACKAGE``, else
    the release the manifest names when ``cache`` holds it (scripts/build_tho_package.py rebuilds one the registries
    lack), else the newest ``hl7.terminology.r4`` there, found by find_terminology_package, as the CLI finds it in
    ``--package-cache``."""
    manifest = json.loads((root / "validator" / "manifest.json").read_text(encoding="utf-8"))
    wanted = (manifest.get("versions") or {}).get("terminology", "?")
    use_package_cache(cache)
    if terminology == "none":
        os.environ.pop(ENV, None)
        use_package_cache(PackageCache(root / "validator" / "no-such-cache"))  # nor the user's cache
        return [f"HL7 Terminology: not loaded (--terminology none; HL7's runner loads {wanted})"]
    if not terminology and not os.environ.get(ENV) and (same := cache.find(THO_NAMES[0], wanted)) is not None:
        terminology = str(same)  # a package path the user exported still wins, as it does in the product
    path = Path(terminology) if terminology else find_terminology_package(cache)
    if terminology and path is not None:
        os.environ[ENV] = str(path)  # the product's own seam for a package path the user gives
    if path is None:
        return [f"HL7 Terminology: none in {cache.root} (HL7's runner loads {wanted})"]
    return [f"HL7 Terminology: {path.name} version {package_version(path)} (HL7's runner loads {wanted})"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, required=True, help="checkout of FHIR/fhir-test-cases")
    parser.add_argument("--packages", type=Path, metavar="DIR",
                        help="FHIR packages for the cases that name them: a package cache, or npm-pack .tgz files "
                             "(default: the test cases' validator/packages)")
    parser.add_argument("--terminology", metavar="PATH|none",
                        help="the HL7 Terminology package for every step (folder or .tgz; default: the release the "
                             "manifest names, else the newest hl7.terminology.r4, in the packages folder; none: "
                             "without it)")
    parser.add_argument("--show", choices=["tune", "heldout", "all"], help="list the disagreements of one half")
    parser.add_argument("--verdicts", action="store_true", help="with --show: only verdict disagreements")
    parser.add_argument("--tuning-only", action="store_true",
                        help="print the tuning half's totals only (implied by --show tune): the held-out ones are "
                             "read only once a change is finished")
    parser.add_argument("--tx-cache", type=Path, metavar="DIR",
                        help="HL7's recorded terminology-server answers (its runner's txCache/.../4.0.1 folder), "
                             "consulted where local terminology cannot decide; the selection is unchanged")
    args = parser.parse_args()
    # never the user's own cache: without --packages, the test cases' own packages/ folder (a cache layout) serves
    cache = PackageCache(args.packages or args.cases / "validator" / "packages")
    for line in runner_terminology(args.cases, cache, args.terminology):
        print(line)
    steps, optioned = select(args.cases, cache)
    with_tx_cache(steps, args.tx_cache)
    versions = json.loads((args.cases / "validator" / "manifest.json").read_text(encoding="utf-8")).get("versions", {})
    loaded = package_layer(runner_packages(cache.root))[1]
    print(f"runner-wide packages loaded: {', '.join(loaded) or 'none'} (HL7's runner: "
          f"{', '.join(f'{k} {v}' for k, v in sorted(versions.items()))})")
    seconds = run(steps, cache)
    print(f"{len(steps)} R4 validation steps (base R4 + each case's own files), validated in {seconds:.2f} s")
    print(f"left out, an option of HL7's validator that ours does not have ({sum(map(len, optioned.values()))}):")
    for option, names in sorted(optioned.items()):
        print(f"  {option}: {', '.join(names)}")
    needing = left_out(args.cases, cache)
    print(f"left out, needing more than base R4 and the case's own files ({sum(map(len, needing.values()))}): "
          + "; ".join(f"{reason} {len(names)}" for reason, names in sorted(needing.items())))
    summaries(steps, tuning_only=args.tuning_only or args.show == "tune")
    if args.show:
        for s in steps:
            if args.show != "all" and s.held_out != (args.show == "heldout"):
                continue
            show_step(s, args.verdicts)


def summaries(steps: list[Step], tuning_only: bool = False) -> None:
    """The totals by half, kind and selection. ``tuning_only`` leaves out every line that counts a held-out step,
    so that looking at the tuning half while working does not show the held-out totals too. A held-out step whose
    file was read while tuning (SEEN) is counted apart, never in the held-out totals."""
    halves = [("tuning half (even hash)", [s for s in steps if not s.held_out])]
    if not tuning_only:
        halves += [("held out (odd hash, never seen)", [s for s in steps if s.held_out and not s.seen]),
                   ("all", steps)]
    for label, half in halves:
        report(label, half)
        for kind in ("base", "profile"):
            report(f"  {kind} steps", [s for s in half if s.name.endswith(f"[{kind}]")])
        if label != "all":
            short = label.split(" (")[0].removesuffix(" half")
            report(f"  {short}, base selection", [s for s in half if not s.packages and not s.renamed_outcome])
            report(f"  {short}, package cases", [s for s in half if s.packages])
            report(f"  {short}, renamed-outcome cases", [s for s in half if s.renamed_outcome and not s.packages])
    if not tuning_only:
        report("held out, read or shown while tuning (counted apart; SEEN)",
               [s for s in steps if s.held_out and s.seen])
    report("of which terminology-module cases needing no server", [s for s in halves[-1][1] if s.terminology])
    # by module for the tuning half only: the held-out half's counts by module pointed a session at one case's
    # files (SEEN), which is what a held-out half must never do
    print(f"verdict disagreements by module, tuning half: {by_module(halves[0][1]) or 'none'}")


def by_module(steps: list[Step]) -> str:
    """Missed errors and false alarms counted by the case's module, as the issue counted them: a count per
    module, never a case's name (the held-out half is read as totals only)."""
    missed: collections.Counter[str] = collections.Counter()
    alarms: collections.Counter[str] = collections.Counter()
    for s in steps:
        if s.got_errors < 0:
            continue
        if s.expected_errors > 0 and s.got_errors == 0:
            missed[s.module] += 1
        elif s.expected_errors == 0 and s.got_errors != 0:
            alarms[s.module] += 1
    return "; ".join(f"{m} {missed[m]} missed, {alarms[m]} false alarms" for m in sorted(missed | alarms))


def with_tx_cache(steps: list[Step], folder: Path | None) -> None:
    """Every step validated with HL7's recorded terminology answers (Options.tx_cache), as HL7's runner validates
    with its TX_CACHE; the steps selected stay the same. A step of a ``no-tx`` case stays without: HL7's runner
    runs it with no terminology server (ValidationTests: setNoTerminologyServer, setCachingAllowed(false))."""
    if folder is not None:
        for step in steps:
            if not step.no_tx:
                step.options = replace(step.options, tx_cache=str(folder))


def show_step(s: Step, verdicts: bool, note: str = "") -> None:
    """A step where we disagree (in verdict, or in error count unless ``verdicts``): HL7's messages beside ours."""
    verdict_differs = (s.got_errors == 0) != (s.expected_errors == 0)
    if verdict_differs if verdicts else s.got_errors != s.expected_errors:
        print(f"\n== {s.name} ({s.file.name}){note}: expected {s.expected_errors}, got {s.got_errors} {s.problem}")
        for m in s.expected_messages:
            print(f"   java: {m}")
        for m in s.messages:
            print(f"   ours: {m}")


if __name__ == "__main__":
    main()
