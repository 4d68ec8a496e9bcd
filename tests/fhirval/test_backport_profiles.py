"""The R4 Subscriptions Backport IG's Subscription profile and extensions, generated into profiles/fhir/backport/
by scripts/gen_backport_profiles.py: loaded with the project's own profiles, so a target claiming the
backport profile is judged without any package."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from conformance.fhirval.claims import OWN_PROFILES
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.validate import validate_resource

B = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
PROFILE = B + "backport-subscription"
GOOD: dict[str, Any] = {
    "resourceType": "Subscription", "status": "requested", "reason": "synthetic", "criteria": "http://t.example/topic",
    "_criteria": {"extension": [{"url": B + "backport-filter-criteria", "valueString": "Patient?_tag=a|b"}]},
    "channel": {"type": "rest-hook", "endpoint": "https://e.example/notify", "payload": "application/fhir+json",
                "_payload": {"extension": [{"url": B + "backport-payload-content", "valueCode": "full-resource"}]},
                "extension": [{"url": B + "backport-heartbeat-period", "valueUnsignedInt": 5}]}}


def errors(resource: dict[str, Any]) -> list[str]:
    source = load_definitions([OWN_PROFILES])
    return [f"{i.location}: {i.message}" for i in validate_resource(resource, source, [PROFILE]) if i.is_error]


def test_the_generated_profiles_are_shipped_with_the_projects_own() -> None:
    names = sorted(p.name for p in (OWN_PROFILES / "backport").glob("*.json"))
    assert "backport-subscription.json" in names and "backport-payload-content.json" in names
    source = load_definitions([OWN_PROFILES])
    snapshot = source.structure(PROFILE)
    assert snapshot is not None and len(snapshot["snapshot"]["element"]) > 30
    content = next(e for e in snapshot["snapshot"]["element"]
                   if e["id"] == "Subscription.channel.payload.extension:content")
    assert content["min"] == 1 and content.get("mustSupport") is True


def test_a_backport_subscription_is_judged_against_the_profile() -> None:
    assert errors(GOOD) == []
    bad_code = copy.deepcopy(GOOD)
    bad_code["channel"]["_payload"]["extension"][0]["valueCode"] = "everything"
    assert any("backport-content-value-set" in e for e in errors(bad_code))
    bad_type = copy.deepcopy(GOOD)
    bad_type["channel"]["extension"][0]["valueUnsignedInt"] = "five"
    assert any("unsignedInt" in e for e in errors(bad_type))
    no_criteria = copy.deepcopy(GOOD)
    del no_criteria["criteria"], no_criteria["_criteria"]  # (_criteria alone is a present element)
    assert any("criteria" in e for e in errors(no_criteria))


def test_the_generator_reads_the_fsh_subset(tmp_path: Path) -> None:
    import subprocess
    import sys

    fsh = tmp_path / "ig" / "input" / "fsh"
    fsh.mkdir(parents=True)
    (fsh / "BackportSubscription.fsh").write_text(
        'Profile: P\nParent: Subscription\nId: p\nTitle: "P"\n* criteria 1..1 MS\n'
        '* channel.extension contains E named e 0..1\n\n'
        'Extension: E\nId: e\nTitle: "E"\n* ^context[0].type = #element\n'
        '* ^context[0].expression = "Subscription.channel"\n* value[x] only unsignedInt\n')
    script = Path(__file__).resolve().parents[2] / "scripts" / "gen_backport_profiles.py"
    subprocess.run([sys.executable, str(script), str(tmp_path / "ig"), "--out", str(tmp_path / "out")], check=True,
                   capture_output=True)
    import json

    profile = json.loads((tmp_path / "out" / "p.json").read_text())
    ids = [e["id"] for e in profile["differential"]["element"]]
    assert ids == ["Subscription.criteria", "Subscription.channel.extension", "Subscription.channel.extension:e"]
    ext = json.loads((tmp_path / "out" / "e.json").read_text())
    assert ext["context"] == [{"type": "element", "expression": "Subscription.channel"}]
    assert {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "unsignedInt"}]} in \
        ext["differential"]["element"]
