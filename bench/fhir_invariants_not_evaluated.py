"""Invariants our FHIRPath engine cannot evaluate: each is a latent missed error where HL7's validator judges it.

    .venv/bin/python bench/fhir_invariants_not_evaluated.py [--package SPEC ...] [--package-cache DIR]
        [--examples PATH ...] [--jobs N] [--show K]

An invariant that fhirpathpy cannot parse, or that throws, is reported ``invariant-not-evaluated``
(information) and never fails, where HL7's Java engine evaluates it. Two counts:

- **definitions** (no examples needed): every constraint expression (``ElementDefinition.constraint`` of the
  snapshots and differentials, with ``expression_fixes`` applied as the validator applies them) and context
  invariant of the StructureDefinitions loaded (base R4, HL7's extensions package when the cache holds it,
  then each ``--package``: a ``.tgz``, a folder or ``id#version``), distinct by key and expression: those that do
  not parse, call a function the engine lacks (or with a number of arguments it lacks), read an environment
  variable it does not define, or name a type it does not know;
- **examples** (``--examples``: a folder of resources, or a package ``.tgz``, whose ``package/example/`` is read):
  each is validated as ``conformance validate fhir`` validates it, with the packages loaded, and every
  ``invariant-not-evaluated`` is counted by invariant and reason; with ``--failures`` every failed invariant
  (issue ``invariant``, error or warning) too, by invariant and severity: on examples HL7's publisher passed (the
  R4 specification's, a guide's whose qa.txt is clean) each is our engine's divergence, or a rule of ours.

The last line is the summary. Nothing of the packages or examples is kept in this repository.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_examples_alarms import NOT_RESOURCES, load, map_loaded

from conformance.fhirval import fhirpath, invariants
from conformance.fhirval.expression_fixes import fixed
from conformance.fhirval.fhirpath_syntax import syntax_error
from conformance.fhirval.source import items, objects

Finding = tuple[str, str, str]  # file, invariant, reason
_CONSTANTS = frozenset({"resource", "rootResource", "context", "ucum", "sct", "loinc"})
_CONSTANT_PREFIXES = ("vs-", "cs-", "ext-")
_TYPE_FUNCTIONS = frozenset({"ofType", "as", "is"})
_SYSTEM_TYPES = frozenset({"String", "Boolean", "Integer", "Decimal", "Quantity", "DateTime", "Date", "Time", "Any"})


def expressions(source: Any) -> dict[tuple[str, str], str]:
    """(key, expression as the validator runs it) -> the first StructureDefinition that carries it."""
    found: dict[tuple[str, str], str] = {}
    for url in sorted(set(source.urls())):
        sd = source.structure(url)
        if not isinstance(sd, dict):
            continue
        for part in ("snapshot", "differential"):
            holder = sd.get(part)
            for ed in objects(holder.get("element") if isinstance(holder, dict) else None):
                for c in objects(ed.get("constraint")):
                    key, text = c.get("key"), c.get("expression")
                    if isinstance(key, str) and isinstance(text, str) and text.strip() and key not in invariants.NATIVE:
                        found.setdefault((key, fixed(key, text)), url)
        for text in items(sd.get("contextInvariant")):
            if isinstance(text, str) and text.strip():
                found.setdefault(("context-invariant", text), url)
    return found


def _function_problem(name: str, count: int) -> str | None:
    from fhirpathpy.engine import base_invocation_registry

    entry = fhirpath._TABLE.get(name) or base_invocation_registry.get(name)
    if entry is None:
        return f"function {name}() missing"
    if "variadic" in entry or count in (entry.get("arity") or {0: []}):
        return None
    return f"{name}() with {count} argument(s)"


def _known_type(parts: list[str]) -> bool:
    name = parts[-1].strip("`")
    model = fhirpath.R4_MODEL
    return name in _SYSTEM_TYPES or name in model["type2Parent"] or name in model.get("path2Type", {}).values()


def problems(tree: Any) -> list[str]:
    """What in a parsed expression the engine cannot run, found without evaluating it."""
    found: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        kind, children = node.get("type"), node.get("children") or []
        if kind == "Functn" and children:
            params = children[1].get("children") or [] if len(children) > 1 else []
            name = str(children[0].get("text"))
            problem = _function_problem(name, len(params))
            if problem:
                found.append(problem)
            if name in _TYPE_FUNCTIONS and len(params) == 1 and not _known_type(str(params[0].get("text")).split(".")):
                found.append(f"type {params[0].get('text')} unknown")
        elif kind == "ExternalConstant" and children:
            name = str(children[0].get("text") or "").strip("`'")
            if name not in _CONSTANTS and not name.startswith(_CONSTANT_PREFIXES):
                found.append(f"%{name} undefined")
        elif kind == "TypeSpecifier":
            names = (children[0].get("children") or []) if children else []
            parts = [str(c.get("text") or "").strip("`") for c in names]
            if parts and not _known_type(parts):
                found.append(f"type {'.'.join(parts)} unknown")
        stack.extend(children)
    return sorted(set(found))


def static_findings(source: Any) -> tuple[int, list[tuple[str, str, str, str]]]:
    """How many distinct expressions, and each that cannot run: (key, expression, where, why)."""
    found = expressions(source)
    out = []
    for (key, text), url in sorted(found.items()):
        compiled = invariants._compile(text)
        error = str(compiled) if isinstance(compiled, Exception) else syntax_error(text)
        if error is not None:  # fhirpathpy's parse() recovers silently from most errors: the grammar's own say
            out.append((key, text, url, f"does not parse: {error[:80]}"))
            continue
        for why in problems(compiled.tree):
            out.append((key, text, url, why))
    return len(found), out


def examples(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each example: a folder's JSON and XML files, a package's ``package/example/`` files."""
    for path in paths:
        if path.is_dir():
            for f in sorted(path.iterdir()):
                if f.suffix in (".json", ".xml") and f.name not in NOT_RESOURCES:
                    yield f.name, f.read_bytes()
            continue
        with tarfile.open(path) as archive:
            for member in sorted(archive.getmembers(), key=lambda m: m.name):
                name = member.name
                if member.isfile() and name.startswith("package/example/") and name.endswith((".json", ".xml")):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        yield f"{path.name}:{name.rpartition('/')[2]}", handle.read()


