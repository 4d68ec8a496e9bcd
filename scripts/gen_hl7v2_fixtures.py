#!/usr/bin/env python3
"""Write the synthetic HL7 v2 fixtures: fixtures/hl7v2/valid (one per shipped profile) and broken (one defect each).

    python scripts/gen_hl7v2_fixtures.py

No real patient data: NHS numbers from the 999 test range, invented names and places. Each broken
message is a valid one with exactly one defect; broken/manifest.toml says which and where.
"""
from pathlib import Path

root = Path(__file__).resolve().parents[1] / "fixtures" / "hl7v2"

def seg(name, **f):
    vals = {int(k[1:]): v for k, v in f.items()}
    top = max(vals)
    return name + "|" + "|".join(vals.get(i, "") for i in range(1, top + 1))

def msh(t, ctrl, v="2.5.1"):
    return f"MSH|^~\\&|PAS|RXX01|EPR|RXX01|20261122120000||{t}|{ctrl}|P|{v}|||AL|NE|GBR|UNICODE UTF-8"

PID = seg("PID", f1="1", f3="9990000018^^^NHS^NH~RXX1234567^^^RXX01^MR", f5="TESTPATIENT^ALEX^^^MX", f7="19800101",
          f8="F", f11="1 TEST STREET^^LEEDS^^LS1 4AP^GBR^H")
PD1 = seg("PD1", f3="TEST PRACTICE^^^^^^^^^B86001")
def EVN(event):
    return seg("EVN", f1=event, f2="20261122120000")


CONS = "C1234567^CONSULTANT^TEST^^^DR"
def pv1(cls="I", loc="WARD1^BED2^^RXX01", **more):
    return seg("PV1", f1="1", f2=cls, f3=loc, f7=CONS, f10="100", f19="V123456", f44="20261122120000", **more)

VALID = {
 "adt_a01": [msh("ADT^A01^ADT_A01", "A01-0001"), EVN("A01"), PID, PD1,
             seg("NK1", f1="1", f2="TESTPATIENT^SAM", f3="SPO^Spouse^HL70063",
                 f4="1 TEST STREET^^LEEDS^^LS1 4AP^GBR^H"),
             pv1(), seg("AL1", f1="1", f2="DA", f3="PENICILLIN^Penicillin^L"), "ZU1|local|data"],
 "adt_a02": [msh("ADT^A02^ADT_A02", "A02-0001"), EVN("A02"), PID, pv1(loc="WARD2^BED1^^RXX01", f6="WARD1^BED2^^RXX01")],
 "adt_a03": [msh("ADT^A03^ADT_A03", "A03-0001"), EVN("A03"), PID, pv1(f45="20261125103000"),
             seg("DG1", f1="1", f3="J18.9^Pneumonia, unspecified^I10", f5="20261125", f6="F")],
 "adt_a04": [msh("ADT^A04^ADT_A01", "A04-0001", "2.4"), EVN("A04"), PID, pv1("E", "ED^CUBICLE3^^RXX01")],
 "adt_a08": [msh("ADT^A08^ADT_A01", "A08-0001"), EVN("A08"), PID, PD1, pv1()],
 "adt_a28": [msh("ADT^A28^ADT_A05", "A28-0001"), EVN("A28"), PID, PD1, "PV1|1|N"],
 "adt_a31": [msh("ADT^A31", "A31-0001", "2.3"), EVN("A31"), PID, "PV1|1|N"],
 "adt_a40": [msh("ADT^A40^ADT_A39", "A40-0001"), EVN("A40"), PID, "MRG|RXX7654321^^^RXX01^MR"],
 "oru_r01": [msh("ORU^R01^ORU_R01", "R01-0001"), PID, seg("PV1", f1="1", f2="O", f3="OPD^^^RXX01"),
             seg("ORC", f1="RE", f2="PLC0001", f3="LAB0001"),
             seg("OBR", f1="1", f2="PLC0001", f3="LAB0001", f4="FBC^Full blood count^WINPATH", f7="20261122080000",
                 f16=CONS, f22="20261122110000", f25="F"),
             seg("OBX", f1="1", f2="NM", f3="HB^Haemoglobin^WINPATH", f5="135", f6="g/L", f7="130-180", f8="N",
                 f11="F", f14="20261122103000"),
             "NTE|1||Sample received in good condition",
             seg("OBX", f1="2", f2="NM", f3="WBC^White cell count^WINPATH", f5="11.2", f6="10*9/L", f7="4.0-11.0",
                 f8="H", f11="F", f14="20261122103000"),
             seg("OBX", f1="3", f2="ST", f3="COMM^Comment^WINPATH", f5="See note \\T\\ repeat in 1/52", f11="F")],
 "orm_o01": [msh("ORM^O01^ORM_O01", "O01-0001", "2.4"), PID, pv1(),
             seg("ORC", f1="NW", f2="PLC0002", f9="20261122120000", f12=CONS),
             seg("OBR", f1="1", f2="PLC0002", f4="XCHES^XR Chest^NICIP", f7="20261122120000")],
 "mdm_t02": [msh("MDM^T02^MDM_T02", "T02-0001"), EVN("T02"), PID, pv1(),
             seg("TXA", f1="1", f2="DS", f3="TX", f4="20261125100000", f9=CONS,
                 f12="DOC-0001^RXX01", f17="AU", f19="AV"),
             seg("OBX", f1="1", f2="TX", f3="DS^Discharge summary^LOCAL",
                 f5="Admitted with pneumonia.\\.br\\Treated with antibiotics.", f11="F")],
}
for name, segs in VALID.items():
    (root / "valid" / f"{name}.hl7").write_bytes(("\r".join(segs) + "\r").encode())

