"""Demo DICOM for one person: a whole-head T1w MR series (axial slices of a deformed template head, so that
DICOM -> NIfTI -> deface -> release runs end to end) and a chest CT image, PHI everywhere."""

from __future__ import annotations

import random
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

import numpy as np

from .nifti import deformed_head
from .people import Person


def _uid(rng: random.Random) -> str:
    return f"2.25.{rng.getrandbits(120)}"


def _plant_phi(ds: Dataset, person: Person, study_uid: str, rng: random.Random) -> None:
    visit = person.visit_date.strftime("%Y%m%d")
    ds.PatientName = person.dicom_name
    ds.PatientID = f"MRN{person.national_id.replace('-', '')}"
    ds.PatientBirthDate = person.date_of_birth.strftime("%Y%m%d")
    ds.PatientSex = person.sex
    ds.PatientAge = f"{person.age:03d}Y"
    ds.PatientAddress = f"{person.street_address}, {person.city} {person.postcode}"
    ds.PatientTelephoneNumbers = person.phone
    ds.OtherPatientNames = person.nickname
    ds.AdditionalPatientHistory = f"Referred by {person.physician}; lives in {person.city}"
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = visit
    ds.StudyTime, ds.SeriesTime, ds.AcquisitionTime, ds.ContentTime = "093000", "093500", "093512", "093512"
    ds.StudyInstanceUID = study_uid
    ds.AccessionNumber = f"ACC{rng.randint(100000, 999999)}"
    ds.StudyID = f"ST{rng.randint(1000, 9999)}"
    ds.StudyDescription = f"MR brain for {person.full_name}"
    ds.ImageComments = f"{person.first_name} moved during scan; call {person.phone}"
    ds.InstitutionName = person.hospital
    ds.InstitutionAddress = f"1 Hospital Way, {person.city}"
    ds.ReferringPhysicianName = person.physician.replace(" ", "^")
    ds.PerformingPhysicianName = person.physician.replace(" ", "^")
    ds.OperatorsName = "Techwell^Jordan"
    ds.DeviceSerialNumber = f"SN{rng.randint(10000000, 99999999)}"
    ds.StationName = f"MRSTATION{rng.randint(10, 99)}"
    request = Dataset()
    request.RequestedProcedureID = f"RP{rng.randint(100000, 999999)}"
    request.RequestedProcedureDescription = f"Memory clinic scan of {person.full_name}"
    request.ScheduledProcedureStepID = f"SPS{rng.randint(100000, 999999)}"
    ds.RequestAttributesSequence = Sequence([request])
    ref = Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    ref.ReferencedSOPInstanceUID = study_uid
    ds.ReferencedStudySequence = Sequence([ref])
    block = ds.private_block(0x0011, "DEIDFLOW DEMO", create=True)
    block.add_new(0x01, "LO", person.full_name)
    block.add_new(0x02, "LO", person.email)


def _head_slices(rng: random.Random, small: bool) -> tuple[np.ndarray, float, np.ndarray]:
    """Axial slices (z, row = posterior, column = left) of a deformed template head, its voxel size and the LPS
    position of the first voxel of each slice."""
    head = deformed_head(voxel_mm=3.5 if small else 2.5, rotation_deg=tuple(rng.uniform(-6, 6) for _ in range(3)),
                         translation_mm=tuple(rng.uniform(-8, 8) for _ in range(3)), scale=rng.uniform(0.95, 1.05),
                         noise=0.01, seed=rng.getrandbits(32), fov_mm=(180, 220, 220))
    ras = np.asarray(head.image.dataobj).astype(np.uint16)  # RAS axes (the affine is diagonal, positive)
    affine = head.image.affine
    voxel = float(affine[0, 0])
    slices = ras[::-1, ::-1, :].transpose(2, 1, 0)  # (z, y: anterior->posterior, x: right->left)
    corner = affine[:3, :3] @ np.array([ras.shape[0] - 1, ras.shape[1] - 1, 0]) + affine[:3, 3]
    positions = np.array([[-corner[0], -corner[1], corner[2] + k * voxel] for k in range(ras.shape[2])])
    return np.ascontiguousarray(slices), voxel, positions


def write(study_dir: Path, person: Person, rng: random.Random, *, small: bool = False) -> list[Path]:
    """Write a whole-head T1w MR series (3.5 mm voxels small, 2.5 mm otherwise) and one chest CT image under
    sourcedata/dicom/sub-<label>/."""
    root = Path(study_dir) / "sourcedata" / "dicom" / f"sub-{person.label}"
    study_uid = _uid(rng)
    written: list[Path] = []
    mr = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    series_uid, frame_uid = _uid(rng), _uid(rng)
    slices, voxel, positions = _head_slices(rng, small)
    folder = root / f"{rng.randint(100, 999)}_T1_MPRAGE"
    folder.mkdir(parents=True, exist_ok=True)
    for index, (pixels, position) in enumerate(zip(slices, positions)):
        ds = mr.copy()
        _plant_phi(ds, person, study_uid, rng)
        ds.SeriesInstanceUID, ds.FrameOfReferenceUID = series_uid, frame_uid
        ds.SOPInstanceUID = _uid(rng)
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesDescription = ds.ProtocolName = "T1_MPRAGE_ax"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
        ds.SeriesNumber, ds.InstanceNumber = 3, index + 1
        ds.Rows, ds.Columns = pixels.shape
        ds.PixelSpacing = [voxel, voxel]
        ds.SliceThickness = voxel
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [round(float(v), 4) for v in position]
        ds.SliceLocation = round(float(position[2]), 4)
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.PixelData = pixels.tobytes()
        path = folder / f"IM{index + 1:04d}"
        ds.save_as(path, enforce_file_format=True)
        written.append(path)
    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    _plant_phi(ct, person, _uid(rng), rng)
    ct.SeriesInstanceUID, ct.FrameOfReferenceUID, ct.SOPInstanceUID = _uid(rng), _uid(rng), _uid(rng)
    ct.file_meta.MediaStorageSOPInstanceUID = ct.SOPInstanceUID
    ct.StudyDescription = f"CT chest for {person.full_name}"
    ct.SeriesDescription = ct.ProtocolName = "CT chest low dose"
    ct.BodyPartExamined = "CHEST"
    ct.RequestAttributesSequence[0].RequestedProcedureDescription = f"Chest CT of {person.full_name}"
    ct.SeriesNumber, ct.InstanceNumber = 1, 1
    folder = root / "CT_1"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "IMG00001"
    ct.save_as(path, enforce_file_format=True)
    written.append(path)
    return written