FAILURES = [False]  # --failures (set before the workers fork)


def _failed_key(message: str) -> str:
    """The invariant's key in a failure message (``constraint failed: KEY: ...``, ``invariant KEY: problem processing
    expression ...`` for one that does not parse, or a native rule's ``KEY: ...``)."""
    return message.removeprefix("constraint failed: ").removeprefix("invariant ").partition(":")[0].strip()


def not_evaluated(named: tuple[str, bytes]) -> list[Finding]:
    import fhir_examples_alarms

    from conformance.fhirval.base import base_source
    from conformance.fhirval.validate import validate_bytes

    name, data = named
    out = []
    for issue in validate_bytes(data, fhir_examples_alarms._SOURCE or base_source()):
        if issue.defect == "invariant-not-evaluated":
            head, _, tail = issue.message.partition(" not evaluated")
            reason = tail.rpartition("(")[2].rstrip(")") if "(" in tail else tail.strip(": ")
            out.append((name, head.removeprefix("invariant "), reason[:120]))
        elif FAILURES[0] and issue.defect == "invariant" and issue.severity in ("error", "warning"):
            out.append((name, _failed_key(issue.message), f"FAILS ({issue.severity})"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", action="append", default=[], metavar="SPEC",
                        help="load this package's definitions (.tgz, folder or id#version; repeatable)")
    parser.add_argument("--package-cache", type=Path, metavar="DIR", help="the FHIR package cache for dependencies")
    parser.add_argument("--examples", type=Path, action="append", default=[], help="a folder or package .tgz")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for the examples (default 1)")
    parser.add_argument("--show", type=int, default=3, metavar="K", help="files shown under each example class")
    parser.add_argument("--failures", action="store_true", help="count the examples' failed invariants too")
    args = parser.parse_args(argv)
    FAILURES[0] = args.failures
    for warning in load(args.package, args.package_cache):
        print(f"package: {warning}")
    import fhir_examples_alarms

    total, static = static_findings(fhir_examples_alarms._SOURCE)
    print(f"definitions: {total} distinct constraint expressions")
    for key, text, url, why in static:
        print(f"  {key:12} {why:40} {url}  {' '.join(text.split())[:110]}")
    named = list(examples(args.examples))
    results = map_loaded(not_evaluated, named, args.jobs, args.package, args.package_cache)
    classes: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for found in results:
        for file, key, reason in found:
            classes[(key, reason)].append(file)
    if named:
        print(f"examples: {len(named)} validated")
        for (key, reason), files in sorted(classes.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            print(f"{len(files):6d}  {key:14} {reason}  [{', '.join(files[:args.show])}]")
    unrun = [[f for f in r if not f[2].startswith("FAILS")] for r in results]
    failed = [[f for f in r if f[2].startswith("FAILS")] for r in results]
    if args.failures:
        print(f"failed: {sum(map(len, failed))} failed invariants in {sum(1 for r in failed if r)} of {len(named)} "
              f"examples ({len({k for k, why in classes if why.startswith('FAILS')})} invariants)")
    print(f"not evaluated: {len({(k, t) for k, t, _, _ in static})} of {total} expressions cannot run; "
          f"{sum(map(len, unrun))} invariant-not-evaluated in {sum(1 for r in unrun if r)} of "
          f"{len(named)} examples ({len({k for k, why in classes if not why.startswith('FAILS')})} invariants)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
