"""The rules the validator's options turn on (options.py): each off by default, as in HL7's validator.

A primitive value is screened for HTML (``-security-checks``, ``-html-in-markdown``) and for example URLs
(``-allow-example-urls`` off); a canonical resource is held to the no-experimental-content and publication rules.
The walker calls in only when an option asks for it, so the default walk pays one attribute test per value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.extensions import CANONICAL_RESOURCES
from conformance.fhirval.index import Node
from conformance.fhirval.options import contains_html_tags, markdown_html
from conformance.fhirval.source import Json
from conformance.fhirval.value_presence import defining_url

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

WORKGROUP = "http://hl7.org/fhir/StructureDefinition/structuredefinition-wg"
_URL_TYPES = frozenset({"uri", "url", "canonical"})
# BaseValidator.isExampleUrl
_EXAMPLE_HOSTS = ("example.org", "acme.com", "acme.org", "example.com", "example.net")
_EXAMPLE_OIDS = ("urn:oid:1.3.6.1.4.1.32473.", "urn:oid:2.999.")
# InstanceValidator.isExemptPathForUrlChecking's exempt extensions (web source, IG page name)
_EXEMPT_EXTENSIONS = frozenset({"http://hl7.org/fhir/tools/StructureDefinition/ig-page-name",
                                "http://hl7.org/fhir/tools/StructureDefinition/web-source",
                                "http://hl7.org/fhir/StructureDefinition/web-source"})
# ... and the extensions whose value is checked elsewhere or not at all (its Extension.value[x] branch)
_EXEMPT_VALUES = frozenset({"http://hl7.org/fhir/StructureDefinition/textLink",
                            "http://hl7.org/fhir/uv/cql/StructureDefinition/cql-namespaceUri"})


def is_example_url(url: str) -> bool:
    """A URL in a domain kept for examples (HL7's BaseValidator.isExampleUrl)."""
    return (any(h + "/" in url or url.endswith(h) for h in _EXAMPLE_HOSTS) or url.startswith(_EXAMPLE_OIDS))


def screen_value(w: Walker, item: str, node: Node, tcode: str, loc: str) -> None:
    """HTML where a value should hold text, and example URLs where they are refused (InstanceValidator.
    checkPrimitive: SECURITY_STRING_CONTENT_ERROR for any type but xhtml when securityChecks is on;
    TYPE_SPECIFIC_CHECKS_DT_MARKDOWN_HTML for markdown at the -html-in-markdown level;
    TYPE_SPECIFIC_CHECKS_DT_URL_EXAMPLE when examples are not allowed and the URL cannot be resolved)."""
    options = w.options
    if tcode == "xhtml":
        return
    if options.security_checks and contains_html_tags(item):
        w.sink.error("security", loc, "the value holds text that looks like HTML tags, which are not allowed for "
                                      "security reasons here (security checks are on)")
    if tcode == "markdown" and options.html_in_markdown != "ignore" and not _narrative_comment(w, loc):
        found = markdown_html(item)
        if found is not None:
            w.sink.add(options.html_in_markdown, "markdown-html", loc,
                       f"the markdown holds what looks like an embedded HTML tag starting at {found!r}; a "
                       "presentation layer will (or should) escape it")
    if not options.allow_examples and tcode in _URL_TYPES and _judged_url(w, node, tcode, item):
        w.sink.error("example-url", loc, f"example URLs are not allowed here ({item}): examples are refused")


def _narrative_comment(w: Walker, loc: str) -> bool:
    """ElementDefinition.comment on a ``.text.div`` element, which HL7 exempts (it documents narrative HTML)."""
    host = w.hosts[-1] if w.hosts else None
    path = host.get("path") if isinstance(host, dict) else None
    return loc.endswith(".comment") and isinstance(path, str) and path.endswith(".text.div")


def _judged_url(w: Walker, node: Node, tcode: str, url: str) -> bool:
    """Whether an example URL here is refused: not a fragment, not a canonical resource's own url, not a
    Bundle entry's fullUrl, nor in an exempt extension (InstanceValidator.checkPrimitive / validateReference /
    isExemptPathForUrlChecking with exampleStep)."""
    if url.startswith("#") or not is_example_url(url) or defining_url(node):
        return False
    base = node.ed.get("base")
    path = base.get("path") if isinstance(base, dict) else node.path
    if path == "Bundle.entry.fullUrl":
        return False
    if tcode == "canonical":  # no exemptions for a canonical (validateReference's canonical branch)
        return True
    host = w.hosts[-1] if w.hosts else None
    own = host.get("url") if isinstance(host, dict) else None
    if own in _EXEMPT_EXTENSIONS:
        return False
    if path == "Extension.value[x]":  # exempt with no URL above it, or in an extension judged elsewhere
        return isinstance(own, str) and own not in _EXEMPT_VALUES
    return True


def canonical_rules(w: Walker, res: Json, rtype: str, loc: str) -> None:
    """A canonical resource under -no-experimental-content and -forPublication (InstanceValidator.validateResource:
    VALIDATION_NO_EXPERIMENTAL_CONTENT; checkPublisherConsistency, for an HL7 url: VALIDATION_HL7_WG_NEEDED)."""
    if rtype not in CANONICAL_RESOURCES:
        return
    options = w.options
    if options.no_experimental_content and res.get("experimental") is True:
        w.sink.error("experimental", loc, "experimental content is not allowed here (no-experimental-content)")
    url = res.get("url")
    if (options.for_publication and isinstance(url, str) and url.startswith("http://hl7.org/fhir/")
            and "http://hl7.org/fhir/sid" not in url and not _has_workgroup(res)):
        w.sink.error("publication", loc, f"when HL7 publishes a resource, the owning committee must be stated with "
                                         f"the {WORKGROUP} extension")


# checkShareableCodeSystem / ValueSet / ConceptMap / Measure under -forPublication, for a resource that is not
# contained and whose url holds "hl7" (BaseValidator.isHL7): each element missing is an error (*_SHAREABLE_MISSING_HL7;
# a Measure's name too, its title only a warning); a CodeSystem's caseSensitive unless it is a supplement
_SHAREABLE: dict[str, tuple[str, ...]] = {
    "CodeSystem": ("url", "version", "title", "status", "experimental", "description", "content"),
    "ValueSet": ("url", "version", "title", "status", "experimental", "description"),
    "ConceptMap": ("url", "version", "title", "status", "experimental", "description"),
    "Measure": ("url", "version", "name", "status", "experimental", "publisher", "description"),
}


def shareable_rules(w: Walker, res: Json, rtype: str, loc: str) -> None:
    """An HL7 terminology or Measure resource to be published states what makes it shareable."""
    wanted = _SHAREABLE.get(rtype)
    url = res.get("url")
    if wanted is None or not isinstance(url, str) or "hl7" not in url:
        return
    if rtype == "CodeSystem" and res.get("content") != "supplement":
        wanted = (*wanted, "caseSensitive")
    if rtype == "Measure" and "title" not in res and "_title" not in res:
        w.sink.warning("publication", loc, "an HL7 Measure to be published should have a title")
    for name in wanted:
        if name not in res and f"_{name}" not in res:
            w.sink.error("publication", loc, f"an HL7 {rtype} to be published must have a {name} (for-publication)")


def _has_workgroup(res: Json) -> bool:
    return any(isinstance(x, dict) and x.get("url") == WORKGROUP and "valueCode" in x
               for x in res.get("extension") or ())


def contained_type(w: Walker, res: object, loc: str) -> None:
    """A resource inside another under the "type" policy: its type is checked, its content not walked
    (ContainedReferenceValidationPolicy.CHECK_TYPE)."""
    if not isinstance(res, dict):
        w.sink.error("object-expected", loc, "a resource must be a JSON object")
        return
    rtype = res.get("resourceType")
    if not isinstance(rtype, str) or w.model.resource_index(rtype) is None:
        w.sink.error("unknown-resource-type", loc, f"{rtype!r} is not a FHIR R4 resource type")
