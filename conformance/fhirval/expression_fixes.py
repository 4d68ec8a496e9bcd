"""HL7's corrections of invariants published wrong in R4, applied before evaluation.

Several R4 invariants were published with FHIRPath that does not say what their text says (``que-7`` asks
``answer is Boolean``, which a FHIR ``boolean`` is not; ``tim-9`` compares a repeating ``when`` as one value;
``ras-2`` casts a Range to a decimal). HL7's validator does not judge the published expressions: it replaces
them, by key or by exact text, in ``FHIRPathExpressionFixer.fixExpr`` (org.hl7.fhir.validation, instance/utils),
so a resource HL7 accepts was judged invalid here by a rule nobody applies (the spec's own Questionnaire-bb
failed que-7). This table holds the replacements that apply to R4 content, keyed as HL7 keys them: by key only for
R4 (R5's opd-3 is left out), by text whatever version published it (fixExpr matches those for any version), and
not those our walker judges natively (ref-1, dom-6, txt-2), which are not FHIRPath here at all. Written by hand:
HL7 keeps this list only as Java code, not as data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# by key (HL7 replaces the expression whatever its published text for an R4 resource)
_BY_KEY = {
    "opd-3": "targetProfile.exists() implies (type = 'Reference' or type = 'canonical' or "
             "type.memberOf('http://hl7.org/fhir/ValueSet/resource-types'))",
    "que-7": "operator = 'exists' implies (answer is boolean)",
    # "clarification in FHIRPath spec" (before R5): matches() is a search, so the published eld-19 / eld-20 held for
    # any path with one good character; HL7 anchors them (a logical model's ``Model.Part`` warns eld-20)
    "eld-19": r"""path.matches('^[^\\s\\.,:;\\\'"\\/|?!@#$%&*()\\[\\]{}]{1,64}"""
              r"""(\\.[^\\s\\.,:;\\\'"\\/|?!@#$%&*()\\[\\]{}]{1,64}(\\[x\\])?(\\:[^\\s\\.]+)?)*$')""",
    "eld-20": r"path.matches('^[A-Za-z][A-Za-z0-9]*(\\.[a-z][A-Za-z0-9]*(\\[x])?)*$')",
}

_NAME = "name.matches('[A-Z]([A-Za-z0-9_]){0,254}')"

# by the exact published text
_BY_TEXT = {
    "probability is decimal implies (probability as decimal) <= 100":
        "(probability.exists() and (probability is decimal)) implies ((probability as decimal) <= 100)",
    "enableWhen.count() > 2 implies enableBehavior.exists()":
        "enableWhen.count() >= 2 implies enableBehavior.exists()",
    "fullUrl.contains('/_history/').not()": "fullUrl.exists() implies fullUrl.contains('/_history/').not()",
    _NAME: "name.exists() implies name.matches('^[A-Z]([A-Za-z0-9_]){0,254}$')",
    "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/"
    "condition-ver-status' and code = 'entered-in-error').exists() or category.select($this='problem-list-item')"
    ".empty()":
        "(verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/condition-ver-status' and "
        "code = 'entered-in-error').exists() and category.coding.exists(system='http://terminology.hl7.org/"
        "CodeSystem/condition-category' and code ='problem-list-item').empty()) implies (clinicalStatus.exists())",
    "offset.empty() or (when.exists() and ((when in ('C' | 'CM' | 'CD' | 'CV')).not()))":
        "offset.empty() or (when.exists() and when.select($this in ('C' | 'CM' | 'CD' | 'CV')).allFalse())",
}

# texts of R4's ballots that 4.0.1 itself corrected, still carried by profiles in packages built on them
_BY_TEXT_OLDER = {
    "generated='generated' implies source.empty()": "generation='generated' implies source.empty()",
    "(component.empty() and hasMember.empty()) implies (dataAbsentReason or value)":
        "(component.empty() and hasMember.empty()) implies (dataAbsentReason.exists() or value.exists())",
    "isModifier implies isModifierReason.exists()":
        "(isModifier.exists() and isModifier) implies isModifierReason.exists()",
    "differential.element.all(id) and differential.element.id.trace('ids').isDistinct()":
        "differential.element.all(id.exists()) and differential.element.id.trace('ids').isDistinct()",
    "snapshot.element.all(id) and snapshot.element.id.trace('ids').isDistinct()":
        "snapshot.element.all(id.exists()) and snapshot.element.id.trace('ids').isDistinct()",
}

