"""Broad kinds ("families") of an error, HL7's by its text and ours by its defect code (issue 21).

bench/fhir_issue_alignment.py pairs HL7's errors with ours by message id first (scripts/hl7_rule_matrix.tsv);
an id the matrix does not mark, or a text no template matches, still names a broad kind (a slicing error, a
cardinality error) that one of ours at the same or a nearby place may share. Pairs made by family alone are
counted apart from exact-kind pairs. The patterns are HL7's Messages.properties wordings, tried in order.
"""

from __future__ import annotations

import re

OTHER = "other"
HL7_FAMILIES: tuple[tuple[str, str], ...] = (
    ("parse", r"Unrecognized property|Unrecognised property|Undefined element|is not a valid Resource|"
              r"Unable to parse|Error parsing|must be an (array|object)|should not be an array|Unexpected|"
              r"not a known resource type|This property must be"),
    ("profile-unknown", r"(Profile|profile) .*(could not be found|not found|cannot be resolved)|Unable to resolve "
                        r"(the )?profile|Unable to find profile|Unknown profile|Profile reference .* not resolved"),
    ("slicing", r"[Ss]lice|[Ss]licing|discriminator"),
    ("cardinality-min", r"minimum required = |must have a value|Element '.*' is required|is mandatory"),
    ("cardinality-max", r"max allowed = |maximum allowed|may only occur once"),
    ("fixed-pattern", r"is fixed to|but must be|[Pp]attern|Fixed value|fixed value"),
    ("invariant", r"^Constraint failed|Rule .* [Ff]ailed|invariant"),
    ("extension", r"[Ee]xtension"),
    ("reference", r"[Rr]eference|target (type|profile)|[Rr]esolve"),
    ("terminology", r"[Vv]alue ?[Ss]et|[Cc]ode ?[Ss]ystem|display|[Cc]oding|not in the (value|options)|"
                    r"[Uu]nknown code|code '"),
    ("type", r"type|Type"),
    ("value", r"regex|not a valid|[Ll]ength|too long|minValue|maxValue|less than|greater than|[Ee]mpty|whitespace"),
)
_GROUPS: dict[str, tuple[str, ...]] = {
    "parse": ("unknown-element", "array-expected", "array-unexpected", "json-type", "object-expected", "null-value",
              "unknown-resource-type", "xml", "element-order", "resource-type", "json-duplicate"),
    "profile-unknown": ("unknown-profile",),
    "slicing": ("slice-unmatched", "slice-multiple", "slice-order", "slice-min", "slice-max", "structure-slicing"),
    "cardinality-min": ("cardinality-min", "value-present"),
    "cardinality-max": ("cardinality-max",),
    "fixed-pattern": ("fixed-value", "pattern-value"),
    "invariant": ("invariant",),
    "extension": ("extension-url", "extension-unknown", "extension-context", "extension-modifier"),
    "reference": ("reference-format", "reference-target", "reference-unresolved"),
    "terminology": ("code-invalid", "binding-extensible", "code-unknown", "code-display", "coding-system"),
    "type": ("type-profile", "choice-type", "profile-type"),
    "value": ("primitive-format", "too-long", "too-short", "empty-value", "blank-value", "min-value", "max-value"),
}
OUR_FAMILIES: dict[str, str] = {code: family for family, codes in _GROUPS.items() for code in codes}


def hl7_family(text: str) -> str:
    """The family of HL7's message text: the first pattern that matches, else ``other``."""
    return next((family for family, pattern in HL7_FAMILIES if re.search(pattern, text)), OTHER)


def our_family(defect: str) -> str:
    """The family of one of our defect codes, else ``other``."""
    return OUR_FAMILIES.get(defect, OTHER)


def same_family(text: str, defect: str) -> bool:
    """Both sides name one broad kind (``other`` is no kind, so never the same)."""
    family = hl7_family(text)
    return family != OTHER and family == our_family(defect)
