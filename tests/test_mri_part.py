"""The `nifti` part: anatomical images defaced with QC in the risk section, others passed through, bad ones withheld."""

from __future__ import annotations

import base64
import json
import random
import sys

import nibabel as nib
import numpy as np
import pydicom
import pytest
import yaml
from snakemake.utils import validate

from deidflow.demo.dicom import write as write_demo
from deidflow.demo.nifti import deformed_head
from deidflow.demo.people import make_people
from deidflow.dicom.convert import convert_part
from deidflow.dicom.steps import settings_for
from deidflow.mri.part import bids_suffix, deface_part
from deidflow.parts import PartWriter, part_files, read_manifest
from deidflow.subjects import SubjectRecord

SCHEMA = "workflow/schemas/mri.schema.yaml"


def mri_config(root) -> dict:
    config: dict = {}
    validate(config, str(root / SCHEMA))  # fills the defaults
    return config


@pytest.fixture(scope="module")
def parts(tmp_path_factory, request):
    root = request.config.rootpath
    tmp = tmp_path_factory.mktemp("parts")
    head = deformed_head(voxel_mm=4.0, rotation_deg=(6, -4, 3), noise=0.02)
    with PartWriter(tmp / "nifti_pre" / "p1", "nifti_pre", "p1") as pre:
        nib.save(head.image, pre.path("sub-p1/ses-b2/anat/sub-p1_ses-b2_T1w.nii.gz"))
        pre.path("sub-p1/ses-b2/anat/sub-p1_ses-b2_T1w.json").write_text(json.dumps({"RepetitionTime": 2.3}))
        pre.path("sub-p1/ses-b2/anat/sub-p1_ses-b2_T2w.nii.gz").write_bytes(b"truncated")
        pre.path("sub-p1/ses-b2/anat/sub-p1_ses-b2_T2w.json").write_text("{}")
        bold = nib.Nifti1Image(np.arange(8 * 8 * 8 * 3, dtype=np.int16).reshape(8, 8, 8, 3), np.eye(4))
        nib.save(bold, pre.path("sub-p1/ses-b2/func/sub-p1_ses-b2_task-rest_bold.nii.gz"))
        # an anatomical head under a suffix not listed in mri.suffixes: defaced all the same (content decides)
        nib.save(deformed_head(voxel_mm=4.0, rotation_deg=(-3, 2, 0)).image,
                 pre.path("sub-p1/ses-b2/anat/sub-p1_ses-b2_angio.nii.gz"))
        # a planted un-defaced head released as a (3-D) bold image, which is not defaced: the render check catches it
        nib.save(deformed_head(voxel_mm=4.0, rotation_deg=(2, -3, 0)).image,
                 pre.path("sub-p1/ses-b2/func/sub-p1_ses-b2_task-face_bold.nii.gz"))
        pre.withhold("sourcedata/dicom/sub-p1/ses-b2/scout/IM1", "localizer series not converted")
        pre.add_identifiers([("Jane Roe", "dicom:PatientName")])
    config = mri_config(root)
    section = deface_part(tmp / "nifti_pre" / "p1", tmp / "nifti" / "p1", "p1", config, threads=2)
    deface_part(tmp / "nifti_pre" / "p1", tmp / "rerun" / "p1", "p1", config, threads=2)
    return tmp, head, section, config


def test_t1w_defaced_and_other_files_passed_through(parts):
    tmp, head, _, _ = parts
    files = dict(part_files(tmp / "nifti" / "p1"))
    t1w = nib.load(files["sub-p1/ses-b2/anat/sub-p1_ses-b2_T1w.nii.gz"])
    data = np.asanyarray(t1w.dataobj)
    original = np.asanyarray(head.image.dataobj)
    assert (data[head.face & (original > 0)] == 0).mean() >= 0.95
    assert (data[head.brain & (original > 0)] == 0).mean() <= 0.01
    bold = "sub-p1/ses-b2/func/sub-p1_ses-b2_task-rest_bold.nii.gz"
    assert files[bold].read_bytes() == (tmp / "nifti_pre" / "p1" / "files" / bold).read_bytes()
    assert json.loads(files["sub-p1/ses-b2/anat/sub-p1_ses-b2_T1w.json"].read_text()) == {"RepetitionTime": 2.3}


