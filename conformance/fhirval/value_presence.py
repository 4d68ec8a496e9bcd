"""The rules of a profile's element on whether and how a value is there, beside the value itself.

R5's ``mustHaveValue`` and ``valueAlternatives`` (or their cross-version extensions in an R4 profile), a fixed value
allowing no extensions, a required binding given an extension but no code, and whether an element is a canonical
resource's own ``url``: called by the value walk (elements_values.py), kept apart to keep that module readable.
"""

from __future__ import annotations

from typing import Any

from conformance.fhirval import extensions
from conformance.fhirval.index import Node
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json

_MUST_HAVE_VALUE = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.mustHaveValue"


def must_have_value(ed: Json) -> bool:
    """R5's ElementDefinition.mustHaveValue, or its cross-version extension in an R4 profile."""
    if ed.get("mustHaveValue") is True:
        return True
    return any(isinstance(e, dict) and e.get("url") == _MUST_HAVE_VALUE and e.get("valueBoolean") is True
               for e in ed.get("extension") or ())


_VALUE_ALTERNATIVES = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.valueAlternatives"


def check_alternatives(node: Node, shadow: Json, loc: str, sink: Sink) -> None:
    """A primitive with no value must carry one of the extensions its profile names in R5's
    ``valueAlternatives`` (or its cross-version extension) when it names any: InstanceValidator.checkPrimitive,
    PRIMITIVE_VALUE_ALTERNATIVES_MESSAGE (an error)."""
    ed = node.ed
    named = [u for u in ed.get("valueAlternatives") or () if isinstance(u, str)]
    named += [e["valueCanonical"] for e in ed.get("extension") or () if isinstance(e, dict)
              and e.get("url") == _VALUE_ALTERNATIVES and isinstance(e.get("valueCanonical"), str)]
    if not named:
        return
    present = {e.get("url") for e in shadow.get("extension") or () if isinstance(e, dict)}
    if not present & set(named):
        sink.error("value-present", loc, f"{node.path} has no value, and then it must carry one of the extensions "
                                         f"{', '.join(named)} (valueAlternatives)")


def check_fixed_extensions(node: Node, loc: str, sink: Sink) -> None:
    """A fixed value (not a pattern) that carries no extension of its own allows none on the value either:
    InstanceValidator.checkFixedValue, EXTENSION_EXT_FIXED_BANNED (an error). A fixed primitive that carries
    extensions itself (``_fixedCode``) is left alone."""
    fixed = node.fixed()
    if fixed is not None and not node.ed.get("_fixed" + fixed[0]):
        sink.error("fixed-value", loc, f"{node.path} has a fixed value, which allows no extensions on it")


def defining_url(node: Node) -> bool:
    """Whether the element is a canonical resource's own ``url`` (its base path ``ValueSet.url``...)."""
    base = node.ed.get("base")
    path = base.get("path") if isinstance(base, dict) else node.path
    head, _, tail = path.partition(".") if isinstance(path, str) else ("", "", "")
    return tail == "url" and head in extensions.CANONICAL_RESOURCES


def required_without_value(binding: Json, shadow: Any, loc: str, sink: Sink) -> None:
    """A primitive under a required binding with extensions but no value (``_status`` alone) gives no code,
    though one is required: HL7's validator says so as an error (InstanceValidator.checkPrimitive,
    Terminology_TX_Code_ValueSet_MISSING), and as a warning when a cross-version extension carries the code
    (a value of another FHIR version, Terminology_TX_Code_ValueSet_XVER_SOURCE)."""
    urls = [e.get("url") for e in shadow.get("extension") or () if isinstance(e, dict)] if isinstance(shadow, dict) \
        else []
    vs = str(binding.get("valueSet") or "").split("|")[0]
    if any(isinstance(u, str) and extensions.CROSS_VERSION.match(u) for u in urls):
        sink.warning("code-invalid", loc, f"no code provided: a cross-version extension gives one in place of a code "
                                          f"from the value set {vs}")
    else:
        sink.error("code-invalid", loc, f"no code provided, and a code is required from the value set {vs}")
