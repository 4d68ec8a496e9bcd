"""DIAGNOSTICS ONLY, NOT PART OF THE MEASURE: the R4B (4.3), R5 (5.0) and version-less cases of
FHIR/fhir-test-cases, run through our R4 validator as a third tuning corpus.

    .venv/bin/python bench/fhir_other_versions_diagnostics.py --cases PATH [--packages DIR] [--verdicts]
        [--summary] [--artefacts] [--need NEED]

The measure (bench/fhir_reference_agreement.py) runs the R4 cases only. HL7's runner validates a case without
a version against R5 (TestingUtilities' default), and its Java validator applies the same rules to every
version, so these cases test rules our R4 validator has or lacks. Each is run with base R4, the runner's
packages and the case's own supporting files (``supporting5`` too), as bench/fhir_leftout_diagnostics.py runs
its cases (the same step builder; its need, a server or an option ignored, is labelled the same way).

Version artefacts are counted apart, never worked: a step where R4's definitions do not fit the case, found by
reading the instance and its supporting files against R4 before judging the verdict: a resource type R4 lacks
(in the instance, a contained or entry resource, or a supporting file, or the type a supporting profile
constrains), a supporting file or profile step source that cannot be loaded or resolved, or an element our R4
validator calls unknown (``unknown-element``, ``unknown-resource-type``, ``choice-type``...) that HL7's
recorded messages do not also name. An instance that cannot be read at all (JSON or XML syntax, a namespace, an
encoding) is no artefact: every FHIR version's parser reads the same formats, so its errors are R4 material, unless
its root element is no FHIR resource type (a CDA document: a logical model). What is left is compared as R4: a
disagreement there is a missed error or a false alarm of a rule that is the same in R4, or a genuine R4/R5
difference of a shared element that the artefact test cannot see (so read each one before fixing anything).

Why not R5 definitions as the base: conformance/fhirval is R4 through and through beyond base.py's zip (the
FHIRPath model, the cross-version tables, THO's R4 flavour, the vital-signs and xhtml tables, the
extensions package's R4 flavour), so an ``--base r5`` would judge R5 content with R4 rules and call the mixture
agreement; the artefact label keeps to what the R4 validator can be judged on.

The held-out half stays unseen: a case whose name or file is used by a measured held-out (odd-hash) step
(bench/fhir_leftout_diagnostics.held_out_touched, from the bench's own ``select`` and hash split), or whose
supporting files include a held-out step's instance, is dropped before anything is printed; only how many
is reported.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_leftout_diagnostics import LeftOut, _need_class, _run, case_steps, diagnostics_parser, held_out_touched
from fhir_reference_agreement import report, select, show_step

from conformance.fhirval.base import base_source
from conformance.fhirval.loaders import DefinitionLoadError, read_file
from conformance.fhirval.packages import PackageCache, read_source
from conformance.fhirval.source import FHIR_BASE
from conformance.fhirval.validate import validate_bytes

VERSIONS = ("4.3", "5.0")  # and the version-less cases, R5 to HL7's runner
# our defects that say the instance does not fit R4's definitions (when HL7's messages do not also name the element)
# HL7's error messages its validator gives only from R5 on (R4 gets a warning): InstanceValidator.checkPrimitive,
# TYPE_SPECIFIC_CHECKS_DT_BASE64_NO_WS_ERROR when VersionUtilities.isR5Plus, else ..._NO_WS_WARNING
R5_ONLY_ERRORS = ("Base64 encoded values are not allowed to contain any whitespace",
                  # checkExtensionContext's EXTENSION_FHIR_VERSION_EARLIEST/_LATEST: judged against the FHIR version
                  "specifies that the latest version it can be used with", "specifies that the earliest version")
# an extension definition limited to some FHIR versions (ExtensionDefinitions.EXT_FHIRVERSION_SPECIFIC_USE): its
# verdict depends on the version validated against
VERSION_SPECIFIC_USE = re.compile(rb"(fhirversion|/version)-specific-use")
R4_DISCRIMINATORS = frozenset({"value", "exists", "pattern", "type", "profile"})  # R5 added position
R4_MISFIT = frozenset({"unknown-element", "unknown-resource-type", "choice-type", "xml", "resource-type"})


def _resource_types(node: Any) -> Iterator[str]:
    """Every resourceType in a document: the resource, its contained and entry resources, parameters' parts."""
    if isinstance(node, dict):
        if isinstance(node.get("resourceType"), str):
            yield node["resourceType"]
        for value in node.values():
            yield from _resource_types(value)
    elif isinstance(node, list):
        for value in node:
            yield from _resource_types(value)