# texts HL7 replaces whatever the version (fixExpr compares the text alone), published by R5 (eld-11's double-quoted
# string, which no FHIRPath parser takes), its ballots or STU3, and still met in profiles that copied them
_BY_TEXT_ANY_VERSION = {
    "binding.empty() or type.code.empty() or type.code.contains(\":\") or type.select((code = 'code') or (code = "
    "'Coding') or (code='CodeableConcept') or (code = 'Quantity') or (code = 'string') or (code = 'uri') or (code = "
    "'Duration')).exists()":
        "binding.empty() or type.code.empty() or type.code.contains(':') or type.select((code = 'code') or (code = "
        "'Coding') or (code='CodeableConcept') or (code = 'Quantity') or (code = 'string') or (code = 'uri') or (code "
        "= 'Duration')).exists()",
    "url.matches('([^|#])*')": "$this.matches('([^|#])*')",
    "((kind in 'resource' | 'complex-type') and (specialization = 'derivation')) implies differential.element.where("
    "(min != 0 and min != 1) or (max != '1' and max != '*')).empty()":
        "((kind in 'resource' | 'complex-type') and (derivation = 'specialization')) implies differential.element."
        "where((min.exists() and min != 0 and min != 1) or (max.exists() and max != '1' and max != '*')).empty()",
    "(%resource.kind = 'logical' or element.first().path.startsWith(%resource.type)) and (element.tail().not() or  "
    "element.tail().all(path.startsWith(%resource.differential.element.first().path.replaceMatches('\\\\..*','')"
    "&'.')))":
        "(%resource.kind = 'logical' or element.first().path.startsWith(%resource.type)) and (element.tail().empty() "
        "or  element.tail().all(path.startsWith(%resource.differential.element.first().path.replaceMatches('\\\\..*',"
        "'')&'.')))",
    "(code or value.empty()) and (system.empty() or system = 'urn:iso:std:iso:4217')":
        "(code.exists() or value.empty()) and (system.empty() or system = 'urn:iso:std:iso:4217')",
    "value.empty() or code!=component.code": "value.empty() or (code in component.code).not()",
    "(code or value.empty()) and (system.empty() or system = %ucum) and (value.empty() or value > 0)":
        "(code.exists() or value.empty()) and (system.empty() or system = %ucum) and (value.empty() or value > 0)",
    "element.all(definition and min and max)": "element.all(definition.exists() and min.exists() and max.exists())",
    "telecom or endpoint": "telecom.exists() or endpoint.exists()",
    "searchType implies type = 'string'": "searchType.exists() implies type = 'string'",
    "abatement.empty() or (abatement as boolean).not()  or clinicalStatus='resolved' or clinicalStatus='remission' or "
    "clinicalStatus='inactive'":
        "abatement.empty() or (abatement is boolean).not() or (abatement as boolean).not() or (clinicalStatus = "
        "'resolved') or (clinicalStatus = 'remission') or (clinicalStatus = 'inactive')",
    "(component.empty() and related.empty()) implies (dataAbsentReason or value)":
        "(component.empty() and related.empty()) implies (dataAbsentReason.exists() or value.exists())",
}
# by key and text: ras-2 as R4B and R5 publish it
_BY_KEY_AND_TEXT = {
    ("ras-2", "probability is decimal implies probability.as(decimal) <= 100"):
        "probability.empty() or (probability is decimal implies probability.as(decimal) <= 100)",
}


# by key, in one StructureDefinition: HL7's StructureDefinitionHacker.fixSD (org.hl7.fhir.r5 conformance), which its
# R4ToR5Loader runs on every R4 StructureDefinition it loads, rewrites vs-1 in the vital-signs profile and the
# profiles whose baseDefinition it is (checkVSConstraint): the published ``($this as dateTime).toString().length()
# >= 8`` is empty, so false, on an effectivePeriod, and a vital sign measured over a period would fail it
VITAL_SIGNS = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
_VITAL_SIGNS = {"vs-1": "$this is dateTime implies $this.toString().length() >= 10"}
NO_FIXES: Mapping[str, str] = {}


def structure_fixes(sd: Mapping[str, Any]) -> Mapping[str, str]:
    """The replacements, by key, HL7 makes in this StructureDefinition's invariants when it loads it."""
    base = sd.get("baseDefinition")
    return _VITAL_SIGNS if VITAL_SIGNS in (sd.get("url"), base.split("|")[0] if isinstance(base, str) else None) \
        else NO_FIXES


def fixed(key: str, expression: str, in_structure: Mapping[str, str] = NO_FIXES) -> str:
    """The expression HL7's validator evaluates for this R4 invariant (the published one when HL7 keeps it);
    ``in_structure``: structure_fixes of the StructureDefinition the invariant was read from."""
    return (in_structure.get(key) or _BY_KEY.get(key) or _BY_TEXT.get(expression) or _BY_TEXT_OLDER.get(expression)
            or _BY_TEXT_ANY_VERSION.get(expression) or _BY_KEY_AND_TEXT.get((key, expression)) or expression)
