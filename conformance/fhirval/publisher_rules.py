"""An HL7 canonical resource's work group and publisher agree (InstanceValidator.checkPublisherConsistency).

HL7's validator runs this for every canonical resource whose url starts with ``http://hl7.org/fhir/`` (isHL7Org),
root, contained or in a Bundle, unless it was told the resource is an example (its test runner never says so):
no option turns it on. The work group is the ``structuredefinition-wg`` extension:

- more than one such extension is an error (VALIDATION_HL7_PUBLISHER_MULTIPLE_WGS);
- a code that is no HL7 work group is an error (VALIDATION_HL7_WG_UNKNOWN; the codes are HL7WorkGroups', in
  hl7_workgroups.py);
- a publisher that is not "HL7 International / <the work group's name>" (or its second name) is
  VALIDATION_HL7_PUBLISHER_MISMATCH(2): HL7 makes it an error when the publisher has a "/", else a warning (R4's
  own "HL7 (FHIR Project)"). Here the error is kept to a publisher that names another HL7 International group
  ("HL7 International / ..."): 28 of R4's own published definitions carry a "/" publisher that names no HL7
  group (the openEHR extensions' "Health Level Seven, Inc / openEHR project", the DICOM value sets'
  "NEMA/DICOM"), from before HL7 added the rule; for them it is a warning (a deliberate, calibrated deviation).

A contained resource without a work group of its own is left to its container, as HL7 does. The warnings that
only advise (a missing publisher, the work group's web page among the contacts) and the for-publication
VALIDATION_HL7_WG_NEEDED (option_rules.py) are not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.extensions import CANONICAL_RESOURCES
from conformance.fhirval.hl7_workgroups import NAMES, NAMES2
from conformance.fhirval.option_rules import WORKGROUP
from conformance.fhirval.source import objects, value_of

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_HL7 = "HL7 International / "


def check(w: Walker, res: Json, rtype: str, loc: str) -> None:
    url = res.get("url")
    if rtype not in CANONICAL_RESOURCES or not isinstance(url, str) or not url.startswith("http://hl7.org/fhir/"):
        return
    groups = [e for e in objects(res.get("extension")) if e.get("url") == WORKGROUP]
    if len(groups) > 1:
        w.sink.error("publication", loc, f"a resource has at most one work group ({WORKGROUP}); this has "
                                         f"{len(groups)}")
    wg = value_of(groups[0]) if groups else None
    if not isinstance(wg, str):  # a contained one without its own is its container's (or none at all)
        return
    name = NAMES.get(wg)
    if name is None:
        w.sink.error("publication", loc, f"the work group code {wg!r} is not a known HL7 work group")
        return
    publisher = res.get("publisher")
    if not isinstance(publisher, str):
        return
    wanted = [_HL7 + name] + ([_HL7 + NAMES2[wg]] if wg in NAMES2 else [])
    if publisher not in wanted:
        message = (f"the publisher {publisher!r} does not match the work group {wg!r}: expected "
                   + " or ".join(repr(p) for p in wanted))
        (w.sink.error if publisher.startswith(_HL7) else w.sink.warning)("publication", loc, message)
