"""dicom_convert: original series -> dcm2niix -> BIDS names with pseudonyms, sidecars and NIfTI headers scrubbed."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from deidflow.demo.dicom import write as write_demo
from deidflow.demo.people import make_people
from deidflow.dicom.convert import convert_part
from deidflow.subjects import SubjectRecord

MAPPING = [
    {"match": "(?i)mprage|t1", "datatype": "anat", "suffix": "T1w"},
    {"match": "(?i)flair", "datatype": "anat", "suffix": "FLAIR"},
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("convert")
    person = make_people(1, seed=11)[0]
    study = tmp / "study"
    dicom = write_demo(study, person, random.Random(2), small=True)
    anat = study / f"sub-{person.label}" / f"ses-{person.label}v1" / "anat"
    anat.mkdir(parents=True)
    image = nib.Nifti1Image(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.eye(4))
    image.header["descrip"] = f"{person.last_name} Time=093512".encode()
    image.header["aux_file"] = b"scan.txt"
    base = anat / f"sub-{person.label}_ses-{person.label}v1_FLAIR"
    nib.save(image, f"{base}.nii.gz")
    Path(f"{base}.json").write_text(json.dumps({
        "RepetitionTime": 2.0, "InstitutionName": person.hospital, "AcquisitionDateTime": "2024-05-17T09:35:12",
        "PatientName": person.dicom_name, "StudyDate": "20240517",
    }))
    nifti = [f"{base}.nii.gz", f"{base}.json"]
    record = SubjectRecord(person.label, "q4w8m3", 5, {f"{person.label}v1": "s9t2"})
    cfg = {"bids_mapping": MAPPING}
    out = tmp / "parts" / "nifti_pre" / "q4w8m3"
    convert_part(list(map(str, dicom)), nifti, out, record, cfg, study)
    again = tmp / "again"
    convert_part(list(map(str, dicom)), nifti, again, record, cfg, study)
    return out, again, person


def test_series_become_bids_files_named_with_pseudonyms(converted):
    out, _, _ = converted
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["produced"] == [
        "sub-q4w8m3/anat/sub-q4w8m3_T1w.json",
        "sub-q4w8m3/anat/sub-q4w8m3_T1w.nii.gz",
        "sub-q4w8m3/ses-s9t2/anat/sub-q4w8m3_ses-s9t2_FLAIR.json",
        "sub-q4w8m3/ses-s9t2/anat/sub-q4w8m3_ses-s9t2_FLAIR.nii.gz",
    ]
    t1 = nib.load(out / "files" / manifest["produced"][1])
    assert t1.shape == (51, 63, 63)  # the demo's whole-head series (3.5 mm voxels) stacked into one volume
    [withheld] = manifest["withheld"]
    assert withheld["reason"].startswith("series matches no dicom.bids_mapping rule")  # the chest CT


def test_sidecars_and_headers_carry_no_identifying_fields(converted):
    out, _, person = converted
    files = out / "files"
    sidecar = json.loads((files / "sub-q4w8m3/anat/sub-q4w8m3_T1w.json").read_text())
    for key in ("InstitutionName", "StationName", "DeviceSerialNumber", "SeriesDescription", "ProtocolName",
                "ImageComments", "AcquisitionTime", "AcquisitionDateTime", "PatientName"):
        assert key not in sidecar
    assert sidecar["RepetitionTime"] > 0 and sidecar["Modality"] == "MR"
    flair = json.loads((files / "sub-q4w8m3/ses-s9t2/anat/sub-q4w8m3_ses-s9t2_FLAIR.json").read_text())
    assert flair == {"RepetitionTime": 2.0}
    for image in files.rglob("*.nii.gz"):
        header = nib.load(image).header
        assert header["descrip"].tobytes().strip(b"\x00") == b"" and header["aux_file"].tobytes().strip(b"\x00") == b""
    blob = b"".join(gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
                    for p in files.rglob("*") if p.is_file())
    for value in (person.last_name, person.first_name, person.hospital, person.label, "Time="):
        assert value.encode() not in blob, value
    values = {v["value"] for v in json.loads((out / "identifiers.json").read_text())["values"]}
    assert person.hospital in values and person.dicom_name in values


def test_conversion_is_byte_identical_on_rerun(converted):
    out, again, _ = converted
    digest = lambda root: {p.relative_to(root): p.read_bytes() for p in (root / "files").rglob("*") if p.is_file()}
    assert digest(out) == digest(again)


def test_corrupt_input_nifti_and_sidecar_are_withheld_by_name(tmp_path: Path):
    study = tmp_path / "study"
    anat = study / "sub-AB12" / "anat"
    anat.mkdir(parents=True)
    (anat / "sub-AB12_T1w.nii.gz").write_bytes(b"\x1f\x8b not really gzip")
    (anat / "sub-AB12_T1w.json").write_text("{\"InstitutionName\": ")
    record = SubjectRecord("AB12", "zz9yy8", 0, {})
    out = tmp_path / "part"
    convert_part([], sorted(str(p) for p in anat.iterdir()), out, record, {"bids_mapping": MAPPING}, study)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["produced"] == []
    assert {w["source"]: w["reason"] for w in manifest["withheld"]} == {
        "sub-zz9yy8/anat/sub-zz9yy8_T1w.json": "sidecar is not valid JSON (JSONDecodeError)",
        "sub-zz9yy8/anat/sub-zz9yy8_T1w.nii.gz": "not a readable NIfTI image (ImageFileError)",
    }
    assert not list((out / "files").rglob("*.*"))