def test_rerun_gives_byte_identical_part(parts):
    tmp = parts[0]
    first, second = dict(part_files(tmp / "nifti" / "p1")), dict(part_files(tmp / "rerun" / "p1"))
    assert first.keys() == second.keys()
    assert all(first[rel].read_bytes() == second[rel].read_bytes() for rel in first)
    first_risk = json.loads((tmp / "nifti/p1/risk.json").read_text())
    second_risk = json.loads((tmp / "rerun/p1/risk.json").read_text())
    assert first_risk["figures"] == second_risk["figures"]


def test_bad_image_and_its_sidecar_withheld_and_earlier_withholdings_carried(parts):
    tmp = parts[0]
    manifest = read_manifest(tmp / "nifti" / "p1")
    reasons = {w["source"]: w["reason"] for w in manifest["withheld"]}
    t2w = reasons["sub-p1/ses-b2/anat/sub-p1_ses-b2_T2w.nii.gz"]
    assert "sub-p1_ses-b2_T2w.nii.gz: not a readable NIfTI image" in t2w
    assert "sub-p1/ses-b2/anat/sub-p1_ses-b2_T2w.json" in reasons
    assert reasons["sourcedata/dicom/sub-p1/ses-b2/scout/IM1"] == "localizer series not converted"
    assert not any("T2w" in p for p in manifest["produced"])
    identifiers = json.loads((tmp / "nifti" / "p1" / "identifiers.json").read_text())["values"]
    assert {"value": "Jane Roe", "kind": "dicom:PatientName"} in identifiers
    assert any("antspyx" in n and "pydeface" in n for n in manifest["notes"])


