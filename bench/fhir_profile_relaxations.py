"""A profile made looser never makes a valid example invalid: errors a relaxation adds, no oracle needed.

    .venv/bin/python bench/fhir_profile_relaxations.py --guide FOLDER [--guide FOLDER ...] [--package-cache DIR]
        [--relax NAME ...] [--show K]
    .venv/bin/python bench/fhir_profile_relaxations.py --cases <fhir-test-cases> --packages DIR
        [--corpus tune,leftout,other] [--relax NAME ...]
    .venv/bin/python bench/fhir_profile_relaxations.py --definitions DIR --examples DIR [--package-cache DIR]
        [--profile-by-type PREFIX]

The companion of bench/fhir_profile_invariance.py (same guides, same loading; errors as multisets): there a rewrite
must move nothing; here each relaxation removes or widens a constraint of every StructureDefinition of the guide,
so an example may lose errors but must gain none. An error found only against the relaxed guide is a false
alarm of ours there or a missed error in the published form, in how profiles are read. Each relaxation, argued
from HL7's InstanceValidator:

- ``min-zero``: every element's ``min`` 0 (the root aside). A minimum only ever reports "found fewer"
  (checkCardinalities); slices are matched by their discriminators, not by their cardinality, except under an
  ``exists`` discriminator (a slice there is told by min 1 or max 0), which is left as it is.
- ``max-base``: every ``max`` raised to its ``base.max`` (a ``max`` of 0 kept: what is prohibited stays so, as its
  children may be left out of the snapshot). JSON array-ness is the core definitions' (HL7's parser).
- ``open-slicing``: ``closed`` slicing made ``open``: an element matching no slice is then allowed
  (VALIDATION_VAL_PROFILE_NOTSLICE gone); slice matching is unchanged.
- ``no-invariants``: each element's ``constraint``s removed but those whose ``source`` is under
  ``http://hl7.org/fhir/StructureDefinition/`` (R4's own, and HL7's extensions and core-namespace profiles;
  a constraint without a source goes too). Either way a loosening.
- ``no-bounds``: ``maxLength``, ``minValue[x]`` and ``maxValue[x]`` removed.
- Outside any slicing (an element neither sliced, nor a slice, nor under either; and ``Extension.url`` of an
  extension kept), so that what a discriminator reads is untouched:
  ``no-fixed-pattern`` (``fixed[x]`` / ``pattern[x]`` removed), ``weaker-bindings`` (``required`` and
  ``extensible`` made ``preferred``: a code outside the value set is then information; a code unknown to its
  code system is judged as before), ``no-target-profiles`` (``targetProfile`` removed, so any target type) and
  ``no-type-profiles`` (``type.profile`` removed from types other than Extension).

A relaxation may rightly add errors in two ways: a profile that a slice of another names (its ``type.profile`` or
``targetProfile``, read by a ``profile`` or ``type`` discriminator or by ``resolve().conformsTo``), or an extension
a discriminator path reads (``extension('url').value``), loosened, may match elements it did not (a second slice
matched, VALIDATION_VAL_PROFILE_MATCHMULTIPLE, and the first match kept), and so may any profile those name in
turn; an OperationDefinition's input or output profile is compared with its parameters
(OperationDefinitionValidator). Such profiles are left as published (left_as_published). Read each added error
before calling it a defect.

With ``--cases``, the material is instead the agreement bench's tuning half (never a held-out step; with
``--corpus`` also the left-out and the other versions' cases, as their diagnostics select them): each step
whose own files hold StructureDefinitions is validated as that bench validates it, then with those
StructureDefinitions relaxed as they are handed out (their snapshots, generated or given), each relaxation on a
source of its own; base R4 and the packages are left as they are. Prints, per relaxation, the examples (steps)
compared, those with added errors, the added errors by defect and ``--show K`` of them (file, defect, location).
Errors that only the published form has are counted (what the relaxation removed) but not listed.
"""

from __future__ import annotations

import argparse
import collections
import copy
import functools
import json
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_examples_alarms import errors_in, load
from fhir_profile_invariance import Json, elements, guide_examples, read, rewritten

