"""Fault switches: each makes the sandbox break one FHIR, GS1, HL7 v2, real-time or API rule the way real systems do.

A fault names the check ids it must make fail (docs/fhir-rest-checks.md, docs/gs1-checks.md,
docs/gs1-bedside-checks.md); the
fault matrix test
proves each does, so no check can silently pass. Faults are narrow: everything else keeps working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from conformance.sandbox.api_faults import api_faults
from conformance.sandbox.bedside_faults import IDENTIFY as BEDSIDE_IDENTIFY
from conformance.sandbox.bedside_faults import bedside_faults
from conformance.sandbox.hl7v2_faults import hl7v2_faults
from conformance.sandbox.profile_faults import profile_faults
from conformance.sandbox.realtime_faults import realtime_faults

# Fault names, for the parts that honour them (faults.on(NAME)).
METADATA_NOT_CAPABILITYSTATEMENT = "metadata-not-capabilitystatement"
METADATA_FHIR_VERSION_3 = "metadata-fhir-version-3"
METADATA_NO_JSON_FORMAT = "metadata-no-json-format"
METADATA_PROFILE_REFERENCE = "metadata-profile-reference"
METADATA_CLIENT_MODE = "metadata-client-mode"
METADATA_UNKNOWN_RESOURCE_TYPE = "metadata-unknown-resource-type"
CREATE_NO_LOCATION = "create-no-location"
CREATE_201_NO_ID = "create-201-no-id"
CREATE_HEADERS_BARE = "create-headers-bare"
CREATE_200_NOT_201 = "create-200-not-201"
ETAG_MISSING = "etag-missing"
READ_DROPS_IDENTIFIER = "read-drops-identifier"
UPDATE_KEEPS_VERSION = "update-keeps-version"
VREAD_IGNORES_VERSION = "vread-ignores-version"
HISTORY_OLDEST_FIRST = "history-oldest-first"
DELETE_THEN_200 = "delete-then-200"
CONDITIONAL_CREATE_DUPLICATES = "conditional-create-duplicates"
IF_MATCH_IGNORED = "if-match-ignored"
SEARCH_STRING_IGNORED = "search-string-ignored"
SEARCH_TOKEN_IGNORES_SYSTEM = "search-token-ignores-system"
SEARCH_DATE_PREFIX_IGNORED = "search-date-prefix-ignored"
SEARCH_REFERENCE_IGNORED = "search-reference-ignored"
SEARCH_IGNORES_COUNT = "search-ignores-count"
PAGING_BROKEN_NEXT_LINK = "paging-broken-next-link"
INCLUDE_IGNORED = "include-ignored"
REVINCLUDE_IGNORED = "revinclude-ignored"
SELF_LINK_NAMES_IGNORED = "self-link-names-ignored"
UNKNOWN_PARAM_500 = "unknown-param-500"
CONTENT_TYPE_JSON = "content-type-json"
FORMAT_PARAM_IGNORED = "format-param-ignored"
XML_DECLARED_NOT_SERVED = "xml-declared-not-served"
NOT_FOUND_NO_OUTCOME = "not-found-no-outcome"
ACCEPTS_INVALID_RESOURCE = "accepts-invalid-resource"
ACCEPTS_INVALID_CODE = "accepts-invalid-code"
SEARCHSET_NO_SELF_LINK = "searchset-no-self-link"
UNKNOWN_TYPE_200 = "unknown-type-200"
ACCEPTS_WRONG_TYPE_BODY = "accepts-wrong-type-body"
GS1_GTIN_LEADING_ZERO_DROPPED = "gs1-gtin-leading-zero-dropped"
GS1_SERIAL_TRUNCATED = "gs1-serial-truncated"
GS1_EXPIRY_SHIFTED = "gs1-expiry-shifted"
GS1_BATCH_DROPPED = "gs1-batch-dropped"
GS1_HRF_BRACKETS_STRIPPED = "gs1-hrf-brackets-stripped"
GS1_GLN_CHECK_DIGIT_RECOMPUTED_WRONG = "gs1-gln-check-digit-recomputed-wrong"
GS1_GSRN_FLOAT_PRECISION = "gs1-gsrn-float-precision"
GS1_SYSTEM_REJECTED = "gs1-system-rejected"
GS1_HOLDS_INVALID_GTIN = "gs1-holds-invalid-gtin"

TYPES = (
    "Patient", "Practitioner", "Organization", "Location", "Encounter", "Observation", "Condition",
    "AllergyIntolerance", "MedicationRequest", "MedicationStatement", "Device", "DocumentReference",
)

# Every type the sandbox serves: the fhir-rest fixture types above, plus Medication (which the gs1
# suite writes: a scanned pack's GTIN, batch, expiry and serial) and MedicationAdministration (which
# gs1-bedside writes: administrations for recall searches and the eMAR's positive match).
SERVED_TYPES = (*TYPES, "Medication", "MedicationAdministration")

# Directory resources that clinical fixtures refer to (the suite creates them first, and a failed
# create skips everything that needs it), so each create fault breaks one side only.
DIRECTORY_TYPES = ("Patient", "Practitioner", "Organization", "Location")
CLINICAL_TYPES = tuple(t for t in TYPES if t not in DIRECTORY_TYPES)

# Types whose search check a string/date/reference fault names: those whose fixture
# (fixtures/fhir/<type>.json) has a value for a declared parameter of that kind, since a check with
# nothing to search skips instead of failing (tests/sandbox/test_fixtures.py keeps this in step).
# The token fault names all 12: every fixture has an identifier with a system.
STRING_TYPES = ("Patient", "Practitioner", "Organization", "Location", "Device", "DocumentReference")
DATE_TYPES = (
    "Patient", "Encounter", "Observation", "Condition", "AllergyIntolerance", "MedicationRequest",
    "MedicationStatement", "DocumentReference",
)
REFERENCE_TYPES = (
    "Encounter", "Observation", "Condition", "AllergyIntolerance", "MedicationRequest",
    "MedicationStatement", "DocumentReference",
)


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    checks: tuple[str, ...]
    takes_value: bool = False
    # For a fault that takes a value: the value a bare name means, and a check that normalises a
    # given value or raises ValueError saying what is wrong (e.g. notification-delay=MS).
    default: str | None = None
    check_value: Callable[[str], str] | None = None


def _per_type(kind: str, types: Iterable[str] = TYPES, group: str = "crud") -> tuple[str, ...]:
    return tuple(f"fhir-rest.{group}.{t.lower()}.{kind}" for t in types)


_ALL: tuple[Fault, ...] = (
    Fault(METADATA_NOT_CAPABILITYSTATEMENT,
          "GET metadata answers a DSTU2-style Conformance resource",
          ("fhir-rest.capability.metadata", "gs1.capability.metadata", "fhir-profiles.capability.metadata",
           "gs1-bedside.capability.metadata")),
    Fault(METADATA_FHIR_VERSION_3, "the CapabilityStatement claims fhirVersion 3.0.2",
          ("fhir-rest.capability.fhir-version",)),
    Fault(METADATA_NO_JSON_FORMAT, "the CapabilityStatement's format lists only xml (which is not served)",
          ("fhir-rest.capability.formats", "fhir-rest.format.xml")),
    Fault(METADATA_PROFILE_REFERENCE, "the CapabilityStatement gives rest.resource.profile as an STU3-style "
          "Reference object, not a canonical", ("fhir-rest.capability.valid",)),
    Fault(METADATA_CLIENT_MODE, "the rest entry says mode client instead of server",
          ("fhir-rest.capability.rest-server",)),
    Fault(METADATA_UNKNOWN_RESOURCE_TYPE, "the CapabilityStatement declares a made-up resource type 'Patients'",
          ("fhir-rest.capability.rest-server",)),
    Fault(CREATE_NO_LOCATION, "creating a clinical resource answers 201 without a Location header",
          _per_type("create-headers", CLINICAL_TYPES)),
    Fault(CREATE_201_NO_ID, "creating a clinical resource answers 201 with neither a Location nor a body, so "
          "the new resource's id cannot be learnt", _per_type("create", CLINICAL_TYPES)),
    Fault(CREATE_HEADERS_BARE, "creating a directory resource answers Location 'fhir/<Type>/<id>' (relative, "
          "no _history) and an unquoted ETag '1'", _per_type("create-headers", DIRECTORY_TYPES)),
    Fault(CREATE_200_NOT_201, "creating a directory resource (Patient, Practitioner, Organization, Location) "
          "answers 200 instead of 201 Created",
          # the conditional-create and If-Match checks start by creating a Patient, so they fail too
          (*_per_type("create", DIRECTORY_TYPES), "fhir-rest.crud.conditional-create", "fhir-rest.crud.if-match")),
    Fault(ETAG_MISSING, "read answers without an ETag header", _per_type("read")),
    Fault(READ_DROPS_IDENTIFIER, "read loses the resource's identifier element", _per_type("read")),
    Fault(UPDATE_KEEPS_VERSION, "the update response reports the old versionId and ETag",
          _per_type("update")),
    Fault(VREAD_IGNORES_VERSION, "vread answers the current version whatever version id is asked for",
          _per_type("vread")),
    Fault(HISTORY_OLDEST_FIRST, "instance history lists the oldest version first", _per_type("history")),
    Fault(DELETE_THEN_200, "delete answers 200 but the resource stays readable", _per_type("delete")),
    Fault(CONDITIONAL_CREATE_DUPLICATES, "If-None-Exist is ignored: conditional create makes a duplicate",
          ("fhir-rest.crud.conditional-create",)),
    Fault(IF_MATCH_IGNORED, "a stale If-Match is ignored and the update applied",
          ("fhir-rest.crud.if-match",)),
    Fault(SEARCH_STRING_IGNORED, "string search parameters are ignored (everything matches)",
          _per_type("string", STRING_TYPES, "search")),
    Fault(SEARCH_TOKEN_IGNORES_SYSTEM, "token search compares only the code, not the system",
          (*_per_type("token", TYPES, "search"), *BEDSIDE_IDENTIFY)),
    Fault(SEARCH_DATE_PREFIX_IGNORED, "date search drops the prefix (gt, ge, lt, le... all mean eq)",
          _per_type("date", DATE_TYPES, "search")),
    Fault(SEARCH_REFERENCE_IGNORED, "reference search parameters are ignored (everything matches)",
          _per_type("reference", REFERENCE_TYPES, "search")),
    Fault(SEARCH_IGNORES_COUNT, "_count is ignored: every match comes back in one page",
          ("fhir-rest.search.paging",)),
    Fault(PAGING_BROKEN_NEXT_LINK, "the next link points at a page the server does not know (404)",
          ("fhir-rest.search.paging",)),
    Fault(INCLUDE_IGNORED, "_include is ignored", ("fhir-rest.search.include",)),
    Fault(REVINCLUDE_IGNORED, "_revinclude is ignored", ("fhir-rest.search.revinclude",)),
    Fault(SELF_LINK_NAMES_IGNORED, "an unknown search parameter is ignored but the searchset self link names it "
          "as used", ("fhir-rest.search.unknown-param",)),
    Fault(UNKNOWN_PARAM_500, "an unknown search parameter crashes the search (500)",
          ("fhir-rest.search.unknown-param",)),
    Fault(CONTENT_TYPE_JSON, "responses without _format say Content-Type application/json, not fhir+json",
          ("fhir-rest.format.accept-json", *_per_type("read"))),
    Fault(FORMAT_PARAM_IGNORED, "_format is ignored, so Accept decides (XML Accept gets 406)",
          ("fhir-rest.format.param-json",)),
    Fault(XML_DECLARED_NOT_SERVED, "the CapabilityStatement declares xml but XML requests get 406",
          ("fhir-rest.format.xml",)),
    Fault(NOT_FOUND_NO_OUTCOME, "an unknown id answers 404 with an HTML page, not an OperationOutcome",
          ("fhir-rest.errors.not-found",)),
    Fault(ACCEPTS_INVALID_RESOURCE, "no validation: unknown elements and malformed values are stored",
          ("fhir-rest.errors.invalid-resource",)),
    Fault(ACCEPTS_INVALID_CODE, "codes in required bindings are not checked: Patient.gender 'banana' is stored",
          ("fhir-rest.errors.invalid-code",)),
    Fault(SEARCHSET_NO_SELF_LINK, "searchset Bundles carry no self link (the parameters used are not said)",
          ("fhir-rest.search.self-link",)),
    Fault(UNKNOWN_TYPE_200, "an unknown resource type answers 200", ("fhir-rest.errors.unknown-type",)),
    Fault(ACCEPTS_WRONG_TYPE_BODY, "a body whose resourceType differs from the URL's is accepted",
          ("fhir-rest.errors.wrong-type-body",)),
    # GS1 data, as real systems mangle it (conformance/sandbox/fhir/gs1.py applies these on write).
    Fault(GS1_GTIN_LEADING_ZERO_DROPPED, "GTINs (Medication code of system https://www.gs1.org/gtin, "
          "Device udiCarrier.deviceIdentifier) are stored as numbers: the leading zero is lost",
          ("gs1.medication.gtin", "gs1.device.udi-di", "gs1.held.valid", "gs1-bedside.product.medication-code",
           "gs1-bedside.product.device-udi-di")),
    Fault(GS1_SERIAL_TRUNCATED, "serial numbers (Medication serial identifier, Device serialNumber) are cut "
          "to 10 characters", ("gs1.medication.serial", "gs1.device.serial")),
    Fault(GS1_EXPIRY_SHIFTED, "expiry dates are stored as local midnight and read back in UTC: one day early",
          ("gs1.medication.expiry", "gs1.device.expiry", "gs1-bedside.product.medication-expiry")),
    Fault(GS1_BATCH_DROPPED, "the batch/lot number is not stored (Medication.batch.lotNumber, "
          "Device.lotNumber)", ("gs1.medication.batch", "gs1.device.lot")),
    Fault(GS1_HRF_BRACKETS_STRIPPED, "udiCarrier.carrierHRF is stored without its AI brackets (and no GS "
          "separators): the element strings run together",
          ("gs1.device.hrf", "gs1.held.valid", "gs1-bedside.product.device-udi-carrier")),
    Fault(GS1_GLN_CHECK_DIGIT_RECOMPUTED_WRONG, "GLN identifiers get their check digit 'corrected' with the "
          "weights swapped (1-3 instead of 3-1)", ("gs1.location.gln", "gs1.held.valid")),
    Fault(GS1_GSRN_FLOAT_PRECISION, "GSRN identifiers pass through a floating-point number: the last digits "
          "of the 18-digit key change", ("gs1.patient.gsrn", "gs1.held.valid")),
    Fault(GS1_SYSTEM_REJECTED, "resources carrying a GS1 system (https://www.gs1.org/...) are refused with 422: "
          "the server accepts only code systems on its own list",
          ("gs1.medication.create", "gs1.device.create", "gs1.patient.create", "gs1.location.create",
           "gs1-bedside.identify.create", "gs1-bedside.match.prescribe")),
    Fault(GS1_HOLDS_INVALID_GTIN, "the server already holds a Medication imported from a legacy list whose "
          "GTIN has a wrong check digit", ("gs1.held.valid",)),
)

FAULTS: dict[str, Fault] = {f.name: f for f in (*_ALL, *hl7v2_faults(Fault), *realtime_faults(Fault),
                                                    *api_faults(Fault), *profile_faults(Fault), *bedside_faults(Fault))}


@dataclass(frozen=True)
class Faults:
    """The faults switched on for one sandbox, with their values (None where a fault takes none)."""

    active: dict[str, str | None] = field(default_factory=dict)

    def on(self, name: str) -> bool:
        if name not in FAULTS:
            raise KeyError(f"unknown fault {name!r}")
        return name in self.active

    def value(self, name: str) -> str | None:
        return self.active.get(name)

    def names(self) -> list[str]:
        return sorted(self.active)


def parse_faults(specs: Iterable[str]) -> Faults:
    """``["name", "name=value"]`` -> Faults; unknown names and misplaced values are usage errors."""
    active: dict[str, str | None] = {}
    for spec in specs:
        name, sep, value = spec.strip().partition("=")
        fault = FAULTS.get(name)
        if fault is None:
            raise ValueError(f"unknown fault {name!r} (known: {', '.join(sorted(FAULTS))})")
        if sep and not fault.takes_value:
            raise ValueError(f"fault {name!r} takes no value")
        if fault.takes_value and not sep:
            if fault.default is None:
                raise ValueError(f"fault {name!r} needs a value: {name}=VALUE")
            sep, value = "=", fault.default
        if sep and fault.check_value is not None:
            try:
                value = fault.check_value(value)
            except ValueError as exc:
                raise ValueError(f"fault {name!r}: {exc}") from None
        active[name] = value if sep else None
    return Faults(active)
