"""Local ValueSet expansion against expansions HL7's own tooling published: codes a published expansion holds that
ours leaves out would be judged "not in the value set" here (a false alarm on a required binding).

    .venv/bin/python bench/fhir_expansion_oracle.py --expansions BUNDLE.json [--packages DIR] [--show K]

R4's examples package holds ``Bundle-valueset-expansions.json``: 553 of R4's ValueSets, each with its ``compose``
and the ``expansion`` HL7's build made of it in 2019 (FHIR's own code systems of R4 4.0.1, as base R4 holds them
here; HL7 Terminology's of that year, older than the THO package loaded here). Each value set is expanded by
this validator's local terminology (conformance.fhirval.terminology, base R4 and the runner's packages, THO
among them) from its own definition, and compared system by system where ours is closed (every code known: not
an open system, not a grammar, not uncertain). A code in the published expansion and not in ours is listed
("missing here": a latent false alarm, unless the code system changed since 2019), and one ours has that the
published lacks ("extra here": a latent miss, or a code added since). Expansions HL7 cut short
(``expansion.total`` above what it lists) are compared only for codes it lists.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.fhirval.layered import load_definitions
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology

Json = dict[str, Any]


def published_codes(expansion: Json) -> dict[str, set[str]]:
    out: dict[str, set[str]] = collections.defaultdict(set)

    def walk(contains: Any) -> None:
        for c in contains or ():
            if isinstance(c, dict):
                if isinstance(c.get("system"), str) and isinstance(c.get("code"), str) and not c.get("abstract"):
                    out[c["system"]].add(c["code"])
                walk(c.get("contains"))
    walk(expansion.get("contains"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--expansions", type=Path, required=True, help="a Bundle of ValueSets with expansions")
    parser.add_argument("--packages", type=Path, help="the FHIR packages folder (the runner's packages: THO...)")
    parser.add_argument("--show", type=int, default=5, help="K value sets of each kind of difference")
    args = parser.parse_args()
    from fhir_reference_agreement import runner_packages

    base = load_definitions([], defaults=runner_packages(args.packages) if args.packages else ())
    bundle = json.loads(args.expansions.read_text(encoding="utf-8-sig"))
    value_sets = [e["resource"] for e in bundle.get("entry") or () if isinstance(e.get("resource"), dict)
                  and e["resource"].get("resourceType") == "ValueSet"]
    stats = collections.Counter[str]()
    missing: list[str] = []
    extra: list[str] = []
    missing_by_system: collections.Counter[str] = collections.Counter()
    for vs in value_sets:
        url = vs.get("url")
        if not isinstance(url, str) or not vs.get("compose"):
            continue
        definition = {k: v for k, v in vs.items() if k != "expansion"}
        term = Terminology(MemorySource([definition]), base)
        try:
            ours = term.expand(url)
        except Exception as exc:  # noqa: BLE001 - a crash is a finding of its own, listed and counted
            stats["crashed"] += 1
            missing.append(f"{url}: expansion raised {type(exc).__name__}: {exc}")
            continue
        if ours is None:
            stats["not expanded here"] += 1
            continue
        theirs = published_codes(vs.get("expansion") or {})
        cut = isinstance((vs.get("expansion") or {}).get("total"), int) and \
            vs["expansion"]["total"] > sum(map(len, theirs.values()))
        compared = differs = False
        for system, codes in theirs.items():
            if system in ours.open_systems or system in ours.grammar_systems or system in ours.uncertain \
                    or system not in ours.codes:
                stats["systems open or unknown here"] += 1
                continue
            compared = True
            mine = ours.codes[system]
            lost = codes - mine
            if lost:
                differs = True
                missing.append(f"{url} [{system}]: {len(lost)} published, not here: {sorted(lost)[:6]}")
                missing_by_system[system] += len(lost)
            added = set() if cut else mine - codes
            if added:
                differs = True
                extra.append(f"{url} [{system}]: {len(added)} here, not published: {sorted(added)[:6]}")
        stats["compared" if compared else "nothing comparable"] += 1
        stats["identical where compared"] += compared and not differs
    print(f"{len(value_sets)} value sets; " + "; ".join(f"{k} {v}" for k, v in sorted(stats.items()) if v))
    print(f"missing here (latent false alarms): {len(missing)} value set/system pairs; by system: "
          + ", ".join(f"{s} {n}" for s, n in missing_by_system.most_common(12)))
    for line in missing[:args.show]:
        print(f"  {line}")
    print(f"extra here (latent misses): {len(extra)} value set/system pairs")
    for line in extra[:args.show]:
        print(f"  {line}")


if __name__ == "__main__":
    main()
