"""Rule mri_deface run by Snakemake on a small nifti_pre part: the nifti part, its log and its provenance record."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import pytest
import yaml
from snakemake.utils import validate

from deidflow.demo import nifti
from deidflow.demo.people import make_people
from deidflow.parts import PartWriter, read_manifest

pytestmark = [pytest.mark.slow, pytest.mark.workflow]


def test_rule_defaces_demo_t1w_and_records_provenance(tmp_path, request):
    root = request.config.rootpath
    person = make_people(1, 5)[0]
    study = tmp_path / "study"
    image, sidecar = nifti.write(study, person, random.Random(5), small=True)
    assert person.full_name in nib.load(image).header["descrip"].tobytes().decode()
    assert person.hospital in sidecar.read_text()
    with PartWriter(tmp_path / "work/parts/nifti_pre/p9", "nifti_pre", "p9") as pre:
        # stands in for dicom_convert, which names files with pseudonyms and scrubs the sidecar
        pre.path("sub-p9/anat/sub-p9_T1w.nii.gz").write_bytes(image.read_bytes())
        pre.path("sub-p9/anat/sub-p9_T1w.json").write_text(json.dumps({"RepetitionTime": 2.3}))
    mri: dict = {}
    validate(mri, str(root / "workflow/schemas/mri.schema.yaml"))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"mri": mri, "work_dir": "work", "secrets_dir": ""}))
    (tmp_path / "Snakefile").write_text(  # what common.smk gives the rule file: paths and one batch of one subject
        f'import sys\nsys.path.insert(0, "{root}/scripts")\nfrom deidflow.batch import batch_inputs, batch_plan\n\n'
        'configfile: "config.yaml"\nWORK = "work"\nLOGS = "logs"\nBENCH = "logs/benchmarks"\nSUBJECTS_JSON = ""\n'
        'def part_batches(step, part):\n    return {"0000": ["p9"]}\n'
        'def batch_outputs(plan):\n    return [directory(item["output"]) for item in plan.values()]\n'
        'def batch_logs(plan):\n    return [item["log"] for item in plan.values()]\n\n\n'
        f'include: "{root}/workflow/rules/mri.smk"\n')
    proc = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "work/parts/nifti/p9", "--cores", "2"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    part = tmp_path / "work/parts/nifti/p9"
    assert read_manifest(part)["produced"] == ["sub-p9/anat/sub-p9_T1w.json", "sub-p9/anat/sub-p9_T1w.nii.gz"]
    released = nib.load(part / "files/sub-p9/anat/sub-p9_T1w.nii.gz")
    assert person.last_name.encode() not in released.header.binaryblock
    assert json.loads((part / "risk.json").read_text())["metrics"]["images_defaced"] == 1
    record = json.loads((tmp_path / "work/provenance/mri_deface/subject-p9.json").read_text())
    assert record["params"]["mri"]["registration"]["transform"] == "Affine"
    assert "defaced sub-p9/anat/sub-p9_T1w.nii.gz" in (tmp_path / "logs/mri_deface/p9.log").read_text()
