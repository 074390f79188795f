"""Defacing on heads that are not the template: deformed, resampled, noisy, cropped, T2-like; and non-heads."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from deidflow.demo.nifti import deformed_head
from deidflow.mri.deface import deface_images
from deidflow.mri.safety import Bounds

# coarse voxels keep the registrations quick; every case differs from the template in pose, size, contrast or FOV
CASES = {
    "rotated_translated": dict(rotation_deg=(12, -6, 8), translation_mm=(8, -12, 10)),
    "smaller_noisy": dict(scale=0.92, rotation_deg=(-8, 4, 0), noise=0.04, seed=3),
    "larger_neck_fov_anisotropic": dict(scale=1.08, fov_mm=(200, 250, 290), fov_shift_mm=(0, 10, -30), voxel_mm=3.0),
    "top_cut_fov": dict(fov_mm=(192, 256, 190), fov_shift_mm=(0, 0, -30), rotation_deg=(5, 0, -5)),
    "t2_like": dict(invert=True, rotation_deg=(-10, 0, 5), translation_mm=(0, 5, -5), noise=0.02),
}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("heads")
    heads, paths = {}, []
    for name, kwargs in CASES.items():
        head = deformed_head(**{"voxel_mm": 3.5, **kwargs})
        heads[name] = head
        paths.append(tmp / f"{name}.nii.gz")
        nib.save(head.image, paths[-1])
    rng = np.random.default_rng(0)
    noise = nib.Nifti1Image((rng.random((50, 60, 60)) * 1000).astype(np.int16), np.diag([3.5, 3.5, 3.5, 1]))
    phantom = np.zeros((50, 60, 60), np.int16)
    phantom[10:40, 10:50, 10:50] = 800  # a box phantom
    paths += [tmp / "noise.nii.gz", tmp / "phantom.nii.gz", tmp / "broken.nii.gz"]
    nib.save(noise, paths[-3])
    nib.save(nib.Nifti1Image(phantom, np.diag([3.5, 3.5, 3.5, 1])), paths[-2])
    paths[-1].write_bytes(b"\x1f\x8b not really a nifti")
    results = deface_images(paths, Bounds(), {}, threads=2)
    return heads, dict(zip([*CASES, "noise", "phantom", "broken"], results))


@pytest.mark.parametrize("case", list(CASES))
def test_face_removed_brain_kept(outcomes, case):
    heads, results = outcomes
    head, result = heads[case], results[case]
    assert result.reasons == [], result.reasons
    defaced = np.asanyarray(result.image.dataobj)
    original = np.asanyarray(head.image.dataobj)
    face_signal = head.face & (original > 0)
    brain_signal = head.brain & (original > 0)
    removed_face = (defaced[face_signal] == 0).mean()
    removed_brain = (defaced[brain_signal] == 0).mean()
    assert removed_face >= 0.95, f"{case}: only {removed_face:.1%} of face voxels removed"
    assert removed_brain <= 0.01, f"{case}: {removed_brain:.2%} of brain voxels removed"
    assert result.metrics["brain_loss"] <= 0.01
    assert result.image.shape == head.image.shape and result.image.get_data_dtype() == np.int16
    np.testing.assert_allclose(result.image.affine, head.image.affine)


@pytest.mark.parametrize("case", ["noise", "phantom"])
def test_non_head_withheld_with_reason(outcomes, case):
    result = outcomes[1][case]
    assert result.image is None
    assert any(f"{case}.nii.gz" in r and ("NMI" in r or "scale" in r or "brain" in r) for r in result.reasons), \
        result.reasons


def test_unreadable_file_withheld_naming_it(outcomes):
    result = outcomes[1]["broken"]
    assert result.image is None
    assert result.reasons and result.reasons[0].startswith("broken.nii.gz: not a readable NIfTI image")
