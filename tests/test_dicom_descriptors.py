"""The Clean Descriptors option: free-text descriptions stay in the DICOM and the sidecars with what identifies in them
replaced by the transcript recognizers; values that cannot be cleaned fall back to the basic profile's removal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pydicom
import pytest

from deidflow.demo.people import make_people
from deidflow.dicom.convert import convert_part
from deidflow.dicom.descriptors import DescriptorCleaner, header_items
from deidflow.dicom.sidecar import scrub_sidecar
from deidflow.dicom.steps import descriptor_cleaner, scrub_part
from deidflow.subjects import SubjectRecord
from deidflow.text.engine import analyzer
from test_dicom_part import demo_subject

KEY = bytes(range(32))
CFG = {"options": {"retain_longitudinal_modified_dates": True, "retain_patient_characteristics": True},
       "clean_descriptors": "clean"}
MAPPING = [{"match": "(?i)mprage", "datatype": "anat", "suffix": "T1w"}]


@pytest.fixture(scope="module")
def engine():
    return analyzer()


@pytest.fixture(scope="module")
def person():
    return make_people(1, seed=11)[0]


def cleaner(record: SubjectRecord, engine, items=()) -> DescriptorCleaner:
    made = descriptor_cleaner(record, CFG, KEY, {}, items)
    made.engine = engine  # one model load for the module
    return made


def identifiers(part: Path) -> set[str]:
    return {v["value"] for v in json.loads((part / "identifiers.json").read_text())["values"]}


def test_descriptors_are_kept_cleaned_and_the_option_is_recorded(tmp_path, person, engine):
    study, files, record = demo_subject(tmp_path, person)
    part = tmp_path / "clean"
    scrub_part(map(str, files), part, record, {**CFG, "withhold_pixels_of": []}, KEY, study,
               descriptors=cleaner(record, engine))
    manifest = json.loads((part / "manifest.json").read_text())
    assert manifest["produced"] == ["sourcedata/dicom/sub-p7x9k2/series-001/0001.dcm"]  # the chest CT
    mr = pydicom.dcmread(part / "files" / manifest["produced"][0])
    original = pydicom.dcmread(files[-1])
    # what identifies is gone, the rest of each description stays
    assert mr.StudyDescription.startswith("CT chest for ") and person.last_name not in mr.StudyDescription
    assert person.first_name not in mr.ImageComments and person.phone not in mr.ImageComments
    assert mr.ImageComments.endswith("moved during scan; call [PHONE_NUMBER_1]")
    assert mr.SeriesDescription == mr.ProtocolName == "CT chest low dose"
    nested = mr.RequestAttributesSequence[0].RequestedProcedureDescription
    assert nested.startswith("Chest CT of ") and person.last_name not in nested
    assert original.StudyDescription != mr.StudyDescription
    # the same name gets the same replacement in every description
    assert mr.StudyDescription.removeprefix("CT chest for ") == nested.removeprefix("Chest CT of ")
    codes = {item.CodeValue for item in mr.DeidentificationMethodCodeSequence}
    assert "113105" in codes and "Clean Descriptors Option" in list(mr.DeidentificationMethod)
    data = b"".join(p.read_bytes() for p in (part / "files").rglob("*.dcm"))
    for value in (person.last_name, person.first_name, person.phone, person.hospital):
        assert value.encode() not in data, value
    found = identifiers(part)
    assert person.phone in found and person.full_name in found
    assert "CT chest low dose" not in found  # a kept description is not a leak to search for
    assert any("descriptors cleaned with the transcript recognizers" in n for n in manifest["notes"])


def test_remove_mode_keeps_no_descriptor_and_claims_no_option(tmp_path, person):
    study, files, record = demo_subject(tmp_path, person)
    part = tmp_path / "remove"
    scrub_part(map(str, files), part, record, {**CFG, "clean_descriptors": "remove", "withhold_pixels_of": []},
               KEY, study)
    mr = pydicom.dcmread(next((part / "files").rglob("series-001/0001.dcm")))
    assert "StudyDescription" not in mr and "ImageComments" not in mr and "SeriesDescription" not in mr
    assert "113105" not in {item.CodeValue for item in mr.DeidentificationMethodCodeSequence}
    with pytest.raises(ValueError, match="clean_descriptors = 'scrub'"):
        descriptor_cleaner(record, {"clean_descriptors": "scrub"}, KEY)


def test_a_value_that_cannot_be_cleaned_is_removed(engine):
    record = SubjectRecord("x", "q4w8z1", 0, {})
    made = cleaner(record, engine, [{"value": "Amy Lee", "kind": "name"}])
    assert made.clean("Amy Lee brain", "LO", "StudyDescription") == "[PERSON_1] brain"
    assert made.clean("Scan of Amy Lee", "SH", "StationName") is None  # 18 characters cleaned: too long for SH
    assert made.clean("Scan of Amy Lee", "LO", "StudyDescription") == "Scan of [PERSON_1]"
    assert made.clean_values(["head", "Scan of Amy Lee"], "SH", "X") is None
    assert made.refused == 1  # the cached refusal is not counted twice
    assert made.clean("scan on 2023-03-14", "LO", "ImageComments") == "scan on 2023-03-14"  # shift 0


def test_dates_in_descriptors_move_by_the_subject_shift(engine):
    made = cleaner(SubjectRecord("x", "q4w8z1", -9, {}), engine)
    day = dt.date(2023, 3, 14) - dt.timedelta(days=9)
    assert made.clean("follow-up scan on 2023-03-14", "LO", "StudyDescription") == f"follow-up scan on {day:%Y-%m-%d}"


def test_header_items_read_names_ids_and_institutions_at_any_depth(person, tmp_path):
    _, files, _ = demo_subject(tmp_path, person)
    items = header_items([pydicom.dcmread(files[0])])
    values = {(i["kind"], i["value"]) for i in items}
    assert ("name", person.full_name) in values and ("institution", person.hospital) in values


def test_sidecar_descriptions_are_cleaned_or_removed():
    sidecar = {"SeriesDescription": "T1 for Amy Lee", "ProtocolName": "t1_mprage", "StationName": "MRC1",
               "RepetitionTime": 2.3}
    kept, removed = scrub_sidecar(sidecar, clean=lambda v, f: v.replace("Amy Lee", "[PERSON_1]"),
                                  clean_fields={"SeriesDescription", "ProtocolName"})
    assert kept == {"SeriesDescription": "T1 for [PERSON_1]", "ProtocolName": "t1_mprage", "RepetitionTime": 2.3}
    assert removed == {"StationName": "MRC1"}
    kept, removed = scrub_sidecar(sidecar, ["ProtocolName"], clean=lambda v, f: None,
                                  clean_fields={"SeriesDescription", "ProtocolName"})
    assert set(removed) == {"SeriesDescription", "ProtocolName", "StationName"}


def test_converted_sidecars_keep_cleaned_descriptions(tmp_path, person, engine):
    study, files, record = demo_subject(tmp_path, person)
    part = tmp_path / "nifti"
    convert_part(list(map(str, files)), [], part, record, {"bids_mapping": MAPPING, **CFG}, study,
                 descriptors=cleaner(record, engine))
    manifest = json.loads((part / "manifest.json").read_text())
    sidecar = next(p for p in manifest["produced"] if p.endswith("_T1w.json"))
    data = json.loads((part / "files" / sidecar).read_text())
    assert data["SeriesDescription"] == data["ProtocolName"] == "T1_MPRAGE_ax"
    assert "ImageComments" not in data or person.phone not in data["ImageComments"]
    assert person.full_name.encode() not in b"".join(p.read_bytes() for p in (part / "files").rglob("*.json"))
