"""Burned-in text in real images: OCR finds it and blacks it out, a second OCR pass checks the result, the Clean Pixel
Data option is recorded; deid recipes' keep regions are kept; a file that cannot be verified is withheld."""

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
from deidflow.dicom.steps import settings_for
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
    before = ocr.read_text(ocr.to_uint8(pydicom.dcmread(path).pixel_array))
    assert any(ocr.matches_identifier(b.text, ocr.identifier_forms([NAME, MRN])) for b in before)
    result = scrub_subject([path], settings_for(RECORD, {"options": {}}, KEY))
    assert result.withheld == [], result.withheld
    (_, ds), = result.written.items()
    assert ds.BurnedInAnnotation == "NO"
    assert "113101" in {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
    after = ocr.read_text(ocr.to_uint8(ds.pixel_array), scale=2.0, box_thresh=0.3, text_score=0.3)
    forms = ocr.identifier_forms([NAME, MRN])
    assert not any(ocr.matches_identifier(b.text, forms) for b in after)
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
