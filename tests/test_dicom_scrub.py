"""The PS3.15 Annex E scrub: every Table E.1-1 attribute gets its action (top level and inside sequences), UIDs
stay consistent, dates move by the subject's shift, private tags and overlays go, dcmtk reads the output."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from deidflow.dicom.profile import load_profile, resolve
from deidflow.dicom.scrub import ScrubSettings, scrub
from deidflow.dicom.uids import UIDMapper

KEY = bytes(range(32))
SHIFT = -40
OVERWRITTEN = {
    "PatientName",
    "PatientID",
    "PatientIdentityRemoved",
    "DeidentificationMethod",
    "DeidentificationMethodCodeSequence",
    "LongitudinalTemporalInformationModified",
}
DEFAULT_OPTIONS = {"retain_longitudinal_modified_dates": True, "retain_patient_characteristics": True}


def phi_value(vr: str, n: int):
    """A distinctive value of the right VR for attribute number n."""
    return {
        "DA": "20200115",
        "TM": "101112",
        "DT": "20200115101112",
        "UI": f"1.2.3.4.{n}",
        "PN": f"Phiperson^Number{n}",
        "AS": "045Y",
        "CS": f"PHI{n}",
        "AE": f"AE{n}",
        "DS": "12.5",
        "IS": "42",
        "US": 7,
        "UR": f"http://phi.example/{n}",
    }.get(vr, b"PHIBYTES" if vr in ("OB", "UN") else f"PHI{n:04d}")


def table_attributes(profile):
    """(tag, keyword, VR) of every Table E.1-1 attribute pydicom knows, outside the meta/command/directory groups."""
    out = []
    for tag, rule in sorted(profile.rules.items()):
        if tag >> 16 in (0x0000, 0x0002, 0x0004) or rule.keyword in OVERWRITTEN:
            continue
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            continue
        out.append((tag, rule.keyword, vr.split(" or ")[0]))
    return out


def fill(ds: Dataset, attributes) -> None:
    for n, (tag, _, vr) in enumerate(attributes):
        if vr == "SQ":
            item = Dataset()
            item.CodeValue = f"PHICODE{n}"
            ds.add_new(tag, vr, Sequence([item]))
        else:
            ds.add_new(tag, vr, phi_value(vr, n))


def every_attribute_dataset(profile) -> tuple[Dataset, list]:
    """CT_small with a value in every Table E.1-1 attribute, and all of them again inside an unlisted sequence."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    attributes = table_attributes(profile)
    fill(ds, attributes)
    nested = Dataset()
    fill(nested, attributes)
    ds.DerivationCodeSequence = Sequence([nested])  # not in Table E.1-1: kept, but its contents are scrubbed
    return ds, attributes


def settings(options=DEFAULT_OPTIONS, **kw) -> ScrubSettings:
    return ScrubSettings(load_profile(options), "pseudo01", SHIFT, UIDMapper(KEY), **kw)


def expected(profile, tag: int, vr: str) -> str:
    """The action the table, the options and the CT IOD's attribute types give (C falls back to the basic action)."""
    action = profile.action(tag, "1.2.840.10008.5.1.4.1.1.2")
    if action == "C" and vr not in ("DA", "DT", "TM", "SQ"):
        rule = profile.rules[tag]
        action = resolve(rule.basic, profile.iod_types["default"].get(rule.keyword))
    return action