def _r4_lacks(types: Any) -> list[str]:
    base = base_source()
    return sorted({t for t in types if base.structure(t) is None})


def _misfit_element(message: str, expected: tuple[str, ...]) -> bool:
    """An unknown-element kind of error on a name HL7's messages do not mention (so R5's element, not a test)."""
    location, _, rest = message.partition(": [")
    defect = rest.split("]", 1)[0]
    if defect not in R4_MISFIT:
        return False
    name = re.sub(r"\[\d+\]$", "", location.rsplit(".", 1)[-1]) if location else ""
    quoted = re.findall(r"'([^']+)'", rest)
    names = {n for n in (name, *quoted) if n}
    return not any(n in m for n in names for m in expected)


class R5Core:
    """hl7.fhir.r5.core's definitions, where the packages folder holds it: to tell an error on an element or code
    whose R5 definition differs from R4's (R5 loosened a minimum, made an element repeat, added a code)."""

    def __init__(self, cache: PackageCache) -> None:
        found = cache.find("hl7.fhir.r5.core", None)
        resources = read_source(found).resources if found is not None else []
        self.by_url = {r["url"]: r for r in resources if isinstance(r.get("url"), str)}

    def element(self, path: str) -> dict[str, Any] | None:
        sd = self.by_url.get(FHIR_BASE + path.split(".", 1)[0]) or {}
        return next((e for e in (sd.get("snapshot") or {}).get("element", []) if e.get("path") == path), None)

    def has_code(self, vs_url: str, code: str) -> bool:
        """Whether R5's value set of that URL includes the code from a code system R5 holds."""
        vs = self.by_url.get(vs_url.split("|")[0]) or {}
        for inc in (vs.get("compose") or {}).get("include", []):
            listed = {c.get("code") for c in inc.get("concept", [])}
            concepts = list((self.by_url.get(inc.get("system", "")) or {}).get("concept", []))
            while concepts:
                c = concepts.pop()
                listed.add(c.get("code") if "concept" not in inc else None)
                concepts.extend(c.get("concept", []))
            if code in listed:
                return True
        return False

    def invariant_differs(self, message: str) -> bool:
        """Whether HL7's ``Constraint failed: key`` message names an invariant of the base whose R5 expression is not
        R4's (R5 rewrote ctm-1 as ``member.resolve() is Practitioner``)."""
        found = re.match(r"([\w.\[\]]+): Constraint failed: ([\w-]+):", message)
        if not found:
            return False
        path, key = re.sub(r"\[\d+\]", "", found[1]), found[2]
        r4 = base_source().structure(path.split(".", 1)[0]) or {}
        r4_element: dict[str, Any] = next(
            (e for e in r4.get("snapshot", {}).get("element", []) if e.get("path") == path), {})
        mine = {c.get("key"): c.get("expression") for c in r4_element.get("constraint", [])}
        theirs = {c.get("key"): c.get("expression") for c in (self.element(path) or {}).get("constraint", [])}
        return key in mine and key in theirs and mine[key] != theirs[key]

    def differs(self, message: str) -> bool:
        """Whether one of our errors (``location: [defect] text``) is on what R5 defines differently from R4."""
        defect, _, text = message.partition(": [")[2].partition("] ")
        path = text.split(":", 1)[0].split(" ", 1)[0]
        if defect == "cardinality-min" and (e := self.element(path)) is not None:
            return int(e.get("min", 0)) < int(re.findall(r"minimum required = (\d+)", text)[0])
        if defect == "array-unexpected" and (e := self.element(path)) is not None:
            return e.get("max") == "*"
        found = re.match(r"'([^']+)' is not in the value set (\S+) \(required", text)
        return defect == "code-invalid" and found is not None and self.has_code(found[2], found[1])


