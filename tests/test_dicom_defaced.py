"""Defaced pixels written back into DICOM land exactly on the voxels the mask names (checked through dcm2niix)."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom

from deidflow.demo.dicom import write as write_demo
from deidflow.demo.people import make_people
from deidflow.dicom.convert import dcm2niix_binary
from deidflow.dicom.defaced import mark_defaced, volume_of, write_back


def _convert(folder: Path, out: Path) -> nib.Nifti1Image:
    out.mkdir()
    subprocess.run([dcm2niix_binary(), "-z", "y", "-f", "x", "-o", str(out), str(folder)], check=True,
                   capture_output=True)
    return nib.load(out / "x.nii.gz")


def test_write_back_blanks_exactly_the_masked_voxels_and_marks_the_series(tmp_path):
    files = [f for f in write_demo(tmp_path / "study", make_people(1, seed=7)[0], random.Random(1), small=True)
             if "MPRAGE" in f.parent.name]
    image = _convert(files[0].parent, tmp_path / "a")
    data = np.asanyarray(image.dataobj)
    mask = np.zeros(data.shape, dtype=bool)
    mask[:, data.shape[1] * 2 // 3:, : data.shape[2] // 2] = True  # a block at the lower front
    datasets = [pydicom.dcmread(f) for f in files]
    original_uids = {ds.SOPInstanceUID for ds in datasets}
    assert write_back(datasets, mask, image.affine, dilate=0) == int(mask.sum())
    mark_defaced(datasets, lambda uid: pydicom.uid.generate_uid(entropy_srcs=[uid]))
    out = tmp_path / "defaced"
    out.mkdir()
    for index, ds in enumerate(datasets):
        ds.save_as(out / f"{index:04d}.dcm", enforce_file_format=True)
    again = np.asanyarray(_convert(out, tmp_path / "b").dataobj)
    assert np.array_equal(again, np.where(mask, data.min(), data))
    written = [pydicom.dcmread(p) for p in sorted(out.iterdir())]
    assert not original_uids & {ds.SOPInstanceUID for ds in written}
    assert len({ds.SeriesInstanceUID for ds in written}) == 1
    assert all("113102" in {c.CodeValue for c in ds.DeidentificationMethodCodeSequence} for ds in written)
    volume, affine = volume_of(written)  # the stack as a volume in world space, for the render check
    corner = affine @ np.array([0, 0, 0, 1.0])
    i, j, k = np.rint(np.linalg.inv(image.affine) @ corner)[:3].astype(int)
    assert volume[0, 0, 0] == again[i, j, k]
