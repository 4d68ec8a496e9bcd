"""A profile made looser never makes a valid example invalid: errors a relaxation adds, no oracle needed.

    .venv/bin/python bench/fhir_profile_relaxations.py --guide FOLDER [--guide FOLDER ...] [--package-cache DIR]
        [--relax NAME ...] [--show K]
    .venv/bin/python bench/fhir_profile_relaxations.py --cases <fhir-test-cases> --packages DIR
        [--corpus tune,leftout,other] [--relax NAME ...]

The companion of bench/fhir_profile_invariance.py (same guides, same loading, same comparison): there a rewrite
must move nothing; here each relaxation removes or widens a constraint of every StructureDefinition of the guide,
so an example may lose errors but must gain none. An error found only against the relaxed guide is a false
alarm of ours there or a missed error in the published form, in how profiles are read. Each relaxation, argued
from HL7's InstanceValidator:

- ``min-zero``: every element's ``min`` 0 (the root aside). A minimum only ever reports "found fewer"
  (checkCardinalities); slices are matched by their discriminators, never by their cardinality.
- ``max-base``: every ``max`` raised to its ``base.max`` (a ``max`` of 0 kept: what is prohibited stays so, as its
  children may be left out of the snapshot). JSON array-ness is the core definitions' (HL7's parser).
- ``open-slicing``: ``closed`` slicing made ``open``: an element matching no slice is then allowed
  (VALIDATION_VAL_PROFILE_NOTSLICE gone); slice matching is unchanged.
- ``no-invariants``: each element's ``constraint``s whose ``source`` is not an R4 core definition removed.
- ``no-bounds``: ``maxLength``, ``minValue[x]`` and ``maxValue[x]`` removed.
- Outside any slicing (an element neither sliced, nor a slice, nor under either; and ``Extension.url`` of an
  extension kept), so that what a discriminator reads is untouched:
  ``no-fixed-pattern`` (``fixed[x]`` / ``pattern[x]`` removed), ``weaker-bindings`` (``required`` and
  ``extensible`` made ``preferred``: a code outside the value set is then information; a code unknown to its
  code system is judged as before), ``no-target-profiles`` (``targetProfile`` removed, so any target type) and
  ``no-type-profiles`` (``type.profile`` removed from types other than Extension).

A relaxation may rightly add errors in two ways: a profile that a slice of another names (its ``type.profile`` or
``targetProfile``, read by a ``profile`` or ``type`` discriminator or by ``resolve().conformsTo``), loosened, may
match elements it did not (a second slice matched, VALIDATION_VAL_PROFILE_MATCHMULTIPLE, and the first match kept);
an OperationDefinition's input or output profile is compared with its parameters (OperationDefinitionValidator).
Such profiles are left as published (left_as_published). Read each added error before calling it a defect.

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
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_examples_alarms import files
from fhir_profile_invariance import Json, compare, elements, findings, read, rewritten

from conformance.fhirval.loaders import DefinitionLoadError, read_file
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.validate import validate_bytes

CORE = "http://hl7.org/fhir/StructureDefinition/"
VALUE_KEYS = ("fixed", "pattern")
BOUND_KEYS = ("minValue", "maxValue")


def _not_root(e: Json) -> bool:
    return "." in str(e.get("path", ""))


def min_zero(sd: Json) -> None:
    for e in elements(sd):
        if _not_root(e) and isinstance(e.get("min"), int) and e["min"] > 0:
            e["min"] = 0


def max_base(sd: Json) -> None:
    for e in elements(sd):
        base = e.get("base")
        if _not_root(e) and isinstance(base, dict) and isinstance(base.get("max"), str) and e.get("max") != "0":
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
                               if isinstance(c, dict) and str(c.get("source", "")).startswith(CORE)]


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
    written without ids, by position (after an element with a ``sliceName``, those under its path)."""
    found: list[Json] = []
    sliced_at = ""
    for e in element_list:
        path = str(e.get("path", ""))
        if e.get("sliceName"):
            sliced_at = path
        elif sliced_at and not (path == sliced_at or path.startswith(sliced_at + ".")):
            sliced_at = ""
        if ":" in str(e.get("id", "")) or e.get("sliceName") or sliced_at:
            found.append(e)
    return found


def left_as_published(docs: list[Json]) -> set[str]:
    """The canonicals of profiles that loosening could rightly make less valid material: those a slice names
    (``type.profile`` or ``targetProfile`` of a slice or an element under one; loosened, one can match an element a
    second slice matched, and the first match is kept) and those an OperationDefinition names as its
    ``inputProfile`` / ``outputProfile`` (compared with its parameters, cardinality included). Extension slices
    are matched by their url, so extensions stay in."""
    urls: set[str] = set()
    for doc in docs:
        if doc.get("resourceType") == "OperationDefinition":
            urls |= {str(doc[k]).split("|")[0] for k in ("inputProfile", "outputProfile") if doc.get(k)}
        if doc.get("resourceType") != "StructureDefinition":
            continue
        differential = [e for e in (doc.get("differential") or {}).get("element") or [] if isinstance(e, dict)]
        for e in in_slices(elements(doc)) + in_slices(differential):
            for t in e.get("type") or []:
                if not isinstance(t, dict) or t.get("code") == "Extension":
                    continue
                for key in ("profile", "targetProfile"):
                    if isinstance(t.get(key), list):
                        urls |= {str(u).split("|")[0] for u in t[key]}
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


def _relaxed(sd: Json, _versions: dict[str, str], relax: Callable[[Json], None], kept: set[str]) -> None:
    if sd.get("url") not in kept:
        relax(sd)


