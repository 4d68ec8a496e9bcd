"""DIAGNOSTICS ONLY, NOT PART OF THE MEASURE: the R4 cases of FHIR/fhir-test-cases that the agreement bench
leaves out, run anyway with what they need ignored.

    .venv/bin/python bench/fhir_leftout_diagnostics.py --cases PATH [--packages DIR] [--verdicts] [--summary]
        [--need NEED] [--tx-cache DIR]

bench/fhir_reference_agreement.py measures only the cases our validator can run as HL7's runner did. The
others (an option of HL7's validator we lack, a fetcher, a terminology server, a registry package not held
locally, a logical model...) still carry HL7's recorded outcome, so they are a second body of cases to learn
from. Here each is run with its need ignored: an option case without the option, a fetcher case without a
fetcher (references it would resolve stay unresolved), a terminology-server case with local terminology
only, a package case with the packages found locally (the missing ones named); a ``supporting5`` case gets
its R5 supporting files loaded, as HL7's runner does. So a disagreement may be the
ignored need, not the validator: every step is labelled with its need, and the numbers are a guide to
generic gaps (a rule we lack, an alarm we raise), never an agreement figure.

The measured held-out half stays unseen: a left-out case whose file or name is also used by a measured
held-out (odd-hash) step, as the bench's own ``select`` and hash split compute it, is dropped before
anything is printed; only how many were dropped is reported. Non-JSON/XML cases cannot be run and are
counted. R4 (version 4.0) only, like the measure.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_reference_agreement import (
    NEEDS_MORE,
    OPTIONS_NOT_OFFERED,
    PACKAGES,
    TERMINOLOGY_MODULES,
    Step,
    _offered,
    _step,
    needs_server,
    package_path,
    profile_options,
    report,
    run,
    select,
    show_step,
    with_tx_cache,
)

from conformance.fhirval.packages import PackageCache


@dataclass
class LeftOut:
    step: Step
    need: str  # what the case needs that was ignored: "option X", "fetcher", "packages missing: ..."


def _packages(root: Path, t: dict[str, Any], cache: PackageCache) -> tuple[list[Path], list[Path], list[str]]:
    """The case's packages and package-map held locally, and the specs of those not held."""
    found: list[list[Path]] = [[], []]
    missing: list[str] = []
    for i, specs in enumerate((t.get("packages", []), list((t.get("package-map") or {}).values()))):
        for spec in specs:
            path = package_path(root, spec, cache)
            if path is None:
                missing.append(spec)
            else:
                found[i].append(path)
    return found[0], found[1], missing


def _need(root: Path, t: dict[str, Any], missing: list[str], held: list[Path]) -> str:
    """Why the measure leaves the case (or its profile step) out, as the bench decides it."""
    options = [k for k in OPTIONS_NOT_OFFERED if k in t and not _offered(k, t[k], t)]
    if options:
        return "option " + ",".join(options)
    if missing:
        return "packages missing: " + ",".join(missing)
    if t.get("module") in TERMINOLOGY_MODULES and (t.get("module") not in ("tx", "tx-advanced") or t.get("tags")
                                                   or needs_server(root, t, held)):
        return f"terminology server ({t.get('module')})"
    return next((k for k in NEEDS_MORE if k in t and k not in PACKAGES), "other")


def held_out_touched(measured: list[Step]) -> tuple[set[str], set[Path]]:
    """The case names and files (instance and supporting) of the measured held-out (odd-hash) steps, given the
    bench's own ``select`` (and its hash split): a diagnostic case touching one is dropped unseen."""
    held_cases = {s.name.rsplit(" [", 1)[0] for s in measured if s.held_out}
    held_files = {p.resolve() for s in measured if s.held_out for p in (s.file, *s.supporting)}
    return held_cases, held_files


def case_steps(root: Path, t: dict[str, Any], cache: PackageCache, base_left: bool = True,
               prof_left: bool = True) -> list[LeftOut]:
    """A manifest case's base and/or profile step, each with its packages and the need the run ignores."""
    held, available, missing = _packages(root, t, cache)
    # supporting5: the case's supporting files written in R5 (HL7's runner loads them; ours reads them too)
    supporting = [*t.get("supporting", []), *t.get("profiles", []), *t.get("supporting5", [])]
    need = _need(root, t, missing, held)
    steps: list[tuple[Step | None, str]] = []
    if base_left:
        steps.append((_step(root, t, t.get("java"), "base", supporting, None), need))
    prof = t.get("profile")
    if (prof_left and isinstance(prof, dict) and isinstance(prof.get("source"), str)
            and prof.get("use-test") is not False):
        p_held, p_avail, p_missing = _packages(root, prof, cache)
        p_need = need if base_left else _need(root, {**prof, "module": t.get("module")}, p_missing, held)
        step = _step(root, t, prof.get("java"), "profile",
                     [*supporting, *prof.get("supporting", []), prof["source"]], prof["source"])
        if step is not None:
            step.packages, step.available = tuple(p_held), tuple(p_avail)
            step.options = profile_options(step.options, prof)
        steps.append((step, p_need))
    out: list[LeftOut] = []
    for step, why in steps:
        if step is None:
            continue  # no recorded outcome
        step.packages, step.available = (*held, *step.packages), (*available, *step.available)
        step.terminology = t.get("module") in TERMINOLOGY_MODULES
        out.append(LeftOut(step, why))
    return out


