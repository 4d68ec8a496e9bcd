"""Validate FHIR R4 resources: the entry points and the OperationOutcome (DESIGN.md section 3).

``validate_resource`` walks a parsed resource against every profile asked for and every profile it
claims (``meta.profile``), and against its base definition unless a profile asked for constrains its
type (as HL7's validator: that profile's snapshot holds every base rule); ``validate_bytes`` adds what
an input file can get wrong before that (not JSON, not a resource, too large, too deeply nested), so
that every input ends in an OperationOutcome and never in a traceback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from conformance import safejson
from conformance.fhirval import asked
from conformance.fhirval.context import model_for
from conformance.fhirval.elements import Walker
from conformance.fhirval.issues import Issue, Sink
from conformance.fhirval.json_lenient import LenientJsonError, LenientJsonTooDeep, Liberty, read_lenient
from conformance.fhirval.options import Options, options_from
from conformance.fhirval.source import DefinitionSource
from conformance.outcome import operation_outcome
from conformance.validation import ValidationReport

MAX_BYTES = 64 * 1024 * 1024
_SEVERITY_ORDER = {"fatal": 0, "error": 1, "warning": 2, "information": 3}


def validate_resource(resource: dict[str, Any], source: DefinitionSource, profiles: Sequence[str] = (),
                      *, max_issues: int = 10_000, extension_domains: Sequence[str] = (),
                      wrong_displays: str | None = None, options: Options | None = None) -> list[Issue]:
    """Every issue found in one resource (a Bundle's entries included), in the order the walk meets them:
    document order, except that an object's choice, sliced or ``_name``-shadowed elements come after its others.

    ``extension_domains``: URL prefixes (or "any") under which an extension with no loaded definition is
    information rather than an error. ``wrong_displays``: ``"error"`` judges a Coding's wrong display an error,
    as HL7's validator does by default; ``"warning"`` (ours) reports it as a warning. ``options``: every switch
    (options.py), these two included; the keywords add to it."""
    opts = options_from(options, extension_domains, wrong_displays)
    sink = Sink(limit=max_issues, display_errors=opts.wrong_displays == "error", best_practice_level=opts.best_practice)
    walker = Walker(model_for(source), sink, options=opts)
    try:
        asked.walk(walker, resource, profiles)
    except RecursionError:
        sink.error("too-deep", "", "the resource is nested too deeply to validate")
    return sink.issues


def parse_json(data: bytes | str, duplicates: list[tuple[dict[str, Any], str]] | None = None,
               *, comments: bool = False, liberties: list[Liberty] | None = None) -> tuple[Any, Issue | None]:
    """The parsed document, or an issue saying why it cannot be read as JSON. ``duplicates`` collects each
    extra occurrence of a name in one object, with that object (the last value is kept, as ``json.loads`` keeps it).
    ``comments``: ``//`` and ``/* */`` comments are read as white space (HL7's -allow-comments, its JsonLexer).
    ``liberties``, when given: a document ``json.loads`` refuses is read as HL7 reads it (json_lenient.py) and
    the liberties it takes are collected there (comments among them unless ``comments``)."""
    if len(data) > MAX_BYTES:
        return None, Issue("fatal", "too-large", "", f"the input is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    text = ""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        if "\ufeff" in text:  # HL7's JsonParser.parseJsonObject reads Utilities.stripBOM(source): every U+FEFF out
            text = text.replace("\ufeff", "")
        if comments and "/" in text:
            text = without_comments(text)
        if duplicates is not None:
            doc = safejson.loads(text, object_pairs_hook=lambda pairs: _pairs(pairs, duplicates))
        else:
            doc = safejson.loads(text)
        escape = _unknown_escape(text) if "\\b" in text or "\\f" in text else None
        return (None, escape) if escape is not None else (doc, None)
    except safejson.JsonLimitError as exc:
        return None, Issue("fatal", "too-deep" if "nested" in str(exc) else "too-large", "", str(exc))
    except UnicodeDecodeError as exc:
        return None, Issue("fatal", "not-json", "", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except json.JSONDecodeError as exc:
        refused = Issue("fatal", "not-json", "", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        return None, Issue("fatal", "too-deep", "", "the JSON is nested too deeply to read")
    if liberties is None:
        return None, refused
    try:
        doc, taken, repeated = read_lenient(text)
    except LenientJsonTooDeep:  # the strict parser stopped at the first liberty, before the depth
        return None, Issue("fatal", "too-deep", "", f"the JSON is nested too deeply to read (the limit is "
                                                    f"{safejson.MAX_DEPTH} levels)")
    except LenientJsonError:
        return None, refused
    liberties.extend(t for t in taken if not (comments and t.key == "JSON_COMMENTS_NOT_ALLOWED"))
    if duplicates is not None:
        duplicates.extend(repeated)
    return doc, None


def _unknown_escape(text: str) -> Issue | None:
    """HL7's JsonLexer.next knows the escapes \\" \\' \\\\ \\/ \\n \\r \\t \\u, not JSON's \\b and \\f: either is
    "unknown escape sequence", an IOException, which elementmodel.JsonParser.parse logs as the fatal
    ERROR_PARSING_JSON_. Only called on text json.loads read, where every backslash opens an escape inside a
    string, so the pairs are found in order."""
    for m in _ESCAPE_PAIR.finditer(text):
        if m.group(1) in "bf":
            line = text.count("\n", 0, m.start()) + 1
            return Issue("fatal", "not-json", "", f"not JSON as HL7 reads it: unknown escape sequence "
                                                  f"\\{m.group(1)} at line {line}")
    return None


_ESCAPE_PAIR = re.compile(r"\\(.)", re.S)

# a JSON string (kept), or a line or block comment (blanked): one pass, so "//" inside a string is no comment
# a string runs to its closing quote or, unterminated, to the end (json.loads then says where): were it left to
# fail, the search would start again inside it at every escaped quote, quadratic in its length (review8)
_STRING_OR_COMMENT = re.compile(r'"[^"\\]*(?:\\[\s\S][^"\\]*)*(?:"|\\?\Z)|//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)')


def without_comments(text: str) -> str:
    """JSON with its comments blanked out (lines kept, so a parse error's position stays right), strings as they are."""
    return _STRING_OR_COMMENT.sub(
        lambda m: m.group() if m.group().startswith('"') else re.sub(r"[^\r\n]", " ", m.group()), text)


def _pairs(pairs: list[tuple[str, Any]], duplicates: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    """Each extra occurrence of a name, with the object it is in (kept alive, so found again by identity)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen and key != "resourceType":  # HL7 passes over a resource's resourceType (checkNotProcessed)
                duplicates.append((obj, key))
            seen.add(key)
    return obj


def _duplicate_issues(doc: dict[str, Any], duplicates: list[tuple[dict[str, Any], str]]) -> list[Issue]:
    """One error per extra occurrence, at the path of the object holding it, as HL7's JsonParser reports
    DUPLICATE_JSON_PROPERTY_KEY (at the parent element's path). Walked only when there are duplicates; an object
    inside a value json.loads dropped for a later one has no path left: reported at the document."""
    paths: dict[int, str] = {}
    wanted = {id(obj) for obj, _ in duplicates}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            if id(value) in wanted:
                paths[id(value)] = path
            for key, child in value.items():
                walk(child, f"{path}.{key}")
        elif isinstance(value, list):
            for i, child in enumerate(value):
                walk(child, f"{path}[{i}]")

    walk(doc, str(doc.get("resourceType")))
    return [Issue("error", "json-duplicate", paths.get(id(obj), ""),
                  f"the property {key!r} appears more than once in one JSON object") for obj, key in duplicates]


def validate_bytes(data: bytes | str, source: DefinitionSource, profiles: Sequence[str] = (),
                   *, extension_domains: Sequence[str] = (), wrong_displays: str | None = None,
                   options: Options | None = None) -> list[Issue]:
    """Validate one input file's content (FHIR JSON; XML when the XML converter is available)."""
    opts = options_from(options, extension_domains, wrong_displays)
    # past a UTF-8 byte order mark, which HL7's XmlParser.checkHeader accepts before "<" (parse_json drops it too)
    body = data.removeprefix(b"\xef\xbb\xbf") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    # a UTF-16 byte order mark before XML too: HL7 reads the file as XML and reports its encoding (checkHeader)
    if body.lstrip()[:1] in (b"<", "<") or (isinstance(body, bytes) and body[:2] in (b"\xfe\xff", b"\xff\xfe")
                                             and body[2:4] in (b"\x00<", b"<\x00")):
        return _validate_xml(data, source, profiles, opts)
    duplicates: list[tuple[dict[str, Any], str]] = []
    liberties: list[Liberty] = []
    doc, problem = parse_json(data, duplicates, comments=opts.allow_comments, liberties=liberties)
    if problem is not None:
        return [problem]
    if not isinstance(doc, dict):
        kind = "an array" if isinstance(doc, list) else f"a JSON {type(doc).__name__}"
        return [Issue("fatal", "not-resource", "", f"not a FHIR resource: the document is {kind}, not an object")]
    if "resourceType" not in doc:
        return [Issue("fatal", "not-resource", "", "not a FHIR resource: the object has no resourceType")]
    # a property given twice in one object is an error to HL7's JSON parser (DUPLICATE_JSON_PROPERTY_KEY,
    # elementmodel.JsonParser.checkNotProcessed), which reads both; json.loads keeps only the last
    first = _duplicate_issues(doc, duplicates) if duplicates else []
    # what HL7's lenient JSON reader read past, each an error where its element parser reports it
    root = doc["resourceType"] if isinstance(doc["resourceType"], str) else ""
    first += [Issue("error", "json-syntax", (root + t.path).lstrip("."), t.message) for t in liberties]
    if "resourceDefinition" in doc:
        first += _resource_definition(doc["resourceDefinition"], source, root)
    return first + validate_resource(doc, source, profiles, options=opts)


def _resource_definition(value: Any, source: DefinitionSource, root: str) -> list[Issue]:
    """HL7's JsonParser.parse(errors, object, statedPath): a root's ``resourceDefinition`` (R5's additional
    resources) names the StructureDefinition to read it by; not a string is RESOURCEDEFINITION_PROPERTY_WRONG_TYPE,
    a URL it cannot resolve RESOURCEDEFINITION_PROPERTY_UNKNOWN, both errors. One that resolves is read past here
    (the resource is judged by its resourceType)."""
    if not isinstance(value, str):
        return [Issue("error", "resource-type", root, "resourceDefinition must be a JSON string")]
    if source.structure(value) is None:
        return [Issue("error", "resource-type", root, f"the resourceDefinition {value!r} is not a known "
                                                     "StructureDefinition")]
    return []


def _validate_xml(data: bytes | str, source: DefinitionSource, profiles: Sequence[str],
                  opts: Options) -> list[Issue]:
    try:
        from conformance.fhirval.xml import FHIR_NS, FhirXmlError, XmlFindings, element_to_json, parse_xml
        from conformance.fhirval.xml_rules import xml_document_issues, xml_header_issues
    except ImportError:
        return [Issue("fatal", "xml-not-supported", "", "FHIR XML input is not yet supported: give FHIR JSON")]
    # surrogatepass: a lone surrogate reaches the XML parser as an invalid character instead of raising here
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        return [Issue("fatal", "too-large", "", f"the input is {len(raw):,} bytes; the limit is {MAX_BYTES:,}")]
    header = xml_header_issues(raw)  # checkHeader runs before the parse: reported beside a parse failure too
    first = list(header)
    found = XmlFindings()
    try:
        root = parse_xml(raw, keep_pis=True, div_comments=True)
        first.extend(xml_document_issues(root))
        try:
            doc = element_to_json(root, source, findings=found)
        except FhirXmlError as exc:
            if "(found none)" not in str(exc):
                raise
            # No xmlns at all (9 of UK Core 2.0.2's own examples): read it as FHIR, and say so. A warning,
            # not HL7's error: the content is still judged in full, and the defect is still reported.
            found = XmlFindings()
            doc = element_to_json(root, source, allow_no_namespace=True, findings=found)
            first.append(Issue("warning", "xml-namespace", "", f"the XML has no namespace: FHIR XML must be in "
                                                               f"http://hl7.org/fhir ({exc})"))
    except FhirXmlError as exc:
        return [*header, Issue("fatal", "xml", "", f"not FHIR XML: {exc}")]
    except RecursionError:
        return [Issue("fatal", "too-deep", "", "the XML is nested too deeply to read")]
    first.extend(Issue("error", "unknown-element", where, what) for where, what in found.undefined)
    first.extend(Issue("error", "xml-namespace", where, f"wrong namespace {ns!r}: expected {FHIR_NS!r}")
                 for where, ns in found.wrong_namespace)
    # HL7 makes this an error (VALIDATION_VAL_PROFILE_OUTOFORDER); a warning here, as for a missing xmlns: the
    # content is judged in full, and three of UK Core 2.0.2's own XML examples put an element out of order
    first.extend(Issue("warning", "element-order", where, f"the element '{name}' is out of order (found after "
                       f"'{after}'): FHIR XML gives elements in their definition's order")
                 for where, name, after in found.out_of_order)
    # HL7's XmlParser (TEXT_SHOULD_NOT_BE_PRESENT): FHIR XML has no text content outside the narrative
    first.extend(Issue("error", "xml", where, f"text should not be present ({text[:60]!r}): FHIR XML carries "
                       "values in value attributes") for where, text in found.stray_text)
    return first + validate_resource(doc, source, profiles, options=opts)


def is_valid(issues: Sequence[Issue]) -> bool:
    return not any(i.is_error for i in issues)


def summary(issues: Sequence[Issue]) -> str:
    errors = sum(1 for i in issues if i.is_error)
    warnings = sum(1 for i in issues if i.severity == "warning")
    verdict = "valid" if not errors else f"invalid ({errors} error{'s' * (errors != 1)})"
    return verdict + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else "")


def report(ident: str, issues: Sequence[Issue]) -> ValidationReport:
    """The verdict on one input, for ``conformance validate fhir`` (every line names the input)."""
    return ValidationReport(ident, "fhir", is_valid(issues), summary(issues), [i.common() for i in issues],
                            to_outcome(issues), lead=f"{ident}: ", detail=f"{ident}: ")


def to_outcome(issues: Sequence[Issue]) -> dict[str, Any]:
    """The OperationOutcome of DESIGN.md: errors first, then warnings, then information, each in walk order."""
    ordered = sorted(issues, key=lambda i: _SEVERITY_ORDER.get(i.severity, 4))
    return operation_outcome([i.to_fhir() for i in ordered], all_clear=f"{summary(issues)}: no issues found")
