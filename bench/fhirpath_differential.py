"""Invariants judged by two FHIRPath engines: every invariant the validator evaluates, evaluated again by fhirpath.js.

    .venv/bin/python bench/fhirpath_differential.py --fhirpath-js DIR [--examples FOLDER ...]
        [--guide FOLDER ... --package-cache DIR] [--cases FTC --packages DIR] [--limit N] [--show K]

The held-out half of issue 21's measure had a false alarm in HL7's "invariants" module (the agreement bench
counts disagreements by module, never by case); the visible material shows none. A second, independent engine is
an oracle that needs no HL7 verdict: fhirpath.js (the HL7 FHIRPath implementation from the US National Library of
Medicine, ``npm install fhirpath`` into DIR; run with Node.js, its R4 model) answers every invariant this
validator evaluates, on the very element, with the same ``%resource`` and ``%rootResource``
(ValidationContext's resource and root). Each call of ``invariants.evaluate`` is recorded during an ordinary
validation (the invariants ``invariants.NATIVE`` checks in code, ele-1, dom-*, ref-1, txt-*, are not
FHIRPath calls and are not compared); a call is then judged as HL7's checkInvariant judges
(``convertToBoolean``: empty fails, a single false fails, anything else passes). Where the two engines
disagree, neither is taken as right: the bench prints the expression, the element and both results, to be
decided from HL7's FHIRPathEngine. fhirpath.js does not know HL7's own functions (``htmlChecks``, ``conformsTo``,
``memberOf`` without a server...): calls it cannot run are counted, not compared.

Corpora: ``--examples FOLDER`` (repeatable: R4's examples; against base R4 and the runner's packages),
``--guide FOLDER`` (repeatable: a guide's package, its ``example/`` resources against it, dependencies from
``--package-cache``) and, with ``--cases``, the agreement bench's tuning half (never a held-out step).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fhir_format_parity import dump_json, examples_of, resource_files
from fhir_reference_agreement import runner_packages, runner_terminology, tuning_steps

from conformance.fhirval import invariants
from conformance.fhirval.default_packages import with_defaults
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.options import DEFAULT, Options
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_bytes

NODE_SCRIPT = r"""
const readline = require('readline');
const fhirpath = require(process.argv[2] + '/node_modules/fhirpath');
const r4 = require(process.argv[2] + '/node_modules/fhirpath/fhir-context/r4');
const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
rl.on('line', (line) => {
  const batch = JSON.parse(line);  // one validated file: its resources and its calls
  const out = [];
  for (const c of batch.calls) {
    try {
      const env = {resource: batch.resources[c.r], rootResource: batch.resources[c.root]};
      const got = fhirpath.evaluate(c.item, {base: c.base, expression: c.expr}, env, r4, {traceFn: () => {}});
      out.push({ok: true, n: got.length, value: got.length === 1 ? got[0] : null,
                text: JSON.stringify(got).slice(0, 120)});
    } catch (e) {
      out.push({ok: false, error: String(e.message || e).slice(0, 160)});
    }
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
"""


@dataclass
class Call:
    label: str
    expr: str
    base: str
    item: Any
    resource: int
    root: int
    fails: bool  # ours: the invariant fails (empty or a single false)


class Recorder:
    """Wraps invariants.evaluate (interpreted, never compiled: native.COMPILED) to keep each call and our answer."""

    def __init__(self, real: Any, label: str) -> None:
        self.calls: list[Call] = []
        self.resources: list[Any] = []
        self._index: dict[int, int] = {}
        self._seen: set[tuple[str, str, str, int, int]] = set()
        self.label = label
        self._real = real

    def _ref(self, resource: Any) -> int:
        key = id(resource)
        if key not in self._index:
            self._index[key] = len(self.resources)
            self.resources.append(json.loads(dump_json(resource)))
        return self._index[key]

    def __call__(self, expression: str, item: Any, base_path: str, resource: Any, root: Any,
                 place: Any = None) -> list[Any]:
        result: list[Any] = self._real(expression, item, base_path, resource, root, place)
        r, rr = self._ref(resource), self._ref(root)
        item_json = dump_json(item)
        key = (expression, invariants._typed_path(base_path), item_json, r, rr)
        if key not in self._seen:
            self._seen.add(key)
            self.calls.append(Call(self.label, expression, key[1], json.loads(item_json), r, rr,
                                   invariants._failed(result)))
        return result


def items(args: argparse.Namespace) -> Iterator[tuple[str, bytes, DefinitionSource, tuple[str, ...], Options]]:
    cache = PackageCache(args.packages) if args.packages else None
    base = load_definitions([], defaults=runner_packages(cache.root)) if cache else load_definitions([])
    for folder in map(Path, args.examples):
        for path in resource_files(folder, (".json",), limit=args.limit):
            yield f"{folder.parent.name}/{path.name}", path.read_bytes(), base, (), DEFAULT
    for folder in map(Path, args.guide):
        source = with_defaults([folder], PackageCache(args.package_cache) if args.package_cache else None)
        for path in resource_files(examples_of(folder), (".json",), limit=args.limit):
            yield f"{folder.parent.name}/{path.name}", path.read_bytes(), source, (), DEFAULT
    if args.cases and cache is not None:
        for step, step_source, profiles in tuning_steps(args.cases, cache):
            yield step.name, step.file.read_bytes(), step_source, profiles, step.options


def _hl7_fails(answer: dict[str, Any]) -> bool:
    """HL7's convertToBoolean on fhirpath.js's result: empty or a single false fails."""
    return bool(answer["n"] == 0 or (answer["n"] == 1 and answer["value"] is False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fhirpath-js", type=Path, required=True, help="a folder with node_modules/fhirpath")
    parser.add_argument("--examples", action="append", default=[], help="a folder of JSON resources (repeatable)")
    parser.add_argument("--guide", action="append", default=[], metavar="FOLDER",
                        help="a guide's package folder: its example/ resources against the guide (repeatable)")
    parser.add_argument("--package-cache", type=Path, help="the FHIR package cache for the guides' dependencies")
    parser.add_argument("--cases", type=Path, help="fhir-test-cases: also the agreement bench's tuning half")
    parser.add_argument("--packages", type=Path, help="the FHIR packages folder (runner-wide packages)")
    parser.add_argument("--limit", type=int, help="N files of each folder, evenly spread")
    parser.add_argument("--show", type=int, default=3, help="K instances of each disagreeing expression")
    args = parser.parse_args()
    if args.cases and args.packages:
        for line in runner_terminology(args.cases, PackageCache(args.packages), None):
            print(line)
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "run.js"
        script.write_text(NODE_SCRIPT)
        node = subprocess.Popen(["node", str(script), str(args.fhirpath_js.resolve())], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
        assert node.stdin is not None and node.stdout is not None
        real = invariants.evaluate
        files = 0
        try:
            for label, raw, source, profiles, options in items(args):
                recorder = Recorder(real, label)
                invariants.evaluate = recorder
                try:
                    validate_bytes(raw, source, profiles, options=options)
                finally:
                    invariants.evaluate = real
                files += 1
                if not recorder.calls:
                    continue
                batch = {"resources": recorder.resources, "calls": [
                    {"r": c.resource, "root": c.root, "base": c.base, "expr": c.expr, "item": c.item}
                    for c in recorder.calls]}
                node.stdin.write(json.dumps(batch, default=str) + "\n")
                node.stdin.flush()
                tally.add(recorder.calls, json.loads(node.stdout.readline()))
        finally:
            node.stdin.close()
            node.wait(timeout=60)
    print(f"{files} files validated; {tally.recorded} distinct invariant evaluations recorded "
          f"({len(tally.expressions)} expressions)")
    tally.report(args.show)


class Tally:
    """The two engines' answers compared, call by call, as each file's come back."""

    def __init__(self) -> None:
        self.not_run: collections.Counter[str] = collections.Counter()
        self.not_run_expr: dict[str, str] = {}
        self.ours_only: dict[str, list[str]] = collections.defaultdict(list)  # we fail, fhirpath.js passes
        self.theirs_only: dict[str, list[str]] = collections.defaultdict(list)
        self.agree = 0
        self.recorded = 0
        self.expressions: set[str] = set()

    def add(self, calls: list[Call], answers: list[dict[str, Any]]) -> None:
        for c, a in zip(calls, answers, strict=True):
            self.recorded += 1
            self.expressions.add(c.expr)
            if not a["ok"]:
                why = a["error"].split(":")[0][:60]
                self.not_run[why] += 1
                self.not_run_expr.setdefault(why, c.expr)
                continue
            theirs = _hl7_fails(a)
            where = f"{c.label} @{c.base}: {json.dumps(c.item)[:140]} -> fhirpath.js {a['text']}"
            if theirs == c.fails:
                self.agree += 1
            elif c.fails:
                self.ours_only[c.expr].append(where)
            else:
                self.theirs_only[c.expr].append(where)

    def report(self, show: int) -> None:
        ours = sum(map(len, self.ours_only.values()))
        theirs = sum(map(len, self.theirs_only.values()))
        print(f"compared {self.agree + ours + theirs}: agree {self.agree}; fails here only {ours} (latent false "
              f"alarms); fails in fhirpath.js only {theirs} (latent misses); not run by fhirpath.js "
              f"{sum(self.not_run.values())}")
        for title, table in (("fails here only", self.ours_only), ("fails in fhirpath.js only", self.theirs_only)):
            for expr, where in sorted(table.items(), key=lambda kv: -len(kv[1])):
                print(f"  {title}: {len(where)} x {expr[:200]}")
                for line in where[:show]:
                    print(f"      {line}")
        for why, n in self.not_run.most_common(12):
            print(f"  not run: {n} x {why} (e.g. {self.not_run_expr[why][:120]})")


if __name__ == "__main__":
    main()