def check(ds_out: Dataset, ds_in: Dataset, profile, attributes) -> list[str]:
    """Every attribute's outcome against its action; returns the failures."""
    failures = []
    for n, (tag, keyword, vr) in enumerate(attributes):
        action = expected(profile, tag, vr)
        original = ds_in[tag].value
        present = tag in ds_out
        value = ds_out[tag].value if present else None
        if action == "X":
            ok = not present
        elif action == "Z":
            ok = present and (len(value) == 0 if vr == "SQ" else value in ("", None, b""))
        elif action == "D":
            ok = present and (vr == "SQ" or (value not in ("", None) and value != original))
        elif action == "K":
            ok = present and (vr == "SQ" or value == original)
        elif action == "U":
            ok = present and (vr == "SQ" or (value != original and str(value).startswith("2.25.") and len(value) <= 64))
        elif action == "C":
            shifted = {"DA": "20191206", "DT": "20191206101112", "TM": original}.get(vr)
            ok = present and (vr == "SQ" or value == shifted)
        else:
            ok = False
        if not ok:
            failures.append(f"{keyword} ({vr}) action {action}: {value!r}")
    return failures


@pytest.mark.parametrize(
    "options",
    [DEFAULT_OPTIONS, {}, {"retain_device_identity": True, "retain_institution_identity": True, "retain_uids": True}],
    ids=["dates+patient", "basic", "device+institution+uids"],
)
def test_every_table_attribute_gets_its_action_top_level_and_nested(options):
    profile = load_profile(options)
    ds, attributes = every_attribute_dataset(profile)
    assert len(attributes) > 550  # the whole table, less the meta/command groups and unknown keywords
    original = copy.deepcopy(ds)
    s = settings(options)
    if options.get("retain_uids"):
        s.uid_map = None
    found = scrub(ds, s)
    assert check(ds, original, profile, attributes) == []
    nested_in, nested_out = original.DerivationCodeSequence[0], ds.DerivationCodeSequence[0]
    assert check(nested_out, nested_in, profile, attributes) == []
    # the values that went are on the leak scan's list, named by keyword
    kinds = {kind for _, kind in found}
    assert {"dicom:PatientAddress", "dicom:OtherPatientNames", "dicom:AccessionNumber"} <= kinds


def test_identity_marks_and_codes_are_written():
    ds, _ = every_attribute_dataset(load_profile(DEFAULT_OPTIONS))
    scrub(ds, settings())
    assert str(ds.PatientName) == "pseudo01" and ds.PatientID == "pseudo01"
    assert ds.PatientIdentityRemoved == "YES"
    codes = [item.CodeValue for item in ds.DeidentificationMethodCodeSequence]
    assert codes == ["113100", "113107", "113108"]
    assert all(item.CodingSchemeDesignator == "DCM" for item in ds.DeidentificationMethodCodeSequence)
    assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
    assert all(len(v) <= 64 for v in ds.DeidentificationMethod)
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID


def test_private_tags_overlays_and_curves_are_removed_unless_allow_listed():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    block = ds.private_block(0x0011, "ACME NAMES", create=True)
    block.add_new(0x01, "LO", "Secret^Name")
    safe = ds.private_block(0x0013, "ACME SAFE", create=True)
    safe.add_new(0x05, "DS", "1.5")
    ds.add_new(0x60000010, "US", 128)
    ds.add_new(0x60003000, "OW", b"\x00" * 16)
    ds.add_new(0x50000005, "US", 1)
    found = scrub(ds, settings())
    assert not any(elem.tag.is_private for elem in ds)
    assert not any(elem.tag.group in (0x5000, 0x6000) for elem in ds)
    assert ("Secret^Name", "dicom:private") in found

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    block = ds.private_block(0x0011, "ACME NAMES", create=True)
    block.add_new(0x01, "LO", "Secret^Name")
    safe = ds.private_block(0x0013, "ACME SAFE", create=True)
    safe.add_new(0x05, "DS", "1.5")
    s = settings({**DEFAULT_OPTIONS, "retain_safe_private": True}, private_allow=frozenset({("ACME SAFE", 0x05)}))
    scrub(ds, s)
    private = {(e.tag.group, e.tag.element): e.value for e in ds if e.tag.is_private}
    assert private == {(0x0013, 0x0010): "ACME SAFE", (0x0013, 0x1005): "1.5"}


