"""Synthetic, UK-flavoured FHIR resources the suite writes: one per type, from ``fixtures/fhir/``.

The JSON files live at the repository root (``fixtures/fhir/<type>.json``), found relative to this
package, so they load the same from an editable install, ``python runner.py`` or the tests. A
reference is written as ``{"reference": "{Patient}"}`` and filled in at run time with the id the
server gave the resource the suite created. Nothing here is real: NHS numbers are in the 999 range
reserved for testing, telephone numbers in Ofcom's drama range, ODS codes made up.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "fhir"
# The resource types the FHIR suites write and read, one fixture each.
TYPES = (
    "Patient", "Practitioner", "Organization", "Location", "Encounter", "Observation", "Condition",
    "AllergyIntolerance", "MedicationRequest", "MedicationStatement", "Device", "DocumentReference",
)
_PLACEHOLDER = re.compile(r"^\{([A-Z][A-Za-z]+)\}$")

# The element each update check changes, and the value it sets (read back afterwards).
UPDATES: dict[str, tuple[str, Any]] = {
    "Patient": ("telecom", [{"system": "phone", "value": "01632960999", "use": "mobile"}]),
    "Practitioner": ("telecom", [{"system": "phone", "value": "01632960998", "use": "mobile"}]),
    "Organization": ("telecom", [{"system": "phone", "value": "01632960997", "use": "work"}]),
    "Location": ("description", "Main surgery, step-free access from Wharf Street"),
    "Encounter": ("priority", {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority",
                                           "code": "R", "display": "routine"}]}),
    "Observation": ("note", [{"text": "Weighed in clinic, shoes off."}]),
    "Condition": ("note", [{"text": "Reviewed at annual diabetes check."}]),
    "AllergyIntolerance": ("note", [{"text": "Confirmed by patient at registration."}]),
    "MedicationRequest": ("note", [{"text": "Review renal function in 3 months."}]),
    "MedicationStatement": ("note", [{"text": "Patient reports taking as prescribed."}]),
    "Device": ("status", "inactive"),
    "DocumentReference": ("description", "Diabetes review letter (amended)"),
}


@cache
def _load(resource_type: str) -> dict[str, Any]:
    path = FIXTURE_DIR / f"{resource_type.lower()}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"fixture {path} is missing (the suite needs the repository's fixtures/)") from None
    if not isinstance(data, dict) or data.get("resourceType") != resource_type:
        raise ValueError(f"fixture {path} is not a {resource_type}")
    return data


def raw(resource_type: str) -> dict[str, Any]:
    """The fixture as stored, placeholders and all (a copy)."""
    return copy.deepcopy(_load(resource_type))


def dependencies(resource_type: str) -> list[str]:
    """The types this fixture refers to, in first-seen order."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            match = _PLACEHOLDER.match(value)
            if match and match.group(1) not in found:
                found.append(match.group(1))

    walk(_load(resource_type))
    return found


def build(resource_type: str, ids: dict[str, str]) -> dict[str, Any]:
    """The fixture with each ``{Type}`` placeholder replaced by ``Type/<id>`` from ``ids``."""

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str):
            match = _PLACEHOLDER.match(value)
            if match:
                return f"{match.group(1)}/{ids[match.group(1)]}"
        return value

    result: dict[str, Any] = fill(_load(resource_type))
    return result


def updated(resource: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``resource`` with its type's update change applied."""
    out = copy.deepcopy(resource)
    key, value = UPDATES[str(resource["resourceType"])]
    out[key] = copy.deepcopy(value)
    return out


def extra_patient(n: int, identifier: str) -> dict[str, Any]:
    """Another synthetic patient (for paging and the conditional/If-Match checks)."""
    patient = raw("Patient")
    patient["identifier"] = [{"system": "https://conformance.example/Id/test-patient", "value": identifier}]
    patient["name"] = [{"use": "official", "family": f"Hartley-Page{n}", "given": ["Tom"]}]
    patient["gender"] = "male"
    patient["birthDate"] = f"19{60 + n}-05-0{1 + n % 9}"
    return patient


def subset_differences(sent: Any, got: Any, path: str) -> list[str]:
    """Where ``got`` lost or changed what ``sent`` had (``got`` may add elements; dates may be refined)."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return [f"{path} is not an object"]
        return [d for k, v in sent.items() for d in subset_differences(v, got.get(k), f"{path}.{k}")]
    if isinstance(sent, list):
        if not isinstance(got, list):
            return [f"{path} missing"] if got is None else [f"{path} is not a list"]
        out: list[str] = []
        for i, item in enumerate(sent):
            if not any(not subset_differences(item, other, "") for other in got):
                out.append(f"{path}[{i}] missing or changed")
        return out
    if got is None:
        return [f"{path} missing"]
    if isinstance(sent, bool) or isinstance(got, bool):
        return [] if sent is got else [f"{path}: sent {sent!r}, got {got!r}"]
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return [] if float(sent) == float(got) else [f"{path}: sent {sent!r}, got {got!r}"]
    if isinstance(sent, str) and isinstance(got, str) and sent != got and _same_instant(sent, got):
        return []
    return [] if sent == got else [f"{path}: sent {sent!r}, got {got!r}"]


def _same_instant(a: str, b: str) -> bool:
    from conformance.fhir.searchparams import date_range

    ra, rb = date_range(a), date_range(b)
    return ra is not None and rb is not None and ra[0] == rb[0] and ("T" in a) == ("T" in b)
