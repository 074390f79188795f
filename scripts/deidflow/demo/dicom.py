"""Demo DICOM for one person: an MR series dcm2niix turns into one volume, plus a CT image, PHI everywhere."""

from __future__ import annotations

import random
from pathlib import Path

import pydicom
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

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


def write(study_dir: Path, person: Person, rng: random.Random, *, small: bool = False) -> list[Path]:
    """Write one MR series (4 slices small, 24 otherwise) and one CT image under sourcedata/dicom/sub-<label>/."""
    root = Path(study_dir) / "sourcedata" / "dicom" / f"sub-{person.label}"
    study_uid = _uid(rng)
    written: list[Path] = []
    mr = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    series_uid, frame_uid = _uid(rng), _uid(rng)
    n = 4 if small else 24
    x, y, z0 = (float(v) for v in mr.ImagePositionPatient)
    thickness = float(mr.SliceThickness)
    folder = root / f"{rng.randint(100, 999)}_T1_MPRAGE"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(n):
        ds = mr.copy()
        _plant_phi(ds, person, study_uid, rng)
        ds.SeriesInstanceUID, ds.FrameOfReferenceUID = series_uid, frame_uid
        ds.SOPInstanceUID = _uid(rng)
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesDescription = ds.ProtocolName = "T1_MPRAGE_sag"
        ds.SeriesNumber, ds.InstanceNumber = 3, index + 1
        z = z0 + index * thickness
        ds.ImagePositionPatient = [x, y, z]
        ds.SliceLocation = z
        path = folder / f"IM{index + 1:04d}"
        ds.save_as(path, enforce_file_format=True)
        written.append(path)
    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    _plant_phi(ct, person, study_uid, rng)
    ct.SeriesInstanceUID, ct.FrameOfReferenceUID, ct.SOPInstanceUID = _uid(rng), _uid(rng), _uid(rng)
    ct.file_meta.MediaStorageSOPInstanceUID = ct.SOPInstanceUID
    ct.SeriesDescription = ct.ProtocolName = "CT head localizer"
    ct.SeriesNumber, ct.InstanceNumber = 1, 1
    folder = root / "CT_1"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "IMG00001"
    ct.save_as(path, enforce_file_format=True)
    written.append(path)
    return written
