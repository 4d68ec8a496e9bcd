"""Run as a script by test_native.py: every issue the validator gives on UK Core 2.0.2's examples (against base R4
and against their UK Core profiles) and on mutants of them (bench/fhir_base_mutations.py's classes, one of each
class per resource type), printed as JSON after the line ``mode: <how fhirval's modules were loaded>``.

The test runs it twice, compiled and with CONFORMANCE_PURE_PYTHON=1, and asks for the same output: the sources
are the reference, so the compiled build must not change a single issue.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from conformance.fhirval import native  # noqa: E402
from conformance.fhirval.layered import load_definitions  # noqa: E402
from conformance.fhirval.validate import validate_bytes  # noqa: E402
from conformance.fhirval.xml import xml_to_json  # noqa: E402

UKCORE = ROOT.parent / "shared" / "data" / "ukcore-2.0.2"
UK = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"


def main() -> int:
    import fhir_base_mutations as mutations  # bench/: the mutant classes

    source = load_definitions([UKCORE])
    out: list[list[object]] = []
    for path in sorted((UKCORE / "examples").glob("*.xml")):
        doc = xml_to_json(path.read_bytes(), source, allow_no_namespace=True)
        data = json.dumps(doc).encode()
        profile = UK + str(doc.get("resourceType"))
        for profiles in ((), (profile,) if source.structure(profile) is not None else ()):
            out.append([path.name, list(profiles), [i.line() for i in validate_bytes(data, source, profiles)]])
    invalid: list[str] = []
    for label, cls, element, body in mutations.build([], [UKCORE / "examples"], 1, invalid):
        out.append([label, cls, element, [i.line() for i in validate_bytes(body, source)]])
    print(f"mode: {native.MODE}")
    print(json.dumps(out, indent=0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
