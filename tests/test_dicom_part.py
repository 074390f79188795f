"""The `dicom` part for one subject: renamed scrubbed files, bad inputs withheld with a reason, PHI listed."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from deidflow.demo.dicom import write as write_demo
from deidflow.demo.people import make_people
from deidflow.dicom.steps import scrub_part
from deidflow.secrets import SecretStore
from deidflow.subjects import SubjectRecord

KEY = bytes(range(32))
CFG = {"options": {"retain_longitudinal_modified_dates": True, "retain_patient_characteristics": True}}


@pytest.fixture(scope="module")
def person():
    return make_people(1, seed=7)[0]


def demo_subject(tmp: Path, person) -> tuple[Path, list[Path], SubjectRecord]:
    study = tmp / "study"
    files = write_demo(study, person, random.Random(1), small=True)
    return study, files, SubjectRecord(person.label, "p7x9k2", 21, {})


def released_bytes(part: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted((part / "files").rglob("*")) if p.is_file())


def test_demo_subject_is_scrubbed_renamed_and_its_phi_listed(tmp_path: Path, person):
    study, files, record = demo_subject(tmp_path, person)
    part = tmp_path / "parts" / "dicom" / record.pseudonym
    scrub_part(map(str, files), part, record, CFG, KEY, study)
    manifest = json.loads((part / "manifest.json").read_text())
    # the chest CT (series 1) is released; the whole-head MR series (series 3) is a head volume: withheld
    assert manifest["produced"] == ["sourcedata/dicom/sub-p7x9k2/series-001/0001.dcm"]
    assert len(manifest["withheld"]) == len(files) - 1
    assert all("MR head volume" in w["reason"] for w in manifest["withheld"])
    data = released_bytes(part)
    for value in (person.last_name, person.first_name, person.phone, person.email, person.hospital, person.label):
        assert value.encode() not in data, value
    values = {v["value"] for v in json.loads((part / "identifiers.json").read_text())["values"]}
    assert {person.dicom_name, person.email, person.phone, person.hospital} <= values
    ct = pydicom.dcmread(part / "files" / manifest["produced"][0])
    original = pydicom.dcmread(files[-1])
    assert str(ct.PatientName) == "p7x9k2" and ct.InstanceNumber == 1
    assert ct.StudyDate == (person.visit_date + __import__("datetime").timedelta(days=21)).strftime("%Y%m%d")
    assert ct.StudyInstanceUID != original.StudyInstanceUID and "RequestAttributesSequence" not in ct


def test_the_uid_map_is_kept_in_the_secrets_store(tmp_path: Path, person):
    study, files, record = demo_subject(tmp_path, person)
    store = SecretStore(tmp_path / "secrets")
    scrub_part(map(str, files), tmp_path / "part", record, CFG, KEY, study, secrets=store)
    path = store.file("dicom-uids-p7x9k2.json")
    assert path.stat().st_mode & 0o077 == 0
    uids = json.loads(path.read_text())["uids"]
    released = pydicom.dcmread(next((tmp_path / "part" / "files").rglob("0001.dcm")))
    assert uids[released.StudyInstanceUID] == pydicom.dcmread(files[-1]).StudyInstanceUID


def test_rerun_writes_the_same_bytes(tmp_path: Path, person):
    study, files, record = demo_subject(tmp_path, person)
    first, second = tmp_path / "a", tmp_path / "b"
    scrub_part(map(str, files), first, record, CFG, KEY, study)
    scrub_part(map(str, files), second, record, CFG, KEY, study)
    assert released_bytes(first) == released_bytes(second)


def test_bad_inputs_are_withheld_by_name_and_the_rest_continues(tmp_path: Path, person):
    study, files, record = demo_subject(tmp_path, person)
    folder = files[-1].parent  # the chest CT's folder: its good file still goes through
    (folder / "notes.txt").write_text(f"{person.full_name} scan notes")
    truncated = folder / "IM9998"
    truncated.write_bytes(files[-1].read_bytes()[:-3000])
    nopix = pydicom.dcmread(files[-1])
    del nopix.PixelData
    nopix.SOPInstanceUID = "1.2.3.99"
    nopix.save_as(folder / "IM9997", enforce_file_format=True)
    shutil.copy(get_testdata_file("DICOMDIR"), folder / "DICOMDIR")
    other = pydicom.dcmread(files[-1])
    other.PatientID, other.PatientName, other.SOPInstanceUID = "OTHER123", "Other^Patient", "1.2.3.98"
    other.save_as(folder / "IM9996", enforce_file_format=True)
    inputs = sorted(str(p) for p in study.rglob("*") if p.is_file())
    part = tmp_path / "part"
    scrub_part(inputs, part, record, CFG, KEY, study)
    manifest = json.loads((part / "manifest.json").read_text())
    reasons = {w["source"].rsplit("/", 1)[1]: w["reason"] for w in manifest["withheld"]}
    assert reasons["….txt"].startswith("not a DICOM file")  # a typed file name is not reported (it can hold a name)
    assert "truncated" in reasons["IM9998"]
    assert reasons["IM9997"] == "no pixel data"
    assert reasons["DICOMDIR"].startswith("DICOMDIR")
    assert reasons["IM9996"].startswith("mixed patients")
    assert all(w["source"].startswith("sourcedata/dicom/sub-p7x9k2/") for w in manifest["withheld"])
    assert person.label not in json.dumps(manifest)
    assert len(manifest["produced"]) == 1  # the good file still goes through
    values = {v["value"] for v in json.loads((part / "identifiers.json").read_text())["values"]}
    assert "Other^Patient" in values


def test_burned_in_images_are_withheld_unless_a_recipe_covers_them(tmp_path: Path, person):  # burned_in: recipe
    study, files, record = demo_subject(tmp_path, person)
    sc = pydicom.dcmread(files[-1])
    sc.BurnedInAnnotation = "YES"
    sc.save_as(files[-1], enforce_file_format=True)
    part = tmp_path / "withheld"
    scrub_part(map(str, files), part, record, {**CFG, "burned_in": "recipe"}, KEY, study)
    manifest = json.loads((part / "manifest.json").read_text())
    # (inputs are labelled by release path: the series folder `CT_1` shows only as `…`)
    assert [w["reason"] for w in manifest["withheld"] if "burned-in" in w["reason"]] == [
        "possible burned-in text (BurnedInAnnotation is YES) and no pixel recipe covers it"
    ]
    recipe = tmp_path / "deid.dicom"
    recipe.write_text(
        "FORMAT dicom\n\n%filter graylist\n\nLABEL Burned-in CT banner\n"
        "  contains BurnedInAnnotation YES\n  coordinates 0,0,128,20\n"
    )
    part = tmp_path / "cleaned"
    scrub_part(map(str, files), part, record, {**CFG, "burned_in": "recipe", "pixel_recipe": str(recipe)}, KEY, study)
    manifest = json.loads((part / "manifest.json").read_text())
    assert not [w for w in manifest["withheld"] if "burned-in" in w["reason"]] and len(manifest["produced"]) == 1
    ct = pydicom.dcmread(part / "files" / manifest["produced"][0])
    assert ct.BurnedInAnnotation == "NO"
    assert not ct.pixel_array[:20, :].any() and ct.pixel_array[20:, :].any()


def test_anatomical_series_are_not_released_as_dicom(tmp_path: Path, person):
    """The whole-head T1w series is a head volume by its content: withheld from the scrubbed DICOM even when
    `withhold_pixels_of: []` (its header values still join the leak list); the chest CT is released."""
    study, files, record = demo_subject(tmp_path, person)
    for cfg in ({**CFG}, {**CFG, "withhold_pixels_of": [], "bids_mapping": []}):
        part = tmp_path / "parts" / str(len(cfg)) / record.pseudonym
        scrub_part(map(str, files), part, record, cfg, KEY, study)
        manifest = json.loads((part / "manifest.json").read_text())
        assert manifest["produced"] == ["sourcedata/dicom/sub-p7x9k2/series-001/0001.dcm"]
        assert len(manifest["withheld"]) == len(files) - 1
        assert all("MR head volume" in w["reason"] for w in manifest["withheld"])
        values = {v["value"] for v in json.loads((part / "identifiers.json").read_text())["values"]}
        assert person.dicom_name in values


def test_a_mapped_anatomical_slab_is_withheld_by_its_mapping(tmp_path: Path, person):
    """A 4-slice T1w slab cannot hold a face, but `withhold_pixels_of` still keeps a T1w-mapped series out."""
    study, files, record = demo_subject(tmp_path, person)
    slab = [f for f in files if "MPRAGE" in f.parent.name][30:34]
    for path in slab:
        ds = pydicom.dcmread(path)
        ds.StudyDescription = "MR knee"
        ds.BodyPartExamined = "KNEE"
        ds.SeriesDescription = ds.ProtocolName = "T1 knee"
        ds.save_as(path, enforce_file_format=True)
    mapping = [{"match": "(?i)t1", "datatype": "anat", "suffix": "T1w"}]
    part = tmp_path / "part"
    scrub_part(map(str, slab), part, record, {**CFG, "bids_mapping": mapping}, KEY, study)
    manifest = json.loads((part / "manifest.json").read_text())
    assert manifest["produced"] == [] and len(manifest["withheld"]) == 4
    assert all("T1w series: its pixels can show the face" in w["reason"] for w in manifest["withheld"])
    again = tmp_path / "again"
    scrub_part(map(str, slab), again, record, {**CFG, "bids_mapping": mapping, "withhold_pixels_of": []}, KEY, study)
    assert len(json.loads((again / "manifest.json").read_text())["produced"]) == 4  # a knee slab: no face
