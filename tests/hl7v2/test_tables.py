"""Tables as strictly as HL7 defines them, version by version; varies and query fields; versions 2.3-2.8."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.hl7v2 import validate
from conformance.hl7v2.standard import VERSIONS
from conformance.hl7v2.tables import table

MSH = "MSH|^~\\&|A|B|C|D|20260101120000||{type}|1|P|{version}"
ADT = "\r".join([MSH, "EVN|A01|20260101120000", "PID|1||123^^^H^MR||DOE^JANE||19800101|F",
                 "PV1|1|I|W1^1^1||||||||||||||||V1"])


def issues(text: str) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.where) for i in validate(text).issues]


def adt(version: str = "2.5.1", **swap: str) -> str:
    text = ADT.format(type="ADT^A01^ADT_A01", version=version)
    for old, new in swap.items():
        text = text.replace(old.replace("_", "|"), new.replace("_", "|"))
    return text


def test_table_types_and_history_come_from_the_official_tables() -> None:
    assert {table(t).type for t in ("0007", "0069", "0092")} == {"User"}  # type: ignore[union-attr]
    assert table("0203").type == "Suggested" and table("HL70103").type == "HL7"  # type: ignore[union-attr]
    for number in ("0125", "0103"):  # present in every version this validator checks
        assert all(table(number).in_version(v) for v in VERSIONS), number  # type: ignore[union-attr]
    structures = table("0354")
    assert structures is not None and not structures.in_version("2.3") and structures.in_version("2.3.1")
    assert structures.allows("OML_O33", "2.5") and not structures.allows("OML_O33", "2.4")
    ids = table("0203")
    assert ids is not None and ids.allows("NNGBR", "2.5") and not ids.allows("NNGB", "2.5")


def test_an_hl7_table_is_an_error_a_suggested_one_a_warning_a_user_one_never() -> None:
    assert ("error", "code", "MSH-11") in issues(adt(**{"_P_": "_X_"}))  # 0103 processing id: HL7-defined
    assert ("warning", "code", "PID-3.5") in issues(adt(**{"H^MR": "H^QQ"}))  # 0203: suggested values
    assert issues(adt(**{"H^MR": "H^NNGBR"})) == []  # NNxxx is a pattern, GBR a country
    assert issues(adt(**{"_I_": "_Q_"})) == []  # PV1-2 patient class: user-defined 0004
    v23 = adt("2.3").replace("ADT^A01^ADT_A01", "ADT^A01").replace("PV1|1|I|W1^1^1|", "PV1|1|I|W1^1^1|7")
    assert issues(v23) == []  # PV1-4 0007 is user-defined, even where v2.3's data types it ID


def test_a_code_of_another_version_is_a_warning() -> None:
    found = issues(adt("2.4", **{"_P_2.4": "_P_2.4||||||UNICODE UTF-8"}))
    assert found == [("warning", "code", "MSH-18")]


def test_obx_value_is_typed_by_obx_2_and_obx_2_by_table_0125() -> None:
    oru = "\r".join([MSH.format(type="ORU^R01^ORU_R01", version="2.5.1"), "PID|1||1^^^H^MR||DOE^JANE",
                     "OBR|1||1|GLU^Glucose", "OBX|1|{t}|GLU^Glucose||{v}||||||F"])
    assert issues(oru.format(t="NM", v="5.4")) == []
    assert issues(oru.format(t="NM", v="high")) == [("error", "datatype", "OBX-5")]
    assert issues(oru.format(t="CE", v="H^High^HL70078")) == []
    assert issues(oru.format(t="SN", v="<^5")) == []
    assert issues(oru.format(t="XX", v="5")) == [("error", "code", "OBX-2")]


def test_query_parameters_are_typed_by_the_query() -> None:
    qbp = "\r".join([MSH.format(type="QBP^Q22^QBP_Q21", version="2.5"),
                     "QPD|IHE PDQ Query|Q1|@PID.5.1^DOE~@PID.8^F|x|y|z", "RCP|I"])
    assert issues(qbp) == []


@pytest.mark.parametrize("version", ["2.6", "2.7", "2.8"])
def test_versions_common_in_the_field_are_checked(version: str) -> None:
    result = validate(adt(version))
    assert result.valid and result.structure == "ADT_A01", [i.line_text() for i in result.issues]
    assert ("error", "datatype", "PID-7") in issues(adt(version, **{"19800101": "19801301"}))


def test_a_version_not_checked_is_information_but_what_can_be_seen_is_reported() -> None:
    assert issues(adt("2.9")) == [("information", "version", "MSH-12")] and validate(adt("2.9")).valid
    assert ("error", "version", "MSH-12") in issues(adt("2.5.2"))  # no HL7 version at all (table 0104)
    empty = issues(adt("", **{"_P_": "__"}))
    assert ("error", "required", "MSH-11") in empty and ("error", "required", "MSH-12") in empty


def test_a_locally_defined_message_is_information() -> None:
    z = "\r".join([MSH.format(type="ZDT^Z01^ZDT_Z01", version="2.5"), "PID|1||1^^^H^MR||DOE^JANE"])
    assert issues(z) == [("information", "message-type", "MSH-9")]


def test_line_feeds_between_segments_are_an_error_in_a_file_too(tmp_path: Path) -> None:
    path = tmp_path / "lf.hl7"
    path.write_bytes(adt().replace("\r", "\n").encode() + b"\n")
    out = CliRunner().invoke(main, ["validate", "hl7v2", str(path)])
    assert out.exit_code == 1 and "[separator]" in out.output, out.output
    path.write_bytes(adt().encode() + b"\n")  # a file's own final line ending is not the message's
    assert CliRunner().invoke(main, ["validate", "hl7v2", str(path)]).exit_code == 0


def test_a_coded_field_from_another_coding_system_is_not_held_to_the_fields_table() -> None:
    nk1 = adt("2.3").replace("ADT^A01^ADT_A01", "ADT^A01").replace("PV1|", "NK1|1|DOE^JOHN|||||{c}\rPV1|")
    assert issues(nk1.format(c="EP^Emergency contact person^HL70131")) == []
    assert issues(nk1.format(c="XX^Emergency contact^HL70131")) == []  # 0131 is user-defined: a site's code
    assert issues(nk1.format(c="XX^Local contact role^99LOC")) == []  # a local coding system's code
    rxr = "\r".join([MSH.format(type="RDE^O01", version="2.3"), "PID|1||1^^^H^MR||DOE^JANE", "RXR|{c}"])
    assert [i for i in issues(rxr.format(c="XX^Route^HL70162")) if i[1] == "code"] == \
        [("warning", "code", "RXR-1.1")]  # 0162 route, named only by coded fields: type unknown here
    assert [i for i in issues(rxr.format(c="XX^Route^99LOC")) if i[1] == "code"] == []


def test_a_table_the_standard_types_only_through_coded_fields_is_never_an_error() -> None:
    """0131 contact role is user-defined (HL7 v2 chapter 3, NK1-7), but no ID or IS field names it, so
    its type cannot be read from the field definitions: such a table must not be held as HL7-defined."""
    assert table("0131").type == "User"  # type: ignore[union-attr]
    for number in ("0002", "0005", "0189", "0127", "0128", "0276", "0277", "0278"):
        assert table(number).type == "User", number  # type: ignore[union-attr]
    nk1 = adt("2.3").replace("ADT^A01^ADT_A01", "ADT^A01").replace("PV1|", "NK1|1|DOE^JOHN|SPO||||EC\rPV1|")
    assert [i for i in issues(nk1) if i[2] == "NK1-7"] == []  # a site's contact role (emergency contact)
    untyped = [t for t in ("0162", "0163", "0165") if table(t).type == "Coded"]  # type: ignore[union-attr]
    rxr = "\r".join([MSH.format(type="RDE^O01", version="2.3"), "PID|1||1^^^H^MR||DOE^JANE",
                     "ORC|NW|1||||||^^^20260101", "RXE|^^^20260101|D1^Drug^L|1||mg", "RXR|ZZ"])
    found = [i for i in issues(rxr) if i[2] == "RXR-1"]
    assert untyped == ["0162", "0163", "0165"] and found == [("warning", "code", "RXR-1")]


def test_v23_fields_that_repeat_in_hl7s_database_may_repeat() -> None:
    """hl7apy's v2.3 makes 32 fields single that HL7's v2.3 database (and v2.3.1) lets repeat: an alias
    name, a second insurer id. Each must be held to HL7, not to the stricter copy."""
    text = "\r".join([MSH.format(type="ADT^A01", version="2.3"), "EVN|A01|20260101120000",
                      "PID|1||123^^^H^MR|A1~A2|DOE^JANE~SMITH^JANE||19800101|F|||||||||||||M1~M2",
                      "NK1|1|DOE^JOHN|SPO||||||||||||||X~Y", "PV1|1|I|W1^1^1||||1^A~2^B",
                      "IN1|1|P1|C1~C2|N1~N2||||G1|GN1~GN2", "IN2|E1~E2"])
    assert [i for i in issues(text) if i[1] == "cardinality"] == []
    from conformance.hl7v2.standard import load
    singles = {(s, n) for s, fields in load("2.3").segments.items() for n, f in enumerate(fields, 1) if f.max == 1}
    for field in ("PD1-1", "PID-4", "PID-21", "PID-26", "NK1-17", "NK1-29", "IN1-44", "IN1-49", "IN2-26"):
        seg, n = field.split("-")
        assert (seg, int(n)) not in singles, field
    assert ("PID", 18) in singles  # PID-18 account number stays single, as HL7 has it


def test_v23_fields_typed_as_hl7s_database_types_them() -> None:
    """hl7apy's v2.3 types MRG-7 prior patient name as CX (HL7: XPN), EVN-5 as CN (XCN), IN2-24 as ST (IS)."""
    text = "\r".join([MSH.format(type="ADT^A40", version="2.3"), "EVN|A40|20260101120000||||1^DOE^JO^^^^^^^^^^^^",
                      "PID|1||123^^^H^MR||DOE^JANE", "MRG|456^^^H^MR||||||SMITH^JANE^A"])
    found = [i for i in issues(text) if i[2].startswith(("MRG-7", "EVN-5"))]
    assert found == []
    from conformance.hl7v2.standard import load
    std = load("2.3")
    assert (std.segments["MRG"][6].datatype, std.segments["EVN"][4].datatype) == ("XPN", "XCN")


def test_obx_as_hl7s_database_has_it_in_v231_and_v24() -> None:
    """hl7apy's v2.3.1 makes OBX-2 and OBX-4 required (HL7: conditional, optional in its database), and
    its v2.4 makes OBX-8 abnormal flags, OBX-10 and OBX-16 single (HL7: repeating)."""
    oru = "\r".join([MSH.format(type="ORU^R01", version="{v}"), "PID|1||1^^^H^MR||DOE^JANE", "OBR|1||1|GLU^Glucose",
                     "OBX|1|NM|GLU^Glucose||5.4|mmol/L||H~A||N~A|F|||||1^DOC^A~2^DOC^B", "OBX|2||NOTE^Note||||||||F"])
    assert issues(oru.replace("{v}", "2.4")) == []
    # v2.3.1: OBX-2 and OBX-4 may be empty; OBX-10 is single there (HL7's database and hl7apy agree)
    assert issues(oru.replace("{v}", "2.3.1")) == [("error", "cardinality", "OBX-10")]
    assert [i for i in issues(oru.replace("{v}", "2.7")) if i[1] == "required"] == []  # v2.7 too
