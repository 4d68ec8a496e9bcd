"""Several renamed choices of one ``[x]`` element in a differential make a type slicing (snapshot_choices)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.snapshot import apply_differential
from tests.fhirval.test_snapshot import make, snap


def test_two_renamed_choices_are_type_slices_covering_every_type_so_closed() -> None:
    # Sehatuk's medication-dispense (IG publisher 1.2.15, no error): medicationCodeableConcept and
    # medicationReference; HL7's snapshot slices medication[x] by type, both slices min 0, closed
    sd = make("MedicationDispense",
              {"path": "MedicationDispense.medicationCodeableConcept", "min": 0, "type": [{"code": "CodeableConcept"}]},
              {"path": "MedicationDispense.medicationCodeableConcept.text", "min": 1},
              {"path": "MedicationDispense.medicationReference", "min": 0, "type": [{"code": "Reference"}]})
    builder, landed = apply_differential(sd, base_source())
    assert builder.problems == [] and None not in landed
    els = snap(sd)
    choice = els["MedicationDispense.medication[x]"]
    assert choice["min"] == 1 and [t["code"] for t in choice["type"]] == ["CodeableConcept", "Reference"]
    assert choice["slicing"] == {"discriminator": [{"type": "type", "path": "$this"}], "ordered": False,
                                 "rules": "closed"}
    concept = els["MedicationDispense.medication[x]:medicationCodeableConcept"]
    assert concept["min"] == 0 and concept["sliceName"] == "medicationCodeableConcept"
    assert els["MedicationDispense.medication[x]:medicationCodeableConcept.text"]["min"] == 1
    assert [t["code"] for t in els["MedicationDispense.medication[x]:medicationReference"]["type"]] == ["Reference"]


def test_renamed_choices_leaving_types_unnamed_narrow_the_choice_to_theirs() -> None:
    # Task.input.value[x] has 50 types; naming two makes two slices of min 0 and, as HL7's validator generates a
    # snapshot (no newSlicingProcessing), a choice of those two types, closed
    sd = make("Task",
              {"path": "Task.input.valueString", "type": [{"code": "string"}], "maxLength": 10},
              {"path": "Task.input.valueCodeableConcept", "type": [{"code": "CodeableConcept"}]})
    builder, _ = apply_differential(sd, base_source())
    assert builder.problems == []
    els = snap(sd)
    choice = els["Task.input.value[x]"]
    assert choice["slicing"]["rules"] == "closed"
    assert sorted(t["code"] for t in choice["type"]) == ["CodeableConcept", "string"]
    assert els["Task.input.value[x]:valueString"]["maxLength"] == 10
    assert els["Task.input.value[x]:valueString"]["min"] == 0


def test_one_renamed_choice_is_a_type_slice_of_the_narrowed_choice() -> None:
    """ProfilePathProcessor.processSimplePathWhereDiffsConstrainTypes, the short cut (without newSlicingProcessing,
    as HL7's validator context): a slicer with the renamed type, sliced by type, closed, and the differential's
    constraints on the slice ``value[x]:valueQuantity`` (R4's vital signs, RTLS's ``eventCoding``)."""
    els = snap(make("Observation", {"path": "Observation.valueQuantity", "type": [{"code": "Quantity"}],
                                    "mustSupport": True}))
    choice = els["Observation.value[x]"]
    assert [t["code"] for t in choice["type"]] == ["Quantity"] and choice["slicing"]["rules"] == "closed"
    assert "mustSupport" not in choice and els["Observation.value[x]:valueQuantity"]["mustSupport"] is True


def test_a_renamed_choice_beside_the_stated_choice_keeps_its_types_and_opens() -> None:
    """Not the short cut when the differential states ``value[x]`` too: its own types hold, and the types left
    without a slice open the slicing (``allowedTypes`` -> OPEN): a string value stays valid."""
    els = snap(make("Observation", {"path": "Observation.value[x]", "mustSupport": True},
                    {"path": "Observation.valueQuantity", "type": [{"code": "Quantity"}]}))
    choice = els["Observation.value[x]"]
    assert len(choice["type"]) > 1 and choice["slicing"]["rules"] == "open"
    assert [t["code"] for t in els["Observation.value[x]:valueQuantity"]["type"]] == ["Quantity"]


def test_a_type_slice_without_stated_slicing_slices_the_choice_by_type() -> None:
    """``value[x]`` and ``value[x]:valueQuantity`` without slicing (SUSHI): diffsConstrainTypes holds for any ``[x]``
    path, so the choice is sliced by type on ``$this``; the one type the choice keeps has its slice: closed."""
    els = snap(make("Observation", {"path": "Observation.value[x]", "type": [{"code": "Quantity"}]},
                    {"id": "Observation.value[x]:valueQuantity", "path": "Observation.value[x]",
                     "sliceName": "valueQuantity", "type": [{"code": "Quantity"}]}))
    assert els["Observation.value[x]"]["slicing"] == {"discriminator": [{"type": "type", "path": "$this"}],
                                                      "ordered": False, "rules": "closed"}


def test_one_renamed_choice_is_a_type_slice_so_its_min_is_not_the_choices() -> None:
    # QPath's MessageDefinition profiles (publisher 1.1.97, no error): ``eventCoding`` 0..1 under ``event[x]`` 1..1;
    # HL7 takes it as implicit slicing (a slice ``event[x]:eventCoding`` of min 0), the choice stays required
    sd = make("MessageDefinition", {"path": "MessageDefinition.eventCoding", "min": 0, "type": [{"code": "Coding"}]})
    builder, _ = apply_differential(sd, base_source())
    assert builder.problems == []
    choice = snap(sd)["MessageDefinition.event[x]"]
    assert choice["min"] == 1 and [t["code"] for t in choice["type"]] == ["Coding"]


def test_a_required_renamed_choice_makes_the_choice_required() -> None:
    els = snap(make("Observation", {"path": "Observation.valueQuantity", "min": 1, "type": [{"code": "Quantity"}]}))
    assert els["Observation.value[x]"]["min"] == 1


_SLICE_CC = {"id": "Observation.value[x]:valueCodeableConcept", "path": "Observation.value[x]",
             "sliceName": "valueCodeableConcept", "type": [{"code": "CodeableConcept"}]}
_BY_TYPE = [{"type": "type", "path": "$this"}]


def test_type_slicing_stated_open_covering_every_type_is_closed() -> None:
    # HL7 test obs-2a: ProfilePathProcessor.processSimplePathWhereDiffsConstrainTypes, "type slicing is always
    # closed; the differential might call it open"; every type the choice keeps has its slice
    els = snap(make("Observation",
                    {"id": "Observation.value[x]", "path": "Observation.value[x]", "slicing": {"rules": "open"},
                     "type": [{"code": "CodeableConcept"}]}, _SLICE_CC))
    assert els["Observation.value[x]"]["slicing"] == {"discriminator": _BY_TYPE, "ordered": False, "rules": "closed"}


def test_type_slicing_leaving_types_unsliced_is_open_by_type() -> None:
    # HL7 test obs-2: the differential's slicing names no discriminator; HL7's is type on $this, open because
    # twelve of value[x]'s types have no slice (``allowedTypes``)
    els = snap(make("Observation", {"id": "Observation.value[x]", "path": "Observation.value[x]",
                                    "slicing": {"rules": "closed"}}, _SLICE_CC))
    choice = els["Observation.value[x]"]
    assert choice["slicing"] == {"discriminator": _BY_TYPE, "ordered": False, "rules": "open"}
    assert len(choice["type"]) > 1 and choice["min"] == 0


def test_a_mandatory_type_slice_fixes_the_choice_to_its_type() -> None:
    # HL7 tests obs-2b, obs-4, zib-BodyHeight: ``diffMatches.get(i).getMin() > 0`` -> setMin(1) and fixedType
    els = snap(make("Observation", {"id": "Observation.value[x]", "path": "Observation.value[x]",
                                    "slicing": {"rules": "open"}}, {**_SLICE_CC, "min": 1}))
    choice = els["Observation.value[x]"]
    assert choice["min"] == 1 and [t["code"] for t in choice["type"]] == ["CodeableConcept"]
    assert choice["slicing"] == {"discriminator": _BY_TYPE, "ordered": False, "rules": "closed"}
    assert els["Observation.value[x]:valueCodeableConcept"]["min"] == 1


def test_a_damaged_type_slicing_is_generated_without_raising() -> None:
    """review10: a choice whose ``type`` holds a string, a slice ``min: true`` or a type code that is no string
    raised AttributeError in settle_type_slicings, or counted ``true`` as a min of 1."""
    sliced = {"path": "Observation.value[x]",
              "slicing": {"discriminator": [{"type": "type", "path": "$this"}], "rules": "open"}}
    for choice, slice_extra in (({"type": ["x"]}, {"min": 1, "type": [{"code": "Quantity"}]}),
                                ({}, {"min": True, "type": [{"code": "Quantity"}]}),
                                ({}, {"min": 1, "type": [{"code": 5}]})):
        sd = make("Observation", {**sliced, **choice},
                  {"path": "Observation.value[x]", "sliceName": "vq", **slice_extra})
        value = snap(sd)["Observation.value[x]"]
        assert value.get("min") == (1 if choice else 0)  # a real min 1 on the slice makes the choice required


def test_a_renamed_choice_named_only_by_its_children_constrains_the_choice_in_place() -> None:
    """No differential element matches ``valueQuantity`` itself (HL7's quantity-accuracy: ``value[x]`` typed
    Quantity, then ``valueQuantity.value``): HL7 walks into the choice, no type slice."""
    els = snap(make("Observation", {"path": "Observation.value[x]", "type": [{"code": "Quantity"}]},
                    {"path": "Observation.valueQuantity.value", "min": 1}))
    assert els["Observation.value[x].value"]["min"] == 1 and "Observation.value[x]:valueQuantity" not in els
    assert "slicing" not in els["Observation.value[x]"]


def test_a_renamed_choice_in_a_slice_of_the_base_structure_constrains_the_choice_in_place() -> None:
    """A slice's own children are processed with its slicing done (ProfilePathProcessor: PathSlicingParams(true,
    ...)), so oneMatchingElementInDifferential takes ``component:Systolic.valueQuantity`` as it is (R4's bp,
    publisher 1.8.26's myObservation)."""
    els = snap(make(
        "Observation",
        {"path": "Observation.component", "slicing": {"discriminator": [{"type": "pattern", "path": "code"}],
                                                      "rules": "open"}},
        {"id": "Observation.component:Systolic", "path": "Observation.component", "sliceName": "Systolic"},
        {"id": "Observation.component:Systolic.valueQuantity", "path": "Observation.component.valueQuantity",
         "type": [{"code": "Quantity"}]},
        {"id": "Observation.component:Systolic.valueQuantity.value",
         "path": "Observation.component.valueQuantity.value", "min": 1}))
    choice = els["Observation.component:Systolic.value[x]"]
    assert [t["code"] for t in choice["type"]] == ["Quantity"] and "slicing" not in choice
    assert els["Observation.component:Systolic.value[x].value"]["min"] == 1


def test_a_renamed_choice_in_a_sub_extension_slice_its_profile_brought_constrains_in_place() -> None:
    """HL7 tests sushi1/sushi2: ``extension:CS.extension:code.valueCodeableConcept`` under patient-citizenship's
    own ``code`` slice is processed with that slicing done, so the rebinding lands on ``value[x]`` itself; a
    sub-extension slice new in the differential walks into its type afresh and slices by type (the short cut)."""
    vs = "https://conformance.example/fhir/ValueSet/countries"
    els = snap(make(
        "Patient",
        {"id": "Patient.extension:CS", "path": "Patient.extension", "sliceName": "CS",
         "type": [{"code": "Extension", "profile": ["http://hl7.org/fhir/StructureDefinition/patient-citizenship"]}]},
        {"id": "Patient.extension:CS.extension:code", "path": "Patient.extension.extension"},
        {"id": "Patient.extension:CS.extension:code.valueCodeableConcept",
         "path": "Patient.extension.extension.valueCodeableConcept", "type": [{"code": "CodeableConcept"}],
         "binding": {"strength": "extensible", "valueSet": vs}}))
    choice = els["Patient.extension:CS.extension:code.value[x]"]
    assert choice["binding"]["valueSet"] == vs and "slicing" not in choice
    assert "Patient.extension:CS.extension:code.value[x]:valueCodeableConcept" not in els


def test_a_renamed_choice_in_a_new_slice_below_a_choice_constrained_in_place_is_a_type_slice() -> None:
    """HL7 test t16: ``latitude.valueDecimal`` is named only by its children (constrained in place, now
    ``value[x]``), and below it ``extension:r`` is a new slice walking into its own profile, so its
    ``valueString`` is the short cut's type slice. Ours looked the renamed choice up by the id already rewritten to
    ``value[x]``, found no differential element there, and took it as named only by its children (in place)."""
    geo, lat = "Patient.address.extension:geo", "Patient.address.extension:geo.extension:latitude"
    rendered = f"{lat}.valueDecimal.extension:r"
    els = snap(make(
        "Patient",
        {"id": geo, "path": "Patient.address.extension", "sliceName": "geo",
         "type": [{"code": "Extension", "profile": ["http://hl7.org/fhir/StructureDefinition/geolocation"]}]},
        {"id": lat, "path": "Patient.address.extension.extension", "sliceName": "latitude"},
        {"id": rendered, "path": "Patient.address.extension.extension.valueDecimal.extension", "sliceName": "r",
         "type": [{"code": "Extension", "profile": ["http://hl7.org/fhir/StructureDefinition/rendered-value"]}]},
        {"id": f"{rendered}.valueString", "path": "Patient.address.extension.extension.valueDecimal.extension."
         "valueString", "mustSupport": True}))
    choice = els[f"{lat}.value[x].extension:r.value[x]"]
    assert choice["slicing"]["discriminator"] == [{"type": "type", "path": "$this"}]
    assert els[f"{lat}.value[x].extension:r.value[x]:valueString"]["mustSupport"] is True
    assert "slicing" not in els[f"{lat}.value[x]"]


def test_the_one_type_slice_of_a_stated_choice_keeps_the_bases_min() -> None:
    """HL7 test telus-oo: ``extension:m.value[x]`` and its one type slice ``value[x]:valueString`` (no min stated).
    The slice starts from the base's element (ProfilePathProcessor: APPLY_PROPERTIES_FROM_SLICER is false,
    ``template = currentBase.copy()``), and type slicing is closed, so it is not made optional: an extension whose
    value is required (mothersMaidenName, value[x] 1..1) has a 1..1 slice. Ours made it 0..1."""
    ext = "Patient.extension:m"
    els = snap(make(
        "Patient",
        {"id": ext, "path": "Patient.extension", "sliceName": "m",
         "type": [{"code": "Extension", "profile": ["http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"]}]},
        {"id": f"{ext}.value[x]", "path": "Patient.extension.value[x]", "type": [{"code": "string"}]},
        {"id": f"{ext}.value[x]:valueString", "path": "Patient.extension.value[x]", "sliceName": "valueString",
         "type": [{"code": "string"}]}))
    assert els[f"{ext}.value[x]"]["min"] == 1 and els[f"{ext}.value[x]:valueString"]["min"] == 1


def test_a_prohibited_type_slice_removes_its_type_from_the_choice() -> None:
    # HL7 test type-slicing-exclusion: ProfileUtilities.generateSnapshot removes from an element of several types each
    # type whose type slice (findTypeSlice) is prohibited() (max 0); the slices themselves stay
    eff = "Observation.effective[x]"

    def type_slice(code: str, max_: str) -> dict[str, Any]:
        name = "effective" + code[:1].upper() + code[1:]
        return {"id": f"{eff}:{name}", "path": eff, "sliceName": name, "min": 0, "max": max_, "type": [{"code": code}]}

    els = snap(make("Observation", {"id": eff, "path": eff, "slicing": {"discriminator": _BY_TYPE, "rules": "open"}},
                    type_slice("instant", "0"), type_slice("Period", "0"), type_slice("dateTime", "1")))
    assert [t["code"] for t in els[eff]["type"]] == ["dateTime", "Timing"]
    assert els[f"{eff}:effectivePeriod"]["max"] == "0" and els[f"{eff}:effectivePeriod"]["type"] == [{"code": "Period"}]
