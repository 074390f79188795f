"""Burned-in text in real images: OCR (RapidOCR) finds it and blacks it out, a second, independent OCR engine
(Tesseract) checks the result against the subject's identifier forms (the study's and the headers'), the Clean Pixel
Data option is recorded; deid recipes' keep regions are kept; a file that cannot be verified is withheld; a missing
Tesseract stops the step."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from deidflow.dicom import ocr
from deidflow.dicom.pixels import apply_regions, clean_burned_in, recipe_regions
from deidflow.dicom.scrub import scrub_subject
from deidflow.dicom.steps import pixel_section, settings_for
from deidflow.subjects import SubjectRecord

KEY = bytes(range(32))
RECORD = SubjectRecord("orig", "p1x2y3", -30, {})
NAME, MRN = "KOWALCZYK^WALTER", "88231907"


def us_with_text(tmp_path: Path) -> Path:
    """pydicom's GE ultrasound (RGB; its own burned-in text reads "BAPTIST HED CTR") with the patient's name and
    record number burned into a blank band as well."""
    ds = pydicom.dcmread(get_testdata_file("examples_rgb_color.dcm"))
    pixels = ds.pixel_array.copy()
    pixels[195:225, :, :] = 0
    cv2.putText(pixels, f"{NAME.replace('^', ' ')} {MRN}", (5, 215), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
    ds.PixelData = pixels.tobytes()
    ds.PatientName, ds.PatientID = NAME, MRN
    path = tmp_path / "us.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_burned_in_name_is_blacked_out_verified_and_recorded(tmp_path: Path):
    path = us_with_text(tmp_path)
    needles = ocr.identifier_needles([(NAME, "dicom:PatientName"), (MRN, "dicom:PatientID")])
    before = ocr.read_text(ocr.to_uint8(pydicom.dcmread(path).pixel_array))
    assert needles.kinds_in(before) == ["id", "name"]
    result = scrub_subject([path], settings_for(RECORD, {"options": {}}, KEY))
    assert result.withheld == [], result.withheld
    (_, ds), = result.written.items()
    assert ds.BurnedInAnnotation == "NO"
    assert "113101" in {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    after = ocr.verify_read(ocr.to_uint8(ds.pixel_array))
    assert needles.kinds_in(after) == []
    assert any("Tesseract" in note for note in result.notes)  # both engines and versions are recorded
    assert np.count_nonzero(ds.pixel_array[60:190]) > 0.3 * ds.pixel_array[60:190].size  # the image is still there
    assert not any("BAPTIST" in b.text for b in after)  # the site name the scanner burned in is gone too


def test_withhold_mode_and_bad_mode():
    ds = pydicom.dcmread(get_testdata_file("examples_rgb_color.dcm"))
    assert "withhold" in clean_burned_in(ds, "modality US", mode="withhold").withheld
    with pytest.raises(ValueError, match="burned_in"):
        clean_burned_in(ds, "modality US", mode="guess")


def test_keepcoordinates_keep_and_coordinates_blank(tmp_path: Path):
    recipe = tmp_path / "deid.dicom.keep"
    recipe.write_text("FORMAT dicom\n\n%filter keep\n\nLABEL Keep the anatomy\n  contains Modality US\n"
                      "  coordinates all\n  keepcoordinates 0,0,100,50\n")
    ds = pydicom.dcmread(get_testdata_file("examples_rgb_color.dcm"))
    regions = recipe_regions(ds, str(recipe))
    assert regions == [(0, None), (1, (0, 0, 100, 50))]
    frames = np.full((1, 120, 160, 3), 200, dtype=np.uint8)
    apply_regions(frames, regions)
    assert (frames[0, :50, :100] == 200).all()  # the keep region is kept, not blanked
    assert (frames[0, 60:, :] == 0).all() and (frames[0, :, 120:] == 0).all()


def test_allow_list_keeps_annotations_not_names():
    for text in ("L", "5 cm", "28Hz", "C5-1", "1.06 cm", "+2: 09: 04"):
        assert ocr.allowed_text(text), text
    for text in ("BAPTIST HED CTR", "KOWALCZYK", "3/3/4", "IM=2"):
        assert not ocr.allowed_text(text), text


def us_with_study_identifiers(tmp_path: Path) -> Path:
    """The GE ultrasound with the subject's name and phone written as a sonographer would (initial and surname, DICOM
    order, a dashed phone) burned in, and a header that holds no identifier at all (scrubbed beforehand)."""
    ds = pydicom.dcmread(get_testdata_file("examples_rgb_color.dcm"))
    pixels = ds.pixel_array.copy()
    pixels[190:240, :, :] = 0
    cv2.putText(pixels, "J. CASTRO", (5, 205), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
    cv2.putText(pixels, "555-201-7788", (150, 205), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
    cv2.putText(pixels, "Castro^Jodi", (5, 230), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
    ds.PixelData = pixels.tobytes()
    for keyword in ("PatientName", "PatientID", "InstitutionName", "ReferringPhysicianName", "PatientBirthDate"):
        if keyword in ds:
            setattr(ds, keyword, "")
    path = tmp_path / "sub-orig" / "dicom" / "us_study.dcm"
    path.parent.mkdir(parents=True)
    ds.save_as(path, enforce_file_format=True)
    return path


STUDY = [("Jodi Castro", "name"), ("555-201-7788", "phone")]


def test_study_identifier_forms_in_burned_in_text_are_blacked_out(tmp_path: Path):
    path = us_with_study_identifiers(tmp_path)
    needles = ocr.identifier_needles(STUDY)
    assert needles.kinds_in(ocr.tesseract_read(ocr.to_uint8(pydicom.dcmread(path).pixel_array))) == ["name", "phone"]
    result = scrub_subject([path], settings_for(RECORD, {"options": {}}, KEY), known=STUDY)
    assert result.withheld == [] and result.leaks == [], (result.withheld, result.leaks)
    (_, ds), = result.written.items()
    assert needles.kinds_in(ocr.verify_read(ocr.to_uint8(ds.pixel_array))) == []


def test_identifier_left_in_the_image_fails_the_gate_naming_file_and_kind(tmp_path: Path, monkeypatch):
    path = us_with_study_identifiers(tmp_path)
    blackout = ocr.blackout

    def skip_the_phone(frames, boxes):  # a cleaning bug: the box holding the phone number is never blacked out
        blackout(frames, [b for b in boxes if not (b.x1 > 150 and b.y0 < 212 and b.y1 > 190)])

    monkeypatch.setattr(ocr, "blackout", skip_the_phone)
    result = scrub_subject([path], settings_for(RECORD, {"options": {}}, KEY), known=STUDY)
    assert result.written == {}
    assert [(Path(source).name, what) for source, what in result.leaks] == [("us_study.dcm", "an identifier (phone)")]
    section = pixel_section(RECORD, result, tmp_path)
    (check,) = section["checks"]
    # named by its pseudonymized path (the study's labels replaced) and the kind
    assert not check["passed"] and check["detail"].startswith(f"sub-{RECORD.pseudonym}/dicom/"), check
    assert "an identifier (phone)" in check["detail"] and "orig" not in check["detail"]
    assert "555" not in check["detail"] and "7788" not in check["detail"]  # the kind, never the value


def test_missing_tesseract_stops_the_step(monkeypatch):
    ds = pydicom.dcmread(get_testdata_file("examples_rgb_color.dcm"))
    ocr.tesseract_version.cache_clear()
    monkeypatch.setattr(ocr, "TESSERACT", "tesseract-not-installed")
    try:
        with pytest.raises(ocr.OcrUnavailable, match="tesseract-ocr"):
            clean_burned_in(ds, "modality US", mode="ocr")
    finally:
        ocr.tesseract_version.cache_clear()


@pytest.mark.parametrize("name", ["SC_rgb_rle_32bit.dcm", "SC_rgb_rle_32bit_2frame.dcm"])
def test_cleaned_32_bit_pixels_are_stored_natively(name, tmp_path):
    """pydicom's set_pixel_data stops at 16 bits: a 32-bit RLE secondary capture is written back as native 32-bit
    little-endian pixels that read back equal to the cleaned frames."""
    from deidflow.dicom.pixels import _frames, _store

    ds = pydicom.dcmread(get_testdata_file(name))
    frames, photometric = _frames(ds)
    frames[:, :8, :8] = 0
    _store(ds, frames, photometric)
    ds.save_as(tmp_path / "out.dcm", enforce_file_format=True)
    back = pydicom.dcmread(tmp_path / "out.dcm")
    assert back.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian and back.BitsAllocated == 32
    pixels = back.pixel_array if back.get("NumberOfFrames", 1) > 1 else back.pixel_array[None]
    assert pixels.dtype == frames.dtype and np.array_equal(pixels, frames)