def _r4_regex_accepts(message: str) -> bool:
    """HL7's message that a value fails its version's regex for a primitive type (R5 tightened decimal's) where
    R4's own regex for that type accepts the value."""
    found = re.search(r"Element value '([^']*)' does not meet (\w+) regex", message)
    sd = base_source().structure(found[2]) if found else None
    for e in (sd or {}).get("snapshot", {}).get("element", []):
        for x in e.get("type", [{}])[0].get("extension", []) if e.get("type") else []:
            if found and x.get("url", "").endswith("/regex") and re.fullmatch(x.get("valueString", ""), found[1]):
                return True
    return False


@functools.cache
def _unknown_elements(path: Path) -> str:
    """The first element of a supporting file base R4 does not know (R5's ``binding.additional``...), or ''. An XML
    attribute that is no FHIR property (``xsi:schemaLocation``) is no R5 content: HL7's runner loads a supporting
    file as a definition, unvalidated, so only an element R4 lacks makes it misfit."""
    found = [i for i in validate_bytes(path.read_bytes(), base_source())
             if i.defect == "unknown-element" and not i.message.startswith("the attribute ")]
    return f"{found[0].location}: {found[0].message[:60]}" if found else ""


_START_TAG = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def _xml_root(path: Path) -> str:
    """The local name of an XML document's first element, or '' (JSON, or bytes no start tag can be read from)."""
    head = path.read_bytes()[:4096]
    head = re.sub(rb"<[?!][^>]*>", b"", head)  # the XML declaration, comments, a DOCTYPE
    found = _START_TAG.search(head)
    return found[2].decode("ascii") if found else ""


def _r4_has_extension(message: str) -> bool:
    """HL7's 'The extension URL could not be found' for an extension base R4 defines (R5 moved it out of the core)."""
    found = re.search(r"The extension (\S+) could not be found", message)
    return found is not None and base_source().structure(found[1].split("|")[0]) is not None


def artefact(case: LeftOut, r5: R5Core) -> str:
    """Why R4's definitions do not fit this step, or ''."""
    step = case.step
    if step.got_errors < 0:
        return f"not loadable in R4: {step.problem[:80]}"
    try:
        lacking = _r4_lacks(_resource_types(read_file(step.file)))
    except DefinitionLoadError as exc:
        root = _xml_root(step.file)
        if root and base_source().structure(root) is None:
            return f"not a FHIR resource (<{root}>, a logical model's?): {exc.reason[:60]}"
        lacking = []  # a format error (JSON or XML syntax, namespaces, encoding): every FHIR version reads alike
        unreadable = True
    else:
        unreadable = False
    if lacking:
        return "resource type R4 lacks: " + ",".join(lacking)
    for path in step.supporting:
        try:
            resources = read_file(path) if path.exists() else []
        except DefinitionLoadError:
            return f"supporting file not readable as R4: {path.name}"
        if path.exists() and (unknown := _unknown_elements(path)):
            return f"supporting {path.name}: an element R4 lacks: {unknown}"
        if path.exists() and VERSION_SPECIFIC_USE.search(path.read_bytes()):
            return f"supporting {path.name}: an extension for some FHIR versions only"
        kinds = {d.get("type") for r in resources if r.get("resourceType") == "StructureDefinition"
                 for e in (r.get("differential") or {}).get("element", [])
                 for d in (e.get("slicing") or {}).get("discriminator", [])}
        if kinds - R4_DISCRIMINATORS:
            return f"supporting {path.name}: a discriminator type R4 lacks: " + ",".join(sorted(map(str, kinds)))
        constrained = [r.get("type") for r in resources if r.get("resourceType") == "StructureDefinition"
                       and r.get("derivation") == "constraint"]
        lacking = _r4_lacks([*_resource_types(resources), *(t for t in constrained if isinstance(t, str))])
        if lacking:
            return f"supporting {path.name}: type R4 lacks: " + ",".join(lacking)
    # (nothing of an unreadable instance was read, so no element of it is one R4 lacks: its error is the format's)
    misfit = [] if unreadable else [m for m in step.messages if _misfit_element(m, step.expected_messages)]
    if misfit:
        return "element R4 lacks: " + misfit[0][:100]
    if any(text in m for m in step.expected_messages for text in R5_ONLY_ERRORS):
        return "an error HL7 gives by the FHIR version (from R5 on, or outside an extension's versions)"
    if any(r5.invariant_differs(m) for m in step.expected_messages):
        return "an invariant R5 rewrote"
    if any(_r4_has_extension(m) for m in step.expected_messages):
        return "an extension R4 defines that HL7's R5 context lacks"
    if any(_r4_regex_accepts(m) for m in step.expected_messages):
        return "R5's regex for a primitive type, R4's accepts the value"
    differs = [m for m in step.messages if r5.differs(m)]
    return "defined otherwise in R5: " + differs[0][:100] if differs else ""


