"""Real-world DICOM objects beyond images (pydicom's own test files): structured reports, RT plans and structure sets,
waveforms and files without the Part-10 preamble are released scrubbed; kept vendor strings raise no false alarm;
descriptions keep only words a vocabulary explains."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file

from deidflow.dicom.descriptors import DescriptorCleaner
from deidflow.dicom.needles import needles
from deidflow.dicom.scrub import read_checked, scrub_subject
from deidflow.dicom.steps import report_series, settings_for
from deidflow.dicom.vocabulary import unexplained
from deidflow.subjects import SubjectRecord

KEY = bytes(range(32))
OPTIONS = {"retain_longitudinal_modified_dates": True, "retain_patient_characteristics": True}
RECORD = SubjectRecord("orig", "p1x2y3", -30, {})


def settings(clean_sr: bool = True, descriptors=None):
    return settings_for(RECORD, {"options": {**OPTIONS, "clean_structured_content": clean_sr}}, KEY, descriptors)


def test_a_file_without_preamble_is_read_and_written_back_as_part10(tmp_path: Path):
    source = get_testdata_file("rtstruct.dcm")  # an RT structure set saved without preamble or meta header
    assert Path(source).read_bytes()[128:132] != b"DICM"
    result = scrub_subject([source], settings())
    assert result.withheld == []
    (relpath, ds), = result.written.items()
    out = tmp_path / "out.dcm"
    ds.save_as(out, enforce_file_format=True)
    assert out.read_bytes()[128:132] == b"DICM"
    back = pydicom.dcmread(out)
    assert back.Modality == "RTSTRUCT" and back.PatientID == RECORD.pseudonym
    assert back.file_meta.MediaStorageSOPClassUID == back.SOPClassUID


def test_garbage_read_with_force_is_still_not_dicom(tmp_path: Path):
    junk = tmp_path / "notes.txt"
    junk.write_text("Patient John Smith, seen 2020-01-05\n" * 20)
    result = scrub_subject([junk], settings())
    assert result.written == {} and result.withheld[0][1].startswith("not a DICOM file")


@pytest.mark.parametrize("name", ["rtplan.dcm", "waveform_ecg.dcm", "test-SR.dcm"])
def test_objects_without_pixels_are_released_scrubbed(name: str, tmp_path: Path):
    original = pydicom.dcmread(get_testdata_file(name))
    result = scrub_subject([get_testdata_file(name)], settings())
    assert result.withheld == [], result.withheld
    (_, ds), = result.written.items()
    ds.save_as(tmp_path / "x.dcm", enforce_file_format=True)
    data = (tmp_path / "x.dcm").read_bytes()
    for keyword in ("PatientName", "PatientID", "StudyDate", "ReferringPhysicianName", "OperatorsName"):
        value = str(original.get(keyword, "") or "")
        if len(value) > 3:
            assert value.encode() not in data, keyword
    if name == "waveform_ecg.dcm":
        assert ds.WaveformSequence[0].WaveformData == original.WaveformSequence[0].WaveformData
    if name == "rtplan.dcm":
        assert ds.BeamSequence[0].BeamName == original.BeamSequence[0].BeamName  # labels the profile keeps


def sr_with_text(tmp_path: Path) -> Path:
    ds = pydicom.dcmread(get_testdata_file("test-SR.dcm"))
    text = next(e for e in ds.iterall() if e.keyword == "TextValue")
    text.value = "Seen by Dr. Walter Kowalczyk on 2001-01-14; lesion in left frontal lobe"
    path = tmp_path / "sr.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_sr_content_tree_is_cleaned_and_the_option_recorded(tmp_path: Path):
    path = sr_with_text(tmp_path)
    result = scrub_subject([path], settings(clean_sr=True))
    (_, ds), = result.written.items()
    texts = [e.value for e in ds.iterall() if e.keyword == "TextValue"]
    assert texts and all("Kowalczyk" not in t and "Walter" not in t for t in texts)
    assert "113104" in {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    meanings = {e.value for e in ds.iterall() if e.keyword == "CodeMeaning"}
    assert "Diagnosis" in meanings  # standard terminology stays: the report is still a report
    assert any(v == "Seen by Dr. Walter Kowalczyk on 2001-01-14; lesion in left frontal lobe"
               for v, _ in result.identifiers)


def test_structured_reports_can_be_withheld_by_config():
    sr = pydicom.dcmread(get_testdata_file("test-SR.dcm"))
    assert "structured_reports" in report_series({"structured_reports": "withhold"})([sr])
    assert report_series({})([sr]) is None
    with pytest.raises(ValueError, match="structured_reports"):
        report_series({"structured_reports": "maybe"})


def test_kept_vendor_strings_are_not_needles():
    found = {("GE MEDICAL SYSTEMS", "dicom:private"), ("Routine Brain", "dicom:SeriesDescription"),
             ("HEAD FIRST", "dicom:StudyDescription"), ("Uncompressed", "dicom:CodeMeaning"),
             ("Smith^John", "dicom:PatientName"), ("GE MEDICAL SYSTEMS", "dicom:InstitutionName"),
             ("JSmith_research_protocol", "dicom:ProtocolName"), ("19700101", "dicom:PatientBirthDate")}
    kept = {"ge medical systems", "head first"}
    out = {v for v, _ in needles(found, kept)}
    assert out == {"Smith^John", "JSmith_research_protocol", "19700101"}
    assert ("GE MEDICAL SYSTEMS", "dicom:InstitutionName") not in needles(found, kept)  # the kept manufacturer
    assert ("head first", "dicom:PatientName") in needles({("head first", "dicom:PatientName")}, kept)


def test_vocabulary_explains_acquisition_words_not_names():
    assert unexplained("t1_mprage_sag_p2_iso") == []
    assert unexplained("Routine Brain") == []
    assert unexplained("JSmith_research_protocol") == ["JSmith"]
    assert unexplained("CT CHEST 20200115") == ["20200115"]
    assert unexplained("Cooper ligament") == ["Cooper"]  # eponyms in code meanings are still names


class FakeEngine:
    """A recognizer that finds nothing: the vocabulary alone must refuse unexplained words."""

    def analyze(self, text, **kwargs):
        return []


def test_clean_descriptors_fails_closed_on_unexplained_words():
    cleaner = DescriptorCleaner("p1x2y3", -30, {}, engine=FakeEngine())
    assert cleaner.clean("JSmith_research_protocol", "LO", "ProtocolName") is None
    assert cleaner.clean("Routine Brain", "LO", "SeriesDescription") == "Routine Brain"
    assert cleaner.unexplained["ProtocolName"] == 1
    assert "ProtocolName 1" in cleaner.summary()