# ---- broken: each a valid message with exactly one defect, and where it is ----------------------------
def swap(name, old, new, count=1):
    text = "\r".join(VALID[name])
    assert old in text, (name, old)
    return text.replace(old, new, count)

def segments(name, edit):
    segs = list(VALID[name])
    edit(segs)
    return "\r".join(segs)

BROKEN = [
    # file, source, message text, profile, defect, location
    ("sex_not_in_value_set", "adt_a01", swap("adt_a01", "|19800101|F|", "|19800101|X|"), "code", "PID-8"),
    ("birth_date_not_a_date", "adt_a01", swap("adt_a01", "|19800101|", "|19801301|"), "datatype", "PID-7"),
    ("family_name_missing", "adt_a01", swap("adt_a01", "TESTPATIENT^ALEX^^^MX", ""), "required", "PID-5"),
    ("nhs_number_check_digit", "adt_a01", swap("adt_a01", "9990000018^^^NHS", "9990000019^^^NHS"),
     "statement", "PID-3.1"),
    ("evn_after_pid", "adt_a01", segments("adt_a01", lambda s: s.insert(1, s.pop(2))), "segment-order", "EVN"),
    ("insurance_segment_sent", "adt_a01", segments("adt_a01", lambda s: s.insert(7, "IN1|1|NHS^NHS|NHS1")),
     "segment-not-allowed", "IN1"),
    ("z_segment_not_allowed", "adt_a01", swap("adt_a01", "ZU1|local|data", "ZXY|local|data"), "z-segment", "ZXY"),
    ("debug_processing_id", "adt_a02", swap("adt_a02", "|A02-0001|P|", "|A02-0001|D|"), "code", "MSH-11"),
    ("discharge_hour_25", "adt_a03", swap("adt_a03", "20261125103000", "20261125253000"), "datatype", "PV1-45"),
    ("discharge_time_missing", "adt_a03", swap("adt_a03", "|20261125103000", ""), "required", "PV1-45"),
    ("obx_value_not_numeric", "oru_r01", swap("oru_r01", "||11.2|", "||eleven|"), "datatype", "OBX[2]-5"),
    ("obr_missing", "oru_r01", segments("oru_r01", lambda s: s.pop(4)), "missing-segment", "OBR"),
    ("result_status_missing", "oru_r01", swap("oru_r01", "repeat in 1/52||||||F", "repeat in 1/52||||||"),
     "required", "OBX[3]-11"),
    ("obr_status_unknown", "oru_r01", swap("oru_r01", "|20261122110000|||F", "|20261122110000|||Z"), "code", "OBR-25"),
    ("order_control_unknown", "orm_o01", swap("orm_o01", "ORC|NW|", "ORC|XX|"), "code", "ORC-1"),
    ("completion_status_unknown", "mdm_t02", swap("mdm_t02", "|AU||AV", "|ZZ||AV"), "code", "TXA-17"),
    ("encoding_characters_short", "mdm_t02", swap("mdm_t02", "MSH|^~\\&|", "MSH|^~\\|"), "encoding", "MSH-2"),
    ("merge_without_mrg", "adt_a40", segments("adt_a40", lambda s: s.pop()), "missing-segment", "MRG"),
    ("person_with_inpatient_class", "adt_a28", swap("adt_a28", "PV1|1|N", "PV1|1|I"), "code", "PV1-2"),
    ("unknown_version", "adt_a04", swap("adt_a04", "|P|2.4|", "|P|2.9|"), "version", "MSH-12"),
    ("identifier_type_missing", "adt_a08", swap("adt_a08", "RXX1234567^^^RXX01^MR", "RXX1234567^^^RXX01"),
     "required", "PID-3[2].5"),
    ("family_name_too_long", "adt_a01",
     swap("adt_a01", "TESTPATIENT^ALEX", "TESTPATIENTWITHAVERYLONGFAMILYNAMEXXXXX^ALEX"),
     "length", "PID-5.1"),
    ("set_id_not_a_number", "oru_r01", swap("oru_r01", "OBX|1|NM|HB", "OBX|a|NM|HB"), "datatype", "OBX-1"),
    ("unknown_escape", "adt_a01", swap("adt_a01", "^ALEX^", "^AL\\Q\\EX^"), "escape", "PID-5.2"),
    ("consultant_not_gmc", "adt_a01", swap("adt_a01", "C1234567^CONSULTANT", "X99^CONSULTANT"), "datatype", "PV1-7.1"),
    ("segment_not_in_structure", "orm_o01", segments("orm_o01", lambda s: s.append("PRT|1|AD")),
     "unexpected-segment", "PRT"),
    ("no_nhs_number", "adt_a01", swap("adt_a01", "^^^NHS^NH", "^^^NHX^NH"), "statement", "PID-3"),
    ("message_time_iso", "adt_a08", swap("adt_a08", "|RXX01|20261122120000||", "|RXX01|2026-11-22T12:00||"),
     "datatype", "MSH-7"),
    ("admit_time_missing", "adt_a01", swap("adt_a01", "V123456" + "|" * 25 + "20261122120000", "V123456"),
     "required", "PV1-44"),
    ("nk1_repeats_too_often", "adt_a01", segments("adt_a01", lambda s: [s.insert(5, s[4]) for _ in range(5)]),
     "segment-cardinality", "NK1[6]"),
]
lines = ["# One defect per file: where the validator must find it. Generated by scripts/gen_hl7v2_fixtures.py.", ""]
for name, source, text, defect, where in BROKEN:
    (root / "broken" / f"{name}.hl7").write_bytes((text + "\r").encode())
    profile = "nhs-" + source.replace("_", "-")
    lines += ["[[case]]", f'file = "{name}.hl7"', f'profile = "{profile}"', f'defect = "{defect}"',
              f'location = "{where}"', ""]
(root / "broken" / "manifest.toml").write_text("\n".join(lines))
