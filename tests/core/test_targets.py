"""Target files: good ones load whole; a wrong one names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.targets import TargetError, load, resolve

GOOD = """
name = "Example FHIR"
footprint = "North Example Footprint"
sandbox = true

[organisation]
ods_code = "RXX01"
name = "Example Hospitals NHS Trust"
kind = "provider"

[system]
vendor = "Acme"
product = "Acme EPR"
version = "5.2"

[endpoints]
fhir = "https://fhir.example.test/r4/"

[auth]
type = "bearer"
token_env = "EXAMPLE_TOKEN"

[claims]
profiles = ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]

[http]
read_timeout = 20
verify_tls = false
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "target.toml"
    p.write_text(text)
    return p


def test_good_file_loads_every_field(tmp_path: Path) -> None:
    t = load(write(tmp_path, GOOD))
    assert t.name == "Example FHIR" and t.footprint == "North Example Footprint"
    assert t.organisation.ods_code == "RXX01" and t.organisation.kind == "provider"
    assert (t.system.vendor, t.system.product, t.system.version) == ("Acme", "Acme EPR", "5.2")
    assert t.endpoints["fhir"] == "https://fhir.example.test/r4"
    assert t.auth.type == "bearer" and t.auth.token_env == "EXAMPLE_TOKEN"
    assert t.sandbox is True
    assert t.profiles == ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]
    assert t.http.read_timeout == 20.0 and t.http.verify_tls is False


def test_report_view_never_holds_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMPLE_TOKEN", "s3cr3t-token-value")
    t = load(write(tmp_path, GOOD))
    assert "s3cr3t-token-value" not in repr(t.to_dict())
    assert t.auth.secrets() == ["s3cr3t-token-value"]


@pytest.mark.parametrize(
    ("mutation", "key"),
    [
        (lambda s: s.replace('kind = "provider"', 'kind = "hospital"'), "organisation.kind"),
        (lambda s: s.replace("sandbox = true", 'sandbox = "yes"'), "sandbox"),
        (lambda s: s.replace('fhir = "https://fhir.example.test/r4/"', 'fhir = "ftp://x"'), "endpoints.fhir"),
        (lambda s: s.replace('fhir = "https://fhir.example.test/r4/"', 'fhr = "https://x"'), "endpoints.fhr"),
        (lambda s: 'sandboxx = true\n' + s, "sandboxx"),
        (lambda s: s.replace('token_env = "EXAMPLE_TOKEN"', ""), "auth.token_env"),
        (lambda s: s.replace('type = "bearer"', 'type = "magic"'), "auth.type"),
        (lambda s: s.replace("read_timeout = 20", "read_timeout = -1"), "http.read_timeout"),
        (lambda s: s.replace("verify_tls = false", 'verify_tls = "no"'), "http.verify_tls"),
        (lambda s: s.replace('profiles = ["', 'profiles = "').replace('Patient"]', 'Patient"'), "claims.profiles"),
    ],
)
def test_wrong_file_names_file_and_key(tmp_path: Path, mutation: object, key: str) -> None:
    path = write(tmp_path, mutation(GOOD))  # type: ignore[operator]
    with pytest.raises(TargetError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}:"), message
    assert "\n" not in message


def test_unparseable_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="no such file"):
        load(tmp_path / "absent.toml")
    with pytest.raises(TargetError, match="not valid TOML"):
        load(write(tmp_path, "name = \n"))
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TargetError, match="not UTF-8"):
        load(tmp_path / "bin.toml")
    with pytest.raises(TargetError, match="names no endpoint"):
        load(write(tmp_path, "name = 'x'\n"))


def test_bare_url_target() -> None:
    t = resolve("http://127.0.0.1:9/fhir/")
    assert t.endpoints == {"fhir": "http://127.0.0.1:9/fhir"} and t.sandbox is False
    assert resolve("http://127.0.0.1:9/fhir", sandbox=True).sandbox is True
    with pytest.raises(TargetError):
        resolve("localhost:8080")


HL7 = """
name = "Example PAS"
[endpoints]
mllp = "pas.example.test:2575"
[hl7v2]
application = "PAS"
facility = "RXX01"
receives = ["ADT^A01", "ORU^R01"]
sends = ["ADT^A03"]
profiles = ["nhs-adt-a03"]
listen = "127.0.0.1:2576"
trigger = "https://pas.example.test/test-hooks/hl7"
ack_within = 3
allow_test_messages = true
"""


