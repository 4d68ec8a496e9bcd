"""DIAGNOSTICS ONLY, NOT PART OF THE MEASURE: guides' published snapshots as an oracle for our snapshot generator.

    .venv/bin/python bench/fhir_published_snapshots.py PKG.tgz... [--context PKG.tgz...] [--summary] [--show N]
        [--only URL-or-id...] [--classes CLASS...]

Every constraining StructureDefinition a guide publishes with a differential AND a snapshot had its snapshot built by
HL7's IG publisher (ProfileUtilities.generateSnapshot). Here each is regenerated from its differential, with the
guide's own definitions (as published, snapshots included), the held packages it depends on, the R4 extensions
package (``--context``) and base R4 as context, and compared with the published one through
bench/snapshot_compare.py's attribute classes; per package (with the publisher's version, from qa.txt beside the
package when there is one, else the package's date) and per class. A profile whose base (or a type profile it
needs) is not held is ``not runnable``; a dependency not held at the version the guide names is listed (``not
held``): a type profile from it is then missing and the generator falls back to the base type (TW Core's
``Coding-tw`` mustSupport flags in tw.iii.ltc).

Publishers of different years differ: a difference only an old publisher makes (qa.txt's ``IG Publisher Version``)
is not ours to copy; R4's own published snapshots (4.0.1's generator) predate several of today's rules. The
extensions package held is not the one every guide built against (a type profile's definition may differ).
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from snapshot_compare import ATTRIBUTES, compare

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.loaders import DefinitionLoadError
from conformance.fhirval.packages import Package, read_tgz
from conformance.fhirval.snapshot import SnapshotError, apply_differential
from conformance.fhirval.source import DefinitionSource, Json, MemorySource

SUPPLIED = {"hl7.fhir.r4.core", "hl7.terminology.r4", "hl7.terminology"}  # base R4; terminology has no profiles
DEFAULT_CONTEXT = (Path("/tmp/fhirpkgs/ig/hl7.fhir.uv.extensions.r4-5.3.0-ballot-tc1.tgz"),)


@dataclass
class Result:
    url: str
    verdict: str  # "pass", "fail", "error" (not runnable: the harness lacks a definition)
    detail: list[str] = field(default_factory=list)
    classes: Counter[str] = field(default_factory=Counter)


def publisher(tgz: Path, package: Package) -> str:
    """The IG publisher version from qa.txt beside the package, else the package's date (what year built it)."""
    qa = tgz.parent / "qa.txt"
    if qa.exists():
        found = re.search(r"IG Publisher Version: (\S+)", qa.read_text(errors="replace")[:2000])
        if found:
            return f"publisher {found.group(1)}"
    return f"published {package.version or '?'}"


def regenerable(sd: Json) -> bool:
    """A constraining profile with a differential and a published snapshot whose elements all have ids."""
    snapshot = (sd.get("snapshot") or {}).get("element") or []
    return (sd.get("resourceType") == "StructureDefinition" and sd.get("derivation") == "constraint"
            and bool((sd.get("differential") or {}).get("element")) and bool(snapshot)
            and all(isinstance(el, dict) and el.get("id") for el in snapshot))


def regenerate(sd: Json, source: DefinitionSource) -> Result:
    url = str(sd.get("url"))
    mine = copy.deepcopy({k: v for k, v in sd.items() if k != "snapshot"})
    try:
        builder, _ = apply_differential(mine, source)
    except (SnapshotError, DefinitionLoadError) as exc:
        text = str(exc)
        lacks = "is not loaded" in text
        return Result(url, "error" if lacks else "fail", [f"{'not runnable' if lacks else 'raised'}: {text}"],
                      Counter() if lacks else Counter({"raised": 1}))
    except (KeyError, TypeError, AttributeError, AssertionError, ValueError) as exc:
        return Result(url, "fail", [f"crashed: {type(exc).__name__}: {exc}"], Counter({"raised": 1}))
    diffs, classes = compare(sd["snapshot"]["element"], builder.elements)
    return Result(url, "fail" if diffs else "pass", diffs, classes)


def held_packages(paths: list[Path]) -> dict[tuple[str, str], Package]:
    """Every package given, by npm name and version (a guide's dependencies are looked up here: another version of
    one, mCODE 4.0.0's genomics-reporting, is not its context)."""
    out: dict[tuple[str, str], Package] = {}
    for path in paths:
        package = read_tgz(path)
        out.setdefault((package.name or str(path), package.version or ""), package)
    return out


def context_for(package: Package, held: dict[tuple[str, str], Package], context: list[Package]) -> LayeredSource:
    """Base R4, the context packages, the held packages it depends on, then the guide itself (later wins)."""
    layers: list[DefinitionSource] = [base_source()]
    layers += [MemorySource(p.resources) for p in context if p.name != package.name]
    layers += [MemorySource(held[d].resources) for d in package.dependencies.items()
               if d in held and d[0] != package.name]
    layers.append(MemorySource(package.resources))
    return LayeredSource(layers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("packages", nargs="+", type=Path, help="guides' package .tgz files")
    parser.add_argument("--context", nargs="*", type=Path, default=list(DEFAULT_CONTEXT),
                        help="packages every guide is generated with (default: the R4 extensions package)")
    parser.add_argument("--summary", action="store_true", help="per package and totals only")
    parser.add_argument("--show", type=int, default=6, help="differences shown per profile")
    parser.add_argument("--only", nargs="*", default=None, help="these profile urls (or ids) only")
    parser.add_argument("--classes", nargs="*", default=None, help="show only profiles differing in these classes")
    args = parser.parse_args(argv)
    held = held_packages(args.packages)
    context = [read_tgz(p) for p in args.context]
    totals: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    profiles_by_class: Counter[str] = Counter()
    for tgz in args.packages:
        package = read_tgz(tgz)
        source = context_for(package, held, context)
        results = [regenerate(sd, source) for sd in package.resources if regenerable(sd)
                   and (args.only is None or sd.get("url") in args.only or sd.get("id") in args.only)]
        verdicts = Counter(r.verdict for r in results)
        mine: Counter[str] = Counter()
        for r in results:
            mine.update(r.classes)
            profiles_by_class.update(r.classes.keys())
        classes += mine
        totals.update(verdicts)
        lacking = [f"{d}#{v}" for d, v in package.dependencies.items()
                   if (d, v) not in held and d not in SUPPLIED and d not in {p.name for p in context}]
        print(f"{package.name}#{package.version} ({publisher(tgz, package)}): {verdicts['pass']}/{len(results)} agree, "
              f"{verdicts['error']} not runnable; " + ", ".join(f"{c} {n}" for c, n in mine.most_common())
              + (f" [not held: {', '.join(lacking)}]" if lacking else ""))
        for r in results if not args.summary else []:
            if r.verdict == "pass" or (args.classes and not set(args.classes) & set(r.classes)):
                continue
            print(f"  {r.verdict.upper():5} {r.url}")
            for line in r.detail[: args.show]:
                print(f"        {line[:400]}")
            if len(r.detail) > args.show:
                print(f"        ... {len(r.detail) - args.show} more")
    runnable = totals["pass"] + totals["fail"]
    print(f"profiles: {totals['pass']}/{runnable} runnable agree ({totals['error']} not runnable)")
    print("attribute classes (elements differing / profiles affected): " + ", ".join(
        f"{c} {classes[c]}/{profiles_by_class[c]}" for c in (*ATTRIBUTES, "raised")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
