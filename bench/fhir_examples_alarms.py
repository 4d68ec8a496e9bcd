"""False alarms on valid examples: every error the validator reports, grouped by rule and message template.

    .venv/bin/python bench/fhir_examples_alarms.py --examples PATH [--examples PATH ...] [--jobs N] [--show K]
        [--package SPEC ...] [--package-cache DIR]

PATH is a directory of FHIR JSON (and XML) resources that are meant to be valid, such as the package
hl7.fhir.r4.examples 4.0.1 (the 5,300 examples of the R4 specification, which HL7's publisher validated;
``npm pack hl7.fhir.r4.examples@4.0.1`` from packages.fhir.org, then ``package/``) or the ``r4/examples``
folder of FHIR/fhir-test-cases. Nothing of them is kept in this repository. Each file is validated as
``conformance validate fhir FILE`` does (base R4 and the file's own ``meta.profile``, no profile asked for).

As there, HL7's extensions package (``hl7.fhir.uv.extensions.r4``) and its cross-version tables
(``hl7.fhir.xver-extensions``) are loaded when the package cache (``--package-cache``) holds them, as HL7's
validator and publisher load them.

``--package SPEC`` (repeatable: a ``.tgz``, a folder or ``id#version``, as ``conformance validate fhir
--package``) loads an implementation guide's definitions and their dependencies first, so that the
guide's examples, and its own conformance resources (``--examples IG/package``: the StructureDefinitions,
ValueSets, CodeSystems... as instances), are judged as HL7's IG publisher judged them. A dependency found
nowhere is listed: what rests on it must come out unjudged (information), never an error.

Prints the examples validated, those with errors, and the errors by class: the defect code and the
message with its particulars (URLs, quoted values, element paths, numbers) taken out, so that one rule's
errors count together; an invariant is its own class. Not every error is a false alarm (a few of the
spec's own examples are invalid to HL7's Java validator too), so the classes are read, not asserted.
``--show K`` prints K instances (file, location, message) under each class.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.fhirval.base import base_source
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_bytes

Error = tuple[str, str, str, str]  # file, defect, location, message
T = TypeVar("T")
R = TypeVar("R")
NOT_RESOURCES = {"package.json", ".index.json"}
_TEMPLATE = [
    (re.compile(r"\b(?:https?|urn|ftp):[^\s,;)']+"), "<url>"),
    (re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`"), "'…'"),
    (re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][\w\[\]]*)+"), "<path>"),
    (re.compile(r"\b[A-Z][A-Za-z]+/[\w.-]+"), "<type>/<id>"),
    (re.compile(r"(?<![a-z]-)\b\d+(?:\.\d+)?\b"), "N"),
]
_INVARIANT = re.compile(r"\b([a-z]{2,5}-\d+)\b")


def template(defect: str, message: str) -> str:
    """The class of one error: its defect code and its message without the particulars."""
    for pattern, repl in _TEMPLATE:
        message = pattern.sub(repl, message)
    if defect == "invariant" and (key := _INVARIANT.search(message)):
        return f"invariant {key.group(1)}"
    return f"{defect}: {message[:120]}"


def files(roots: list[Path]) -> Iterator[Path]:
    for root in roots:
        for path in sorted(root.iterdir()) if root.is_dir() else [root]:
            if path.suffix in (".json", ".xml") and path.name not in NOT_RESOURCES:
                yield path


_SOURCE: DefinitionSource | None = None  # per process: the definitions every file is judged against


def load(packages: list[str], cache: Path | None) -> list[str]:
    """Set this process's definitions as ``conformance validate fhir`` loads them: base R4, HL7's extensions
    package when the package cache holds it (default_packages.py), then the packages; returns the loader's
    warnings. The HL7 Terminology package is found as the CLI finds it ($CONFORMANCE_TERMINOLOGY_PACKAGE, else
    ``cache``)."""
    global _SOURCE
    from conformance.fhirval.default_packages import with_defaults
    from conformance.fhirval.packages import PackageCache
    from conformance.fhirval.terminology_packages import use_package_cache

    if cache:
        use_package_cache(PackageCache(cache))
    _SOURCE = with_defaults(packages, PackageCache(cache) if cache else None)
    return list(getattr(_SOURCE, "warnings", []))


def errors_in(path: Path) -> list[Error]:
    issues = validate_bytes(path.read_bytes(), _SOURCE or base_source())
    return [(path.name, i.defect, i.location, i.message) for i in issues if i.is_error]


def map_loaded(fn: Callable[[T], R], work: list[T], jobs: int, packages: list[str], cache: Path | None) -> list[R]:
    """``fn`` over ``work``, in ``jobs`` worker processes that each load the same definitions first (``load``), or
    here when ``jobs`` is 1 (this process has loaded them)."""
    if jobs > 1:
        with ProcessPoolExecutor(jobs, initializer=load, initargs=(packages, cache)) as pool:
            return list(pool.map(fn, work, chunksize=8))
    return [fn(w) for w in work]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=Path, action="append", required=True, help="folder of valid examples")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="print K instances under each class")
    parser.add_argument("--package", action="append", default=[], metavar="SPEC",
                        help="load this package's definitions (.tgz, folder or id#version; repeatable)")
    parser.add_argument("--package-cache", type=Path, metavar="DIR", help="the FHIR package cache for dependencies")
    args = parser.parse_args(argv)
    paths = list(files(args.examples))
    for warning in load(args.package, args.package_cache):
        print(f"package: {warning}")
    from conformance.fhirval.default_packages import cross_version_generators, default_packages
    from conformance.fhirval.packages import PackageCache

    cache = PackageCache(args.package_cache) if args.package_cache else None
    names = [p.name for p in default_packages(cache)]
    names += ["hl7.fhir.xver-extensions"] if cross_version_generators(cache) else []
    print(f"loaded by default: {', '.join(names) or 'none'}")
    cpu = time.process_time()
    results = map_loaded(errors_in, paths, args.jobs, args.package, args.package_cache)
    classes: dict[str, list[Error]] = collections.defaultdict(list)
    for found in results:
        for error in found:
            classes[template(error[1], error[3])].append(error)
    print(f"examples validated: {len(paths)}")
    print(f"examples with errors: {sum(1 for r in results if r)}")
    print(f"errors: {sum(len(r) for r in results)} in {len(classes)} classes")
    print("errors by class (errors, examples, class):")
    for name, found in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"{len(found):7d} {len({e[0] for e in found}):5d}  {name}")
        for file, _, location, message in found[:args.show]:
            print(f"{'':15}{file} {location}: {message[:200]}")
    if args.jobs <= 1:
        print(f"cpu seconds: {time.process_time() - cpu:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