def test_hl7v2_section_loads_and_an_mllp_only_target_is_allowed(tmp_path: Path) -> None:
    t = load(write(tmp_path, HL7))
    assert t.endpoints == {"mllp": "pas.example.test:2575"}
    h = t.hl7v2
    assert (h.application, h.facility, h.receives, h.sends) == ("PAS", "RXX01", ["ADT^A01", "ORU^R01"], ["ADT^A03"])
    assert (h.profiles, h.listen, h.ack_within) == (["nhs-adt-a03"], "127.0.0.1:2576", 3.0)
    assert h.trigger == "https://pas.example.test/test-hooks/hl7"
    assert h.allow_test_messages is True
    assert load(write(tmp_path, HL7.replace("allow_test_messages = true\n", ""))).hl7v2.allow_test_messages is False


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('mllp = "pas.example.test:2575"', 'mllp = "pas.example.test"', "endpoints.mllp"),
        ('mllp = "pas.example.test:2575"', 'mllp = "pas:99999"', "endpoints.mllp"),
        ('receives = ["ADT^A01", "ORU^R01"]', 'receives = ["ADT_A01"]', "hl7v2.receives"),
        ('receives = ["ADT^A01", "ORU^R01"]', 'receives = "ADT^A01"', "hl7v2.receives"),
        ("ack_within = 3", "ack_within = 0", "hl7v2.ack_within"),
        ("ack_within = 3", "ack_within = true", "hl7v2.ack_within"),
        ('listen = "127.0.0.1:2576"', 'listen = "anywhere"', "hl7v2.listen"),
        ('trigger = "https://pas.example.test/test-hooks/hl7"', 'trigger = "pas"', "hl7v2.trigger"),
        ('application = "PAS"', "application = 7", "hl7v2.application"),
        ('application = "PAS"', 'aplication = "PAS"', "hl7v2.aplication"),
        ("allow_test_messages = true", 'allow_test_messages = "yes"', "hl7v2.allow_test_messages"),
        ("allow_test_messages = true", "allow_test_messages = 1", "hl7v2.allow_test_messages"),
    ],
)
def test_wrong_hl7v2_settings_name_the_key(tmp_path: Path, old: str, new: str, key: str) -> None:
    assert old in HL7
    path = write(tmp_path, HL7.replace(old, new))
    with pytest.raises(TargetError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: {key}:"), str(info.value)


def test_claimed_packages_resolve_against_the_target_file(tmp_path: Path) -> None:
    (tmp_path / "pkgs").mkdir()
    good = write(tmp_path, '[endpoints]\nfhir = "https://x.test/fhir"\n[claims]\npackages = ["pkgs"]\n')
    assert load(good).packages == [str(tmp_path / "pkgs")]
    bad = write(tmp_path, '[endpoints]\nfhir = "https://x.test/fhir"\n[claims]\npackages = ["nope.tgz"]\n')
    with pytest.raises(TargetError, match=r"claims\.packages: no such file or folder"):
        load(bad)


SANDBOX_PATIENT = "https://conformance.example/fhir/StructureDefinition/SandboxPatient"


@pytest.mark.parametrize("typo", [SANDBOX_PATIENT.replace("Patient", "Patinet"),
                                  "http://hl7.org/fhir/StructureDefinition/vitalsign",
                                  SANDBOX_PATIENT.replace("https://", "http://")])
def test_a_claimed_profile_url_that_is_a_typo_of_a_known_one_is_a_configuration_error(
        tmp_path: Path, typo: str) -> None:
    path = write(tmp_path, f'[endpoints]\nfhir = "https://x.test/fhir"\n[claims]\nprofiles = ["{typo}"]\n')
    with pytest.raises(TargetError, match=r"claims\.profiles: .* one slip away from") as info:
        load(path)
    assert "\n" not in str(info.value)


def test_a_claimed_profile_the_harness_does_not_know_is_not_a_typo(tmp_path: Path) -> None:
    # Unknown to the harness, and near nothing it knows: loads (the run says it was not judged).
    unknown = "https://example.org/fhir/StructureDefinition/SomeoneElsesPatient"
    path = write(tmp_path, f'[endpoints]\nfhir = "https://x.test/fhir"\n[claims]\nprofiles = ["{unknown}", '
                           f'"{SANDBOX_PATIENT}", "http://hl7.org/fhir/StructureDefinition/vitalsigns"]\n')
    assert load(path).profiles[0] == unknown