from conformance.fhirval.loaders import DefinitionLoadError, read_file
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.source import FHIR_BASE, split_canonical
from conformance.fhirval.validate import validate_bytes

VALUE_KEYS = ("fixed", "pattern")
BOUND_KEYS = ("minValue", "maxValue")


def _not_root(e: Json) -> bool:
    return "." in str(e.get("path", ""))


def _exists_sliced(sd: Json) -> list[str]:
    """Paths sliced by an ``exists`` discriminator: there a slice is told by its cardinality (min 1 or max 0)."""
    return [str(e.get("path")) for e in elements(sd)
            if any(isinstance(d, dict) and d.get("type") == "exists"
                   for d in (e.get("slicing") or {}).get("discriminator") or [])]


def min_zero(sd: Json) -> None:
    exists = _exists_sliced(sd)
    for e in elements(sd):
        path = str(e.get("path", ""))
        if any(path == p or path.startswith(p + ".") for p in exists):
            continue
        if _not_root(e) and isinstance(e.get("min"), int) and e["min"] > 0:
            e["min"] = 0


def _wider(new: str, old: Any) -> bool:
    """Whether max ``new`` allows more than ``old`` (a snapshot that gives more than its base is not narrowed)."""
    if not isinstance(old, str) or old == "*":
        return False
    return new == "*" or (new.isdigit() and old.isdigit() and int(new) > int(old))


def max_base(sd: Json) -> None:
    for e in elements(sd):
        base = e.get("base")
        if (_not_root(e) and isinstance(base, dict) and isinstance(base.get("max"), str) and e.get("max") != "0"
                and _wider(base["max"], e.get("max"))):
            e["max"] = base["max"]


def open_slicing(sd: Json) -> None:
    for e in elements(sd):
        slicing = e.get("slicing")
        if isinstance(slicing, dict) and slicing.get("rules") == "closed":
            slicing["rules"] = "open"


def no_invariants(sd: Json) -> None:
    for e in elements(sd):
        if isinstance(e.get("constraint"), list):
            e["constraint"] = [c for c in e["constraint"]
                               if isinstance(c, dict) and str(c.get("source", "")).startswith(FHIR_BASE)]


def no_bounds(sd: Json) -> None:
    for e in elements(sd):
        for key in [k for k in e if k == "maxLength" or k.startswith(BOUND_KEYS)]:
            del e[key]


def outside_slicing(sd: Json) -> list[Json]:
    """The snapshot's elements that no discriminator can read: not sliced, not a slice, under neither; an extension's
    own ``Extension.url`` is left out too (it names the extension)."""
    sliced = [str(e.get("path")) for e in elements(sd) if e.get("slicing")]
    out = []
    for e in elements(sd):
        path, ident = str(e.get("path", "")), str(e.get("id", ""))
        if ":" in ident or e.get("sliceName") or any(path == p or path.startswith(p + ".") for p in sliced):
            continue
        if sd.get("type") == "Extension" and path.endswith(".url"):
            continue
        out.append(e)
    return out


def no_fixed_pattern(sd: Json) -> None:
    for e in outside_slicing(sd):
        for key in [k for k in e if k.startswith(VALUE_KEYS)]:
            del e[key]


def weaker_bindings(sd: Json) -> None:
    for e in outside_slicing(sd):
        binding = e.get("binding")
        if isinstance(binding, dict) and binding.get("strength") in ("required", "extensible"):
            binding["strength"] = "preferred"


def no_target_profiles(sd: Json) -> None:
    for e in outside_slicing(sd):
        for t in e.get("type") or []:
            if isinstance(t, dict):
                t.pop("targetProfile", None)


def no_type_profiles(sd: Json) -> None:
    for e in outside_slicing(sd):
        for t in e.get("type") or []:
            if isinstance(t, dict) and t.get("code") != "Extension":
                t.pop("profile", None)