def test_uids_are_consistent_across_files_and_reruns_including_references():
    a = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    b = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    b.StudyInstanceUID = a.StudyInstanceUID
    ref = Dataset()
    ref.ReferencedSOPClassUID = a.SOPClassUID
    ref.ReferencedSOPInstanceUID = a.SOPInstanceUID
    b.ReferencedImageSequence = Sequence([ref])
    a_sop = a.SOPInstanceUID
    scrub(a, settings())
    scrub(b, settings())
    assert a.StudyInstanceUID == b.StudyInstanceUID != "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"
    assert b.ReferencedImageSequence[0].ReferencedSOPInstanceUID == a.SOPInstanceUID
    assert b.ReferencedImageSequence[0].ReferencedSOPClassUID == a.SOPClassUID  # standard UIDs are kept
    again = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    scrub(again, settings())  # a rerun with a fresh mapper and the same key
    assert again.SOPInstanceUID == a.SOPInstanceUID != a_sop
    other = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    scrub(other, ScrubSettings(load_profile(DEFAULT_OPTIONS), "p", 0, UIDMapper(b"another key" * 3)))
    assert other.SOPInstanceUID != a.SOPInstanceUID


def test_uid_root_is_configurable_and_uids_stay_valid():
    mapper = UIDMapper(KEY, root="1.2.826.0.1.3680043.10.999")
    new = mapper("1.2.3.4.5")
    assert new.startswith("1.2.826.0.1.3680043.10.999.") and len(new) <= 64
    assert all(part == "0" or not part.startswith("0") for part in new.split("."))
    with pytest.raises(ValueError, match="uid_root"):
        UIDMapper(KEY, root="1.02.x")


def test_dates_move_by_the_subject_shift_and_times_stay():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.StudyDate, ds.StudyTime = "20240229", "093000"
    ds.AcquisitionDateTime = "20240229093000.5+0100"
    scrub(ds, settings())
    day = dt.date(2024, 2, 29) + dt.timedelta(days=SHIFT)
    assert ds.StudyDate == day.strftime("%Y%m%d") and ds.StudyTime == "093000"
    assert ds.AcquisitionDateTime == day.strftime("%Y%m%d") + "093000.5+0100"
    basic = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    basic.StudyDate = "20240229"
    scrub(basic, settings({}))
    assert basic.StudyDate == ""  # without the option the basic profile's Z applies


@pytest.mark.skipif(shutil.which("dcmdump") is None, reason="dcmtk's dcmdump is not installed (apt-get install dcmtk)")
def test_output_reads_back_with_pydicom_and_dcmdump(tmp_path: Path):
    profile = load_profile(DEFAULT_OPTIONS)
    ds, _ = every_attribute_dataset(profile)
    scrub(ds, settings())
    out = tmp_path / "out.dcm"
    ds.save_as(out, enforce_file_format=True)
    back = pydicom.dcmread(out)
    assert back.PatientIdentityRemoved == "YES" and back.pixel_array.shape == (128, 128)
    proc = subprocess.run(["dcmdump", "-q", "+E", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    dump = subprocess.run(["dcmdump", str(out)], capture_output=True, text=True, check=True).stdout
    assert "PatientIdentityRemoved" in dump
    assert "Phiperson" not in dump and "phi.example" not in dump  # names and URLs are gone


def test_removed_values_in_other_character_sets_are_listed_as_written():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.InstitutionAddress = "Rue de l'Hôpital 5, Genève"
    ds.OtherPatientNames = "Müller^Jürgen"
    ds.save_as(buffer := __import__("io").BytesIO(), enforce_file_format=True)
    found = scrub(pydicom.dcmread(__import__("io").BytesIO(buffer.getvalue())), settings())
    assert ("Rue de l'Hôpital 5, Genève", "dicom:InstitutionAddress") in found
    assert ("Müller^Jürgen", "dicom:OtherPatientNames") in found and ("Jürgen", "dicom:OtherPatientNames") in found