def test_risk_section_has_png_montage_and_measures(parts):
    tmp, _, section, _ = parts
    risk = json.loads((tmp / "nifti" / "p1" / "risk.json").read_text())
    assert risk == json.loads(json.dumps(section))
    assert risk["metrics"]["images_defaced"] == 2 and risk["metrics"]["images_withheld"] == 1
    assert risk["metrics"]["max_brain_loss"] <= 0.01
    failed = [c for c in risk["checks"] if not c["passed"]]
    planted = "sub-p1/ses-b2/func/sub-p1_ses-b2_task-face_bold.nii.gz"
    assert [c["name"] for c in failed] == [f"no face on renders of {planted}"]
    assert "MTCNN found a face" in failed[0]["detail"]
    assert risk["metrics"]["render_checked"] == 3 and risk["metrics"]["render_faces_found"] == 1
    rows = [r for r in risk["tables"][0]["rows"] if r["status"] == "defaced"]
    assert {r["file"].rsplit("_", 1)[1] for r in rows} == {"T1w.nii.gz", "angio.nii.gz"}
    assert all(r["faces_before"] > 0 and r["faces_after"] == 0 for r in rows)  # the face seen before, none after
    assert all(f.get("private") for f in risk["figures"])  # renders and montages may show the original face
    montage = next(f for f in risk["figures"] if "face region in red" in f["title"])
    png = base64.b64decode(montage["png_base64"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(png[20:24], "big") == 256  # height in the IHDR chunk
    assert len(png) < 200_000


def test_config_defaults_and_documentation(request):
    root = request.config.rootpath
    config = mri_config(root)
    assert config["suffixes"] == ["T1w", "T2w", "FLAIR", "PD", "UNIT1", "MP2RAGE"]
    readme = (root / "config/README.md").read_text()
    section = readme.split("## `mri`", 1)[1].split("\n## ", 1)[0]
    keys = ["suffixes", "max_brain_loss", "min_nmi", "scale_range", "min_brain_fraction", "python", "qc",
            *[f"registration.{k}" for k in config["registration"]], "qc.enabled", "qc.height_px",
            *[f"render_check.{k}" for k in config["render_check"]]]
    assert all(f"`{k}`" in section for k in keys), [k for k in keys if f"`{k}`" not in section]
    shipped = yaml.safe_load((root / "config/config.yaml").read_text())["mri"]
    validate(shipped, str(root / SCHEMA))


def test_bids_suffix():
    assert bids_suffix("sub-a/ses-b/anat/sub-a_ses-b_acq-mp2rage_T1w.nii.gz") == "T1w"
    assert bids_suffix("sub-a/anat/sub-a_FLAIR.nii") == "FLAIR"
    assert bids_suffix("sub-a/anat/sub-a_T2w.json") == "T2w"


def test_missing_antspyx_stops_with_how_to_fix(tmp_path):
    from importlib.util import find_spec

    from deidflow.mri.deface import register_scans

    if find_spec("ants") is not None:
        pytest.skip("this interpreter has antspyx")
    with pytest.raises(RuntimeError, match="antspyx is not installed.*envs/mri.txt"):
        register_scans([tmp_path / "x.nii"], tmp_path, {}, python=sys.executable)


KEY = bytes(range(32))
MAPPING = [{"match": "(?i)mprage", "datatype": "anat", "suffix": "T1w"}]


def test_defaced_series_is_released_as_dicom(tmp_path, request):
    """dicom.release_defaced_dicom: the demo's whole-head DICOM series converted, defaced and released again as
    DICOM with the defaced pixels written back, new UIDs, option 113102, no PHI, and no face on its renders."""
    person = make_people(1, seed=4)[0]
    study = tmp_path / "study"
    files = write_demo(study, person, random.Random(4), small=True)
    record = SubjectRecord(person.label, "d3f4c3", 10, {})
    convert_part(list(map(str, files)), [], tmp_path / "nifti_pre", record, {"bids_mapping": MAPPING}, study)
    mri: dict = {}
    validate(mri, str(request.config.rootpath / "workflow/schemas/mri.schema.yaml"))
    settings = settings_for(record, {"options": {"retain_longitudinal_modified_dates": True}}, KEY)
    section = deface_part(tmp_path / "nifti_pre", tmp_path / "nifti", "d3f4c3", mri, dicom_settings=settings)
    produced = read_manifest(tmp_path / "nifti")["produced"]
    series = sorted(p for p in produced if p.endswith(".dcm"))
    assert series and all(p.startswith("sourcedata/dicom/sub-d3f4c3/sub-d3f4c3_T1w/") for p in series)
    originals = [f for f in files if "MPRAGE" in f.parent.name]
    assert len(series) == len(originals)
    released = [pydicom.dcmread(tmp_path / "nifti" / "files" / p) for p in series]
    first = pydicom.dcmread(originals[0])
    blob = b"".join((tmp_path / "nifti" / "files" / p).read_bytes() for p in series)
    for value in (person.last_name, person.first_name, person.phone, person.hospital, first.SOPInstanceUID,
                  first.SeriesInstanceUID, first.StudyInstanceUID):
        assert value.encode() not in blob, value
    assert all("113102" in {c.CodeValue for c in ds.DeidentificationMethodCodeSequence} for ds in released)
    assert len({ds.SOPInstanceUID for ds in released}) == len(released)
    assert released[0].ImageType[0] == "DERIVED" and str(released[0].PatientName) == "d3f4c3"
    # the written-back pixels are the defaced NIfTI's: some face pixels blanked in the lower front slices
    nifti = nib.load(tmp_path / "nifti" / "files" / "sub-d3f4c3/anat/sub-d3f4c3_T1w.nii.gz")
    assert int((np.asanyarray(nifti.dataobj) == 0).sum()) > 0
    changed = sum(int((ds.pixel_array != pydicom.dcmread(o).pixel_array).sum()) for ds, o in zip(released, originals))
    assert changed > 1000
    dicom_checks = [c for c in section["checks"] if c["name"].endswith("(as DICOM)")]
    assert len(dicom_checks) == 1 and dicom_checks[0]["passed"], dicom_checks
    assert json.loads((tmp_path / "nifti" / "risk.json").read_text())["metrics"]["render_faces_found"] == 0