def run(guides: list[Path], names: list[str], cache: Path | None, show: int) -> dict[str, list[Any]]:
    """Per relaxation, the errors it added: (guide, file, error)."""
    added: dict[str, list[Any]] = {name: [] for name in names}
    removed = dict.fromkeys(names, 0)
    counted = dict.fromkeys(names, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for guide in guides:
            package = guide / "package" if (guide / "package").is_dir() else guide
            examples = list(files([package / "example"])) if (package / "example").is_dir() else []
            if not examples:
                print(f"{guide}: no example/ folder, not compared")
                continue
            published = findings(package, examples, cache)
            kept = discriminating(package)
            print(f"{guide.name}: {len(examples)} examples; {len(kept)} profiles named by slices left as published")
            for name in names:
                change = functools.partial(_relaxed, relax=RELAXATIONS[name], kept=kept)
                other = findings(rewritten(package, name, Path(tmp) / guide.name, change), examples, cache)
                counted[name] += len(examples)
                for file, side, error in compare(published, other):
                    if side == "rewritten":
                        added[name].append((guide.name, file, error))
                    else:
                        removed[name] += 1
    for name in names:
        by_defect = collections.Counter(error[1] for _, _, error in added[name])
        print(f"{name}: {counted[name]} examples compared; {len({(g, f) for g, f, _ in added[name]})} with errors "
              f"added; {len(added[name])} errors added {dict(by_defect.most_common())}; {removed[name]} removed")
        for guide_name, file, (_, defect, location, _) in added[name][:show]:
            print(f"    {guide_name} {file} {defect} {location}")
    return added


def own_resources(files: list[Path]) -> list[Json]:
    """The resources of a step's own files (the instance, its supporting files and its profile)."""
    found: list[Json] = []
    for path in files:
        try:
            found += read_file(path)
        except (DefinitionLoadError, OSError):
            continue
    return found


def _errors(step: Any, source: Any, profiles: tuple[str, ...]) -> collections.Counter[tuple[str, str]]:
    issues = validate_bytes(step.file.read_bytes(), source, list(profiles), options=step.options)
    return collections.Counter((i.defect, i.location) for i in issues if i.is_error)


def _relaxed_lookup(original: Callable[[str], Json | None], copies: dict[int, tuple[Json, Json]], urls: set[Any],
                    relax: Callable[[Json], None], key: str) -> Json | None:
    """``structure`` of a step's source with its own canonicals relaxed: one relaxed copy per original dict, kept with
    it (the validator's indexes are keyed by the dict handed out)."""
    sd = original(key)
    if sd is None or sd.get("url") not in urls:
        return sd
    if id(sd) not in copies:
        loose = copy.deepcopy(sd)
        relax(loose)
        copies[id(sd)] = (sd, loose)
    return copies[id(sd)][1]


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
    from fhir_reference_agreement import _source, generators_in, runner_terminology

    cache = PackageCache(packages)
    runner_terminology(cases, cache, None)
    generators = generators_in(cache)
    added: dict[str, list[Any]] = {name: [] for name in names}
    removed = dict.fromkeys(names, 0)
    compared = 0
    for step in [s for corpus in corpora for s in corpus_steps(cases, cache, corpus)]:
        docs = own_resources([step.file, *step.supporting, *([step.profile] if step.profile else [])])
        urls = {d.get("url") for d in docs if d.get("resourceType") == "StructureDefinition"} - left_as_published(docs)
        if not urls:
            continue
        try:
            source, profiles = _source(step, cache, generators)
            before = _errors(step, source, profiles)
        except (DefinitionLoadError, OSError) as exc:
            print(f"    {step.name}: not run ({exc})")
            continue
        compared += 1
        for name in names:
            fresh, _ = _source(step, cache, generators)  # a source of its own: what it indexed stays with it
            fresh.structure = functools.partial(  # type: ignore[attr-defined]
                _relaxed_lookup, fresh.structure, {}, urls, RELAXATIONS[name])
            after = _errors(step, fresh, profiles)
            removed[name] += sum((before - after).values())
            added[name] += [(step.name, defect, location, n) for (defect, location), n in (after - before).items()]
    for name in names:
        print(f"{name}: {compared} steps ({', '.join(corpora)}) with StructureDefinitions of their own; "
              f"{len({a[0] for a in added[name]})} with errors added; {sum(a[3] for a in added[name])} errors added; "
              f"{removed[name]} removed")
        for step_name, defect, location, _ in added[name][:show]:
            print(f"    {step_name} {defect} {location}")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guide", type=Path, action="append", metavar="FOLDER",
                        help="a guide's package folder (repeatable)")
    parser.add_argument("--cases", type=Path, help="FHIR/fhir-test-cases: relax the tuning half's own profiles")
    parser.add_argument("--packages", type=Path, metavar="DIR", help="with --cases: the agreement bench's packages")
    parser.add_argument("--corpus", default="tune", help="with --cases: tune, leftout and/or other, comma-separated")
    parser.add_argument("--package-cache", type=Path, metavar="DIR", help="the FHIR package cache for dependencies")
    parser.add_argument("--relax", action="append", choices=list(RELAXATIONS), help="relaxations (default: all)")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="print K added errors of each relaxation")
    args = parser.parse_args(argv)
    if args.cases is not None:
        corpora = tuple(c for c in args.corpus.split(",") if c)
        if not set(corpora) <= {"tune", "leftout", "other"}:
            parser.error(f"--corpus: tune, leftout or other, not {args.corpus}")
        run_tuning(args.cases, args.packages or args.cases / "validator" / "packages", args.relax or list(RELAXATIONS),
                   args.show, corpora)
    if args.guide:
        run(args.guide, args.relax or list(RELAXATIONS), args.package_cache, args.show)
    if args.cases is None and not args.guide:
        parser.error("give --guide FOLDER or --cases PATH")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
