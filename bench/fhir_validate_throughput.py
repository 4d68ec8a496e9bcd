"""Throughput and cold start of `conformance validate fhir` against fhir.resources and jsonschema.

    .venv/bin/python bench/fhir_validate_throughput.py [--repeat N] [--cases PATH] [--cpu]

The same resources go to every validator in one run, all against base R4 only: the 140 UK Core 2.0.2
examples (../shared/data/ukcore-2.0.2/examples, converted from XML to JSON once, before timing), plus,
with --cases, the R4 JSON validator cases of a FHIR/fhir-test-cases checkout. Peers:

- fhir.resources 8.x: ``get_fhir_model_class(type).model_validate(resource)`` (pydantic models; note
  they are R4B, so some valid R4 resources fail there);
- jsonschema with the official FHIR R4 JSON Schema (../shared/data/fhir-r4/fhir.schema.json), the
  validator built once outside timing; jsonschema_rs on the same schema as an extra line when installed.

Each reports resources/second (best of --repeat timed passes after one warm-up; the validators' passes take
turns, so a change in the machine's load falls on all of them) and how many resources it judged invalid, which
shows how much each one checks. Cold start: a fresh process validating one
file, ours through the CLI, the peer importing fhir.resources and validating the same file.
Our validator runs compiled (mypyc: conformance/fhirval/native.py) when the install built it; the line "our
validator's hot path" says which, and ``CONFORMANCE_PURE_PYTHON=1`` runs the same modules from source for the
comparison. Nothing here asserts a time: it prints the numbers and the ratios. ``--cpu`` times the passes in this
process's CPU time (``time.process_time``) instead of the wall clock: every validator here runs on one
thread, so on a busy machine that is the figure other work does not move.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.fhirval import native  # noqa: E402
from conformance.fhirval.base import base_source  # noqa: E402
from conformance.fhirval.validate import validate_resource  # noqa: E402
from conformance.fhirval.xml import xml_to_json  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
Judge = Callable[[dict[str, Any]], bool]  # True when the validator accepts the resource


def resources(cases: Path | None) -> list[dict[str, Any]]:
    source = base_source()
    out = [xml_to_json(p.read_bytes(), source, allow_no_namespace=True)
           for p in sorted((DATA / "ukcore-2.0.2" / "examples").glob("*.xml"))]
    if cases is not None:
        manifest = json.loads((cases / "validator" / "manifest.json").read_text(encoding="utf-8"))
        for case in manifest["test-cases"]:
            path = cases / "validator" / case["file"]
            if str(case.get("version", "")).startswith("4.0") and path.suffix == ".json" and path.exists():
                try:
                    doc = json.loads(path.read_text(encoding="utf-8"))
                except ValueError:
                    continue
                if isinstance(doc, dict) and "resourceType" in doc:
                    out.append(doc)
    return out


def ours() -> Judge:
    source = base_source()
    return lambda r: not any(i.is_error for i in validate_resource(r, source))


def forget() -> None:
    """Empty the validator's memo of FHIRPath operands, so no timed pass reuses what an earlier pass over
    the same resources computed (within a pass, resources still share it, as in real use)."""
    from conformance.fhirval import invariants

    invariants._MEMO.clear()


def fhir_resources() -> Judge:
    from fhir.resources import get_fhir_model_class

    def judge(resource: dict[str, Any]) -> bool:
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except Exception:  # noqa: BLE001 - unknown type (KeyError) or pydantic ValidationError: both mean invalid
            return False
        return True
    return judge


def json_schema() -> Judge:
    import jsonschema

    schema = json.loads((DATA / "fhir-r4" / "fhir.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    return lambda r: validator.is_valid(r)


def json_schema_rs() -> Judge | None:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    schema = json.loads((DATA / "fhir-r4" / "fhir.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(schema)
    return lambda r: bool(validator.is_valid(r))


def throughputs(judges: list[Judge], docs: list[dict[str, Any]], repeat: int,
                clock: Callable[[], float] = time.perf_counter) -> list[tuple[float, int]]:
    """Each judge's resources/second (best pass) and verdicts. The passes take turns, one of each judge per round,
    so a change in the machine's load (other processes on a shared machine: even CPU time grows when they compete
    for the cores' caches) falls on every judge alike instead of on whichever ran during it."""
    invalid = [sum(not judge(d) for d in docs) for judge in judges]  # warm-up, and the verdicts
    best = [float("inf")] * len(judges)
    for _ in range(repeat):
        for k, judge in enumerate(judges):
            forget()
            start = clock()
            for doc in docs:
                judge(doc)
            best[k] = min(best[k], clock() - start)
    return [(len(docs) / b, n) for b, n in zip(best, invalid, strict=True)]


def cold(command: list[str], runs: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False, timeout=120)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", type=Path, help="a FHIR/fhir-test-cases checkout, for more resources")
    parser.add_argument("--cpu", action="store_true", help="time in this process's CPU time, not the wall clock")
    args = parser.parse_args()
    docs = resources(args.cases)
    clock = time.process_time if args.cpu else time.perf_counter
    print(f"{len(docs)} resources (UK Core 2.0.2 examples{' + fhir-test-cases R4 JSON' if args.cases else ''}), "
          f"base R4 only, best of {args.repeat}{', CPU time' if args.cpu else ''}")
    print(f"our validator's hot path: {native.MODE}"
          + (f" (mypyc, {len(native.COMPILED)} modules; {native.PURE_ENV}=1 times the sources)"
             if native.MODE == "compiled" else ""))
    made = [(name, make()) for name, make in (
        ("conformance validate", ours), ("fhir.resources (pydantic)", fhir_resources),
        ("jsonschema (fhir.schema.json)", json_schema), ("jsonschema_rs (same schema)", json_schema_rs))]
    judges = [(name, judge) for name, judge in made if judge is not None]
    measured = throughputs([judge for _, judge in judges], docs, args.repeat, clock)
    rows = [(name, rate, invalid) for (name, _), (rate, invalid) in zip(judges, measured, strict=True)]
    mine = rows[0][1]
    print(f"{'validator':32} {'resources/s':>12} {'ours/peer':>10} {'judged invalid':>15}")
    for name, rate, invalid in rows:
        ratio = "" if name.startswith("conformance") else f"{mine / rate:.2f}x"
        print(f"{name:32} {rate:12,.0f} {ratio:>10} {invalid:15}")

    one = ROOT / "fixtures" / "fhir" / "validation" / "patient-valid.json"
    ours_cold = cold([sys.executable, "-m", "conformance.cli", "validate", "fhir", str(one)])
    peer = (f"import json; from fhir.resources.patient import Patient; "
            f"Patient.model_validate(json.load(open({str(one)!r})))")
    peer_cold = cold([sys.executable, "-c", peer])
    uk_cold = cold([sys.executable, "-m", "conformance.cli", "validate", "fhir", "--package",
                    str(DATA / "ukcore-2.0.2"), str(one)])
    print("cold start, one file (min / median of 5 fresh processes):")
    print(f"  conformance validate fhir           {ours_cold[0]:.2f} s / {ours_cold[1]:.2f} s")
    print(f"  fhir.resources import + validate    {peer_cold[0]:.2f} s / {peer_cold[1]:.2f} s")
    print(f"  conformance, --package UK Core      {uk_cold[0]:.2f} s / {uk_cold[1]:.2f} s")


if __name__ == "__main__":
    main()