def in_slices(element_list: list[Json]) -> list[Json]:
    """The elements of a snapshot or differential that are a slice or under one: by id (``:``), else, for a list
    written without ids, by position (after an element with a ``sliceName``, those under its path; slices nest)."""
    found: list[Json] = []
    open_slices: list[str] = []
    for e in element_list:
        path = str(e.get("path", ""))
        while open_slices and not (path.startswith(open_slices[-1] + ".") or
                                   (path == open_slices[-1] and not e.get("sliceName"))):
            open_slices.pop()
        if e.get("sliceName"):
            open_slices.append(path)
        if ":" in str(e.get("id", "")) or open_slices:
            found.append(e)
    return found


_EXTENSION_CALL = re.compile(r"extension\(\s*'([^']+)'\s*\)")


def left_as_published(docs: list[Json]) -> set[str]:
    """The canonicals of profiles that loosening could rightly make less valid material: those a slice names
    (``type.profile`` or ``targetProfile`` of a slice or an element under one; loosened, one can match an element a
    second slice matched, and the first match is kept), the extensions a discriminator path reads
    (``extension('url').value``), every profile those name in turn (their own conformance decides the slice), and
    those an OperationDefinition names as its ``inputProfile`` / ``outputProfile`` (compared with its parameters,
    cardinality included). Extension slices themselves are matched by their url, so extensions stay in otherwise."""
    urls: set[str] = set()
    named: dict[str, set[str]] = {}  # a StructureDefinition's url -> the profiles its elements name
    for doc in docs:
        if doc.get("resourceType") == "OperationDefinition":
            urls |= {split_canonical(str(doc[k]))[0] for k in ("inputProfile", "outputProfile") if doc.get(k)}
        if doc.get("resourceType") != "StructureDefinition":
            continue
        differential = [e for e in (doc.get("differential") or {}).get("element") or [] if isinstance(e, dict)]
        everything = elements(doc) + differential
        named[str(doc.get("url"))] = {split_canonical(str(u))[0] for e in everything for t in e.get("type") or []
                                      if isinstance(t, dict)
                                      for u in (t.get("profile") or []) + (t.get("targetProfile") or [])}
        for e in everything:
            for d in (e.get("slicing") or {}).get("discriminator") or []:
                if isinstance(d, dict):
                    urls |= set(_EXTENSION_CALL.findall(str(d.get("path", ""))))
        for e in in_slices(elements(doc)) + in_slices(differential):
            for t in e.get("type") or []:
                if not isinstance(t, dict) or t.get("code") == "Extension":
                    continue
                for key in ("profile", "targetProfile"):
                    if isinstance(t.get(key), list):
                        urls |= {split_canonical(str(u))[0] for u in t[key]}
    pending = list(urls)
    while pending:  # what a kept profile names decides whether an element meets it
        for url in named.get(pending.pop(), set()) - urls:
            urls.add(url)
            pending.append(url)
    return urls


def discriminating(package: Path) -> set[str]:
    """left_as_published() over a guide's package folder (its examples too: an OperationDefinition may be one)."""
    paths = [*package.glob("*.json"), *(package / "example").glob("*.json")]
    return left_as_published([doc for path in paths if (doc := read(path)) is not None])


RELAXATIONS: dict[str, Callable[[Json], None]] = {
    "min-zero": min_zero, "max-base": max_base, "open-slicing": open_slicing, "no-invariants": no_invariants,
    "no-bounds": no_bounds, "no-fixed-pattern": no_fixed_pattern, "weaker-bindings": weaker_bindings,
    "no-target-profiles": no_target_profiles, "no-type-profiles": no_type_profiles,
}


def _relaxed(sd: Json, _versions: dict[str, str], relax: Callable[[Json], None], kept: set[str],
             changed: list[str]) -> None:
    if sd.get("url") not in kept:
        before = json.dumps(sd, sort_keys=True)
        relax(sd)
        if json.dumps(sd, sort_keys=True) != before:
            changed.append(str(sd.get("url")))


def _counted(package: Path, examples: list[Path], cache: Path | None) -> dict[str, collections.Counter[Any]]:
    """Each example's errors as a multiset of (defect, location): a relaxation that adds a second error where one
    was already reported is counted too."""
    load([str(package)], cache)
    return {p.name: collections.Counter((defect, location) for _, defect, location, _ in errors_in(p))
            for p in examples}


