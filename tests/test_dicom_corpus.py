"""pydicom's own test files (real CT, MR in many transfer syntaxes, NM, US, multi-frame, SEG, RT dose/plan/struct, SR,
ECG, SC/OT, character sets, files without preamble, DICOMDIRs), one subject per PatientID, through the DICOM scrub:
every file is released or withheld for an accepted reason, no original identifier is left in any released byte (an
independent scan of every PN, LO, SH, DA/DT and private string value of the inputs), and nothing the part lists for
the leak scan is present in the release (no false alarm)."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_files

from deidflow.dicom.scrub import scrub_subject
from deidflow.dicom.steps import settings_for
from deidflow.subjects import SubjectRecord

KEY = bytes(range(32))
CFG = {"options": {"retain_longitudinal_modified_dates": True, "retain_patient_characteristics": True,
                   "clean_structured_content": True}}
ACCEPTED = ("not a DICOM file", "DICOMDIR", "no pixel data", "truncated", "no SOP Instance UID", "unreadable DICOM",
            "burned-in text", "possible burned-in text", "mixed patients")
# Attributes the profile keeps on purpose and that identify nobody: a value equal to one of them in the same input
# file is not searched for (the test's own list, independent of deidflow's).
KEPT = {"Manufacturer", "ManufacturerModelName", "SoftwareVersions", "BodyPartExamined", "Modality", "CodeMeaning",
        "CodeValue", "CodingSchemeDesignator", "PositionReferenceIndicator", "ImageType", "PatientPosition",
        "ConversionType", "SpecificCharacterSet", "ScanningSequence", "SequenceVariant", "ScanOptions",
        "MRAcquisitionType", "SequenceName", "TransferSyntaxUID", "PhotometricInterpretation", "ROIName",
        "BeamName", "BeamDescription", "TreatmentMachineName", "LossyImageCompressionMethod", "TransmitCoilName",
        "ReceiveCoilName", "WindowCenterWidthExplanation", "TransducerData", "ProcessingFunction",
        "FilterType", "ConvolutionKernel", "DimensionDescriptionLabel", "SegmentAlgorithmName", "PlateType"}
SKIP = {"ANONYMOUS", "REMOVED", "UNKNOWN", "NONE"}
FAMILIES = {"CT", "MR", "US", "SEG", "RTDOSE", "RTPLAN", "RTSTRUCT", "SR", "ECG", "OT", "NM"}


def corpus() -> dict[str, list[str]]:
    files = sorted(f for f in set(get_testdata_files()) if os.path.isfile(f) and not f.endswith(
        (".py", ".json", ".txt", ".gz", ".bz2", ".zip", ".xz", ".icc", ".dump")))
    by_patient: dict[str, list[str]] = defaultdict(list)
    for path in files:
        try:
            patient = str(pydicom.dcmread(path, force=True, stop_before_pixels=True).get("PatientID", ""))
        except Exception:
            patient = "?"
        by_patient[patient].append(path)
    return by_patient


def original_values(path: str) -> set[str]:
    """Every PN, LO, SH, DA, DT and private string value of an input file, at any depth (less kept vendor values)."""
    try:
        ds = pydicom.dcmread(path, force=True)
        elements = list(ds.iterall())
    except Exception:
        return set()
    values, kept = set(), set()
    for elem in elements:
        if elem.VR not in ("PN", "LO", "SH", "DA", "DT") and not (elem.tag.is_private and elem.VR in ("LO", "SH", "ST", "LT", "UT")):
            continue
        raw = elem.value if isinstance(elem.value, (list, pydicom.multival.MultiValue)) else [elem.value]
        for value in raw:
            text = (value.decode("latin-1") if isinstance(value, bytes) else str(value)).strip(" \x00")
            (kept if elem.keyword in KEPT else values).add(text)
            if elem.VR == "PN":
                values.update(p.strip() for p in text.split("^") if len(p.strip()) >= 4)
    return {v for v in values - kept if len(v) >= 4 and v.upper() not in SKIP and not v.replace(".", "").isdigit()
            or (len(v) == 8 and v.isdigit())}


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    rows = []
    for index, (patient, files) in enumerate(sorted(corpus().items())):
        record = SubjectRecord(patient, f"c{index:02d}", -30, {})
        result = scrub_subject(files, settings_for(record, CFG, KEY))
        written = {}
        for relpath, ds in sorted(result.written.items()):
            target = out / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            ds.save_as(target, enforce_file_format=True)
            written[relpath] = target
        rows.append((files, result, written))
    return rows


def test_every_file_is_released_or_withheld_for_an_accepted_reason(released):
    seen = set()
    for files, result, written in released:
        withheld = {source for source, _ in result.withheld}
        assert len(withheld) + len(written) == len(files), files
        for source, reason in result.withheld:
            assert reason.startswith(ACCEPTED), (Path(source).name, reason)
        seen.update(str(pydicom.dcmread(p).get("Modality", "")) for p in written.values())
    assert FAMILIES <= seen, FAMILIES - seen


def test_no_original_identifier_is_left_in_the_release(released):
    left = []
    for files, result, written in released:
        data = b"\n".join(p.read_bytes() for p in written.values())
        for text in kept_text(written.values()):
            data = data.replace(text.encode("utf-8", "ignore"), b"")
        for source in files:
            for value in original_values(source):
                for encoded in {value.encode("utf-8"), value.encode("latin-1", "ignore")}:
                    if len(encoded) >= 4 and encoded in data:
                        left.append((Path(source).name, value))
    assert not left, sorted(set(left))


def kept_text(paths) -> list[str]:
    """Values of the test's KEPT attributes in the outputs, longest first (taken out before the scan)."""
    values = set()
    for path in paths:
        for elem in pydicom.dcmread(path).iterall():
            if elem.keyword in KEPT and isinstance(elem.value, str) and elem.value:
                values.add(elem.value)
    return sorted(values, key=len, reverse=True)


def test_the_leak_list_raises_no_false_alarm(released):
    for files, result, written in released:
        data = b"\n".join(p.read_bytes() for p in written.values())
        alarms = [(kind, value) for value, kind in result.identifiers if value.encode("utf-8") in data]
        assert alarms == [], alarms


def test_nm_images_are_released_cleaned_or_withheld_as_undecodable(released):
    """pydicom's NM files (secondary captures of a whole-body scan, so burned-in text candidates): the JPEG 2000 one
    and the 12-bit JPEG one (decoded by pylibjpeg-libjpeg) are released cleaned and OCR-verified; those whose pixels
    no decoder reads (pydicom's own broken examples: a lossy JPEG with a bad stream, a JPEG 2000 stream with an
    embedded delimiter) are withheld for that reason."""
    outcomes = {}
    for files, result, written in released:
        withheld = dict(result.withheld)
        for source in files:
            if str(pydicom.dcmread(source, force=True, stop_before_pixels=True).get("Modality", "")) == "NM":
                outcomes[Path(source).name] = withheld.get(source, "released")
        for path in written.values():
            ds = pydicom.dcmread(path)
            if ds.get("Modality") == "NM":
                assert ds.BurnedInAnnotation == "NO"
                assert "113101" in {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    assert outcomes.pop("JPEG2000.dcm") == "released" and outcomes.pop("JPGExtended.dcm") == "released"
    assert outcomes and all("pixels cannot be decoded" in reason for reason in outcomes.values()), outcomes
