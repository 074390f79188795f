"""The dicom rules under Snakemake: per-subject parts from a generated study, nothing written into the input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pydicom

from conftest import ROOT, run_snakemake, tree_digest, write_config


def test_dicom_rules_make_scrubbed_and_converted_parts(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.demo.study import make_study

    study = tmp_path / "bids"
    people = make_study(study, 1, seed=3, small=True, modalities=("dicom",))
    before = tree_digest(study)
    config = write_config(tmp_path, study)
    run_snakemake(tmp_path, config, str(tmp_path / "secrets" / "subjects.json"))
    [record] = json.loads((tmp_path / "secrets" / "subjects.json").read_text())["subjects"]
    pseudo = record["pseudonym"]
    dicom_part = tmp_path / "work" / "parts" / "dicom" / pseudo
    nifti_part = tmp_path / "work" / "parts" / "nifti_pre" / pseudo
    defaced_part = tmp_path / "work" / "parts" / "nifti" / pseudo
    run_snakemake(tmp_path, config, str(dicom_part), str(defaced_part))
    manifest = json.loads((dicom_part / "manifest.json").read_text())
    produced = manifest["produced"]  # the chest CT; the whole-head T1w series (a head volume) only as defaced NIfTI
    assert produced == [f"sourcedata/dicom/sub-{pseudo}/series-001/0001.dcm"]
    assert manifest["withheld"] and all("MR head volume" in w["reason"] for w in manifest["withheld"])
    ds = pydicom.dcmread(dicom_part / "files" / produced[-1])
    assert str(ds.PatientName) == pseudo and ds.PatientIdentityRemoved == "YES"
    person = people[0]
    # the demo config cleans descriptors: they stay, without the name the study's record gives
    assert ds.StudyDescription.startswith("CT chest for [PERSON_") and person.last_name not in ds.StudyDescription
    assert "113105" in {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    converted = json.loads((nifti_part / "manifest.json").read_text())["produced"]
    assert converted == [f"sub-{pseudo}/anat/sub-{pseudo}_T1w.json", f"sub-{pseudo}/anat/sub-{pseudo}_T1w.nii.gz"]
    sidecar = json.loads((nifti_part / "files" / converted[0]).read_text())
    assert sidecar["SeriesDescription"] == "T1_MPRAGE_ax"
    # DICOM -> NIfTI -> deface: the converted whole-head T1w is defaced, and no face is found on its renders
    defaced = json.loads((defaced_part / "manifest.json").read_text())
    assert f"sub-{pseudo}/anat/sub-{pseudo}_T1w.nii.gz" in defaced["produced"]
    risk = json.loads((defaced_part / "risk.json").read_text())
    assert risk["metrics"]["images_defaced"] == 1 and all(c["passed"] for c in risk["checks"])
    assert risk["metrics"]["render_checked"] == 1 and risk["tables"][0]["rows"][0]["faces_before"] > 0
    logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert person.label not in logs and person.last_name not in logs
    assert tree_digest(study) == before