def run(guides: list[Path], names: list[str], cache: Path | None, show: int) -> dict[str, list[Any]]:
    """Per relaxation, the errors it added: (guide, file, (defect, location), n)."""
    added: dict[str, list[Any]] = {name: [] for name in names}
    removed = dict.fromkeys(names, 0)
    counted = dict.fromkeys(names, 0)
    changed: dict[str, list[str]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        for guide in guides:
            if (found := guide_examples(guide)) is None:
                continue
            package, examples = found
            published = _counted(package, examples, cache)
            kept = discriminating(package)
            print(f"{guide.name}: {len(examples)} examples; {len(kept)} profiles left as published")
            for name in names:
                change = functools.partial(_relaxed, relax=RELAXATIONS[name], kept=kept, changed=changed[name])
                other = _counted(rewritten(package, name, Path(tmp) / guide.name, change), examples, cache)
                counted[name] += len(examples)
                for file, errors in published.items():
                    removed[name] += sum((errors - other[file]).values())
                    added[name] += [(guide.name, file, key, n) for key, n in (other[file] - errors).items()]
    for name in names:
        by_defect = collections.Counter(key[0] for _, _, key, _ in added[name])
        print(f"{name}: {counted[name]} examples compared; {len(changed[name])} profiles changed; "
              f"{len({(g, f) for g, f, _, _ in added[name]})} examples with errors added; "
              f"{sum(n for *_, n in added[name])} errors added {dict(by_defect.most_common())}; "
              f"{removed[name]} removed")
        for guide_name, file, (defect, location), _ in added[name][:show]:
            print(f"    {guide_name} {file} {defect} {location}")
    return added


def own_resources(paths: list[Path]) -> list[Json]:
    """The resources of files of a step (its instance, its supporting files, its profile)."""
    found: list[Json] = []
    for path in paths:
        try:
            found += read_file(path)
        except (DefinitionLoadError, OSError):
            continue
    return found


def _errors(path: Path, source: Any, profiles: list[str], options: Any = None) -> collections.Counter[tuple[str, str]]:
    """One file's errors as a multiset of (defect, location), validated against ``source`` and ``profiles``."""
    issues = validate_bytes(path.read_bytes(), source, profiles, options=options)
    return collections.Counter((i.defect, i.location) for i in issues if i.is_error)


class RelaxedLookup:
    """``structure`` of a step's source with its own canonicals relaxed: one relaxed copy per original dict, kept with
    it (the validator's indexes are keyed by the dict handed out); ``changed`` says whether a profile handed out
    differed from its original (else the relaxation had nothing to loosen there)."""

    def __init__(self, original: Callable[[str], Json | None], urls: set[Any], relax: Callable[[Json], None]) -> None:
        self.original, self.urls, self.relax = original, urls, relax
        self.copies: dict[int, tuple[Json, Json]] = {}
        self.changed = False

    def __call__(self, key: str) -> Json | None:
        sd = self.original(key)
        if sd is None or sd.get("url") not in self.urls:
            return sd
        if id(sd) not in self.copies:
            loose = copy.deepcopy(sd)
            self.relax(loose)
            self.copies[id(sd)] = (sd, loose)
            self.changed = self.changed or loose != sd
        return self.copies[id(sd)][1]


def corpus_steps(cases: Path, cache: PackageCache, corpus: str) -> list[Any]:
    """The steps of one corpus that may be looked at: the agreement bench's tuning half (``tune``), the left-out
    cases (``leftout``) or the other versions' cases (``other``), each as its own bench selects them (the last
    two drop any case that shares a file or a name with a held-out step)."""
    if corpus == "tune":
        from fhir_reference_agreement import select

        return [s for s in select(cases, cache)[0] if not s.held_out]
    if corpus == "leftout":
        from fhir_leftout_diagnostics import leftout_steps

        return [c.step for c in leftout_steps(cases, cache)[0]]
    from fhir_other_versions_diagnostics import other_version_steps

    return [c.step for c in other_version_steps(cases, cache)[0]]


def run_tuning(cases: Path, packages: Path, names: list[str], show: int,
               corpora: tuple[str, ...] = ("tune",)) -> dict[str, list[Any]]:
    """The relaxations over fhir-test-cases steps that may be looked at: per relaxation, (step, defect, location, n)
    of each error added. A step's source is a LayeredSource (it hands out snapshots); its ``structure`` is
    shadowed for the step's own canonicals by relaxed copies, one per original dict (indexes are keyed by it)."""
    from fhir_reference_agreement import _source, runner_terminology

    from conformance.fhirval.xver import generators_in

    cache = PackageCache(packages)
    runner_terminology(cases, cache, None)
    generators = generators_in(cache)
    added: dict[str, list[Any]] = {name: [] for name in names}
    removed = dict.fromkeys(names, 0)
    touched = dict.fromkeys(names, 0)
    compared = 0
    for step in [s for corpus in corpora for s in corpus_steps(cases, cache, corpus)]:
        # the step's own profiles: its supporting files and profile (the instance itself is never a definition the
        # source holds, but an OperationDefinition instance names profiles to leave as published)
        definitions = own_resources([*step.supporting, *([step.profile] if step.profile else [])])
        urls = ({d.get("url") for d in definitions if d.get("resourceType") == "StructureDefinition"}
                - left_as_published([*definitions, *own_resources([step.file])]))
        if not urls:
            continue
        try:
            source, profiles = _source(step, cache, generators)
            before = _errors(step.file, source, profiles, step.options)
        except (DefinitionLoadError, OSError) as exc:
            print(f"    {step.name}: not run ({exc})")
            continue
        compared += 1
        for name in names:
            fresh, _ = _source(step, cache, generators)  # a source of its own: what it indexed stays with it
            if fresh is source:  # a shared source (a step without files): never shadowed
                continue
            lookup = RelaxedLookup(fresh.structure, urls, RELAXATIONS[name])
            setattr(fresh, "structure", lookup)  # noqa: B010 (shadows the method on this one instance)
            after = _errors(step.file, fresh, profiles, step.options)
            touched[name] += lookup.changed
            removed[name] += sum((before - after).values())
            added[name] += [(step.name, defect, location, n) for (defect, location), n in (after - before).items()]
    for name in names:
        print(f"{name}: {compared} steps ({', '.join(corpora)}) with StructureDefinitions of their own, "
              f"{touched[name]} where a profile handed out was loosened; {len({a[0] for a in added[name]})} with "
              f"errors added; {sum(a[3] for a in added[name])} errors added; {removed[name]} removed")
        for step_name, defect, location, _ in added[name][:show]:
            print(f"    {step_name} {defect} {location}")
    return added


def _asked(path: Path, prefix: str | None, urls: set[Any]) -> list[str]:
    """The profile an example is validated against besides its own ``meta.profile``: ``prefix`` + its resource type,
    when the definitions hold one (UK Core's examples claim none; its profiles are ``UKCore-<Type>``)."""
    if prefix is None:
        return []
    try:
        kind = next((r.get("resourceType") for r in read_file(path)), None)
    except (DefinitionLoadError, OSError):
        return []
    return [f"{prefix}{kind}"] if f"{prefix}{kind}" in urls else []


def run_definitions(definitions: Path, examples: Path, cache: Path | None, names: list[str], show: int,
                    prefix: str | None = None) -> dict[str, list[Any]]:
    """The relaxations on a folder of definitions in any layout ``conformance validate fhir --package`` takes (UK
    Core's XML differentials, say: the guide mode rewrites only JSON snapshots) and a folder of examples, each
    validated against its own ``meta.profile`` and, with ``prefix``, against ``prefix<resourceType>``: the profiles
    are relaxed as the source hands them out (their snapshots, generated or given), each relaxation on a source of
    its own. Per relaxation, (file, (defect, location), n) of each error added."""
    import fhir_examples_alarms as alarms

    docs = own_resources([p for p in sorted(definitions.rglob("*")) if p.suffix in (".json", ".xml")])
    all_urls = {d.get("url") for d in docs if d.get("resourceType") == "StructureDefinition"}
    urls = all_urls - left_as_published(docs)
    files = sorted(p for p in examples.iterdir() if p.suffix in (".json", ".xml"))
    asked = {p.name: _asked(p, prefix, all_urls) for p in files}

    alarms.load([str(definitions)], cache)
    published = {p.name: _errors(p, alarms._SOURCE, asked[p.name]) for p in files}
    print(f"{definitions}: {len(files)} examples, {sum(bool(a) for a in asked.values())} asked a profile by type; "
          f"{len(urls)} of {len(all_urls)} profiles relaxable; {sum(sum(c.values()) for c in published.values())} "
          "errors as published")
    added: dict[str, list[Any]] = {name: [] for name in names}
    for name in names:
        alarms.load([str(definitions)], cache)  # a source of its own: what it indexed stays with it
        lookup = RelaxedLookup(alarms._SOURCE.structure, urls, RELAXATIONS[name])  # type: ignore[union-attr]
        setattr(alarms._SOURCE, "structure", lookup)  # noqa: B010 (shadows the method on this one instance)
        removed = 0
        for p in files:
            other = _errors(p, alarms._SOURCE, asked[p.name])
            removed += sum((published[p.name] - other).values())
            added[name] += [(p.name, key, n) for key, n in (other - published[p.name]).items()]
        print(f"{name}: {len(files)} examples compared, a profile handed out loosened: {lookup.changed}; "
              f"{len({f for f, _, _ in added[name]})} with errors added; {sum(n for *_, n in added[name])} errors "
              f"added; {removed} removed")
        for file, (defect, location), _ in added[name][:show]:
            print(f"    {file} {defect} {location}")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guide", type=Path, action="append", metavar="FOLDER",
                        help="a guide's package folder (repeatable)")
    parser.add_argument("--cases", type=Path, help="FHIR/fhir-test-cases: relax the tuning half's own profiles")
    parser.add_argument("--packages", type=Path, metavar="DIR", help="with --cases: the agreement bench's packages")
    parser.add_argument("--corpus", default="tune", help="with --cases: tune, leftout and/or other, comma-separated")
    parser.add_argument("--definitions", type=Path, metavar="DIR",
                        help="definitions in any layout (UK Core's XML differentials), with --examples DIR")
    parser.add_argument("--examples", type=Path, metavar="DIR", help="with --definitions: the examples")
    parser.add_argument("--profile-by-type", metavar="PREFIX",
                        help="with --definitions: also validate each example against PREFIX<resourceType>")
    parser.add_argument("--package-cache", type=Path, metavar="DIR", help="the FHIR package cache for dependencies")
    parser.add_argument("--relax", action="append", choices=list(RELAXATIONS), help="relaxations (default: all)")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="print K added errors of each relaxation")
    args = parser.parse_args(argv)
    if args.cases is None and (args.packages is not None or args.corpus != "tune"):
        parser.error("--packages and --corpus go with --cases")
    if args.cases is not None:
        corpora = tuple(c for c in args.corpus.split(",") if c)
        if not set(corpora) <= {"tune", "leftout", "other"}:
            parser.error(f"--corpus: tune, leftout or other, not {args.corpus}")
        run_tuning(args.cases, args.packages or args.cases / "validator" / "packages", args.relax or list(RELAXATIONS),
                   args.show, corpora)
    if args.guide:
        run(args.guide, args.relax or list(RELAXATIONS), args.package_cache, args.show)
    if (args.definitions is None) != (args.examples is None):
        parser.error("--definitions and --examples go together")
    if args.definitions is not None:
        run_definitions(args.definitions, args.examples, args.package_cache, args.relax or list(RELAXATIONS), args.show,
                        args.profile_by_type)
    if args.cases is None and not args.guide and args.definitions is None:
        parser.error("give --guide FOLDER, --cases PATH or --definitions DIR --examples DIR")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