def other_version_steps(root: Path, cache: PackageCache) -> tuple[list[LeftOut], int, int]:
    """The 4.3, 5.0 and version-less steps that may be looked at, how many cases were dropped for touching the
    held-out half, and how many cannot be run (not JSON/XML, or the file is missing)."""
    measured, _ = select(root, cache)
    held_cases, held_files = held_out_touched(measured)
    held_instances = {s.file.resolve() for s in measured if s.held_out}
    manifest: dict[str, Any] = json.loads((root / "validator" / "manifest.json").read_text(encoding="utf-8"))
    folder = root / "validator"
    out: list[LeftOut] = []
    dropped = unrunnable = 0
    for t in manifest["test-cases"]:
        version = str(t.get("version", ""))
        if (version and not version.startswith(VERSIONS)) or t.get("use-test") is False:
            continue
        if not t["file"].endswith((".json", ".xml")) or not (folder / t["file"]).exists():
            unrunnable += 1
            continue
        files = [t["file"], *t.get("supporting", []), *t.get("profiles", []), *t.get("supporting5", [])]
        if (t["name"] in held_cases or (folder / t["file"]).resolve() in held_files
                or any((folder / f).resolve() in held_instances for f in files)):
            dropped += 1  # never printed: it would show a held-out case
            continue
        out.extend(case_steps(root, t, cache))
    return out, dropped, unrunnable


def main() -> None:
    parser = diagnostics_parser(__doc__)
    parser.add_argument("--artefacts", action="store_true", help="list the version-artefact steps too")
    args = parser.parse_args()
    cache = PackageCache(args.packages or args.cases / "validator" / "packages")
    cases, dropped, unrunnable = other_version_steps(args.cases, cache)
    _run(cases, cache)
    for c in cases:
        c.need = "none" if c.need == "other" else c.need  # run as HL7 ran it, nothing ignored
    r5 = R5Core(cache)
    labels = {id(c): artefact(c, r5) for c in cases}
    fit = [c for c in cases if not labels[id(c)]]
    misfit = [c for c in cases if labels[id(c)]]
    print("DIAGNOSTICS ONLY - not part of the measure; R4B/R5/version-less cases judged with base R4")
    print(f"{len(cases)} steps; {dropped} cases dropped unseen (shared a file or name with a measured held-out "
          f"step); {unrunnable} cases not runnable (not JSON/XML, or missing)")
    report(f"version artefacts (R4 does not fit; counted apart, {len(misfit)})", [c.step for c in misfit])
    report("R4-compatible steps", [c.step for c in fit])
    for kind in ("base", "profile"):
        report(f"  {kind} steps", [c.step for c in fit if c.step.name.endswith(f"[{kind}]")])
    for need in sorted({_need_class(c.need) for c in fit}):
        report(f"  need {need}", [c.step for c in fit if _need_class(c.need) == need])
    if args.summary:
        return
    for case in fit + (misfit if args.artefacts else []):
        if not args.need or case.need.startswith(args.need):
            note = f" need: {case.need}" + (f"; ARTEFACT {labels[id(case)]}" if labels[id(case)] else "")
            show_step(case.step, args.verdicts, note)


if __name__ == "__main__":
    main()