def leftout_steps(root: Path, cache: PackageCache) -> tuple[list[LeftOut], int, int]:
    """The left-out steps that may be looked at, how many were dropped for touching the held-out half, and how
    many cases cannot be run at all (not JSON or XML)."""
    measured, _ = select(root, cache)
    names = {s.name for s in measured}
    held_cases, held_files = held_out_touched(measured)
    manifest: dict[str, Any] = json.loads((root / "validator" / "manifest.json").read_text(encoding="utf-8"))
    out: list[LeftOut] = []
    dropped = unrunnable = 0
    for t in manifest["test-cases"]:
        if not str(t.get("version", "")).startswith("4.0") or t.get("use-test") is False:
            continue
        if not t["file"].endswith((".json", ".xml")) or not (root / "validator" / t["file"]).exists():
            unrunnable += 1
            continue
        base_left = f"{t['name']} [base]" not in names
        prof = t.get("profile")
        prof_left = (isinstance(prof, dict) and isinstance(prof.get("source"), str)
                     and prof.get("use-test") is not False and f"{t['name']} [profile]" not in names)
        if not (base_left or prof_left):
            continue
        if t["name"] in held_cases or (root / "validator" / t["file"]).resolve() in held_files:
            dropped += 1  # never printed: it would show a held-out case
            continue
        out.extend(case_steps(root, t, cache, base_left, prof_left))
    return out, dropped, unrunnable


def _run(cases: list[LeftOut], cache: PackageCache) -> None:
    for case in cases:
        try:
            run([case.step], cache)
        except Exception as exc:  # noqa: BLE001  (a crash on one case is reported, not fatal to the run)
            case.step.problem = f"validator raised {type(exc).__name__}: {exc}"
            case.step.got_errors = -1


def _need_class(need: str) -> str:
    return need.split(":")[0] if need.startswith("packages") else need


def diagnostics_parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every diagnostics bench over fhir-test-cases shares."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=Path, required=True, help="checkout of FHIR/fhir-test-cases")
    parser.add_argument("--packages", type=Path, metavar="DIR", help="FHIR packages (a cache or .tgz files)")
    parser.add_argument("--verdicts", action="store_true", help="list only verdict disagreements")
    parser.add_argument("--summary", action="store_true", help="print the totals only")
    parser.add_argument("--need", help="list only the steps whose need starts with this")
    return parser


def main() -> None:
    parser = diagnostics_parser(__doc__)
    parser.add_argument("--tx-cache", type=Path, metavar="DIR",
                        help="HL7's recorded terminology-server answers for R4 (its runner's txCache/.../4.0.1)")
    args = parser.parse_args()
    cache = PackageCache(args.packages or args.cases / "validator" / "packages")
    cases, dropped, unrunnable = leftout_steps(args.cases, cache)
    with_tx_cache([c.step for c in cases], args.tx_cache)
    _run(cases, cache)
    not_run = [c for c in cases if c.step.got_errors < 0]  # the harness could not load what the step names
    cases = [c for c in cases if c.step.got_errors >= 0]
    print("DIAGNOSTICS ONLY - not part of the measure; each result depends on the need ignored")
    print(f"{len(cases)} left-out R4 steps run with their need ignored; {dropped} cases dropped unseen (shared "
          f"a file or name with a measured held-out step); {unrunnable} cases not runnable (not JSON/XML)")
    print(f"{len(not_run)} not run (a file or profile the harness could not load): "
          + "; ".join(f"{c.step.name}: {c.step.problem[:100]}" for c in not_run))
    report("left-out steps", [c.step for c in cases])
    for need in sorted({_need_class(c.need) for c in cases}):
        report(f"  {need}", [c.step for c in cases if _need_class(c.need) == need])
    if args.summary:
        return
    for case in cases:
        if not args.need or case.need.startswith(args.need):
            show_step(case.step, args.verdicts, f" need: {case.need}")


if __name__ == "__main__":
    main()
