"""Photos of documents (media.photos.ocr: clean): text found by RapidOCR is blacked out, Tesseract and RapidOCR read
the result again, and a photo whose text still holds one of the subject's identifiers is withheld and fails the gate.
On a rendered ID card (PIL's bundled TTF font) and on a real photo of text (scikit-image's `data.text()`)."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from deidflow.dicom import ocr
from deidflow.media import part as media_part
from deidflow.media.config import MediaConfig
from deidflow.media.photos import deidentify_photo
from deidflow.parts import PartWriter
from deidflow.subjects import SubjectRecord

CFG = MediaConfig.from_config({"photos": {"ocr": "clean"}})
STUDY = [("Jodi Castro", "name"), ("12 Elm Street, Springfield", "address"), ("555-201-7788", "phone")]
LINES = ["IDENTITY CARD", "Jodi Castro", "12 Elm Street, Springfield", "Tel 555-201-7788"]


class NoFaces:
    """A face blurrer for face-free images (the face steps have their own tests)."""

    def anonymize(self, rgb):
        return rgb, 0


def id_card(path: Path) -> Path:
    """A photographed ID card: a tinted, slightly noisy card with the holder's name, address and phone."""
    rng = np.random.default_rng(7)
    base = np.clip(rng.normal(215, 8, (300, 560, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(base)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 540, 280), outline=(40, 60, 120), width=3)
    for row, text in enumerate(LINES):
        draw.text((40, 40 + 55 * row), text, fill=(20, 20, 30), font=ImageFont.load_default(size=30 if row else 34))
    image.save(path)
    return path


def test_id_card_text_is_blacked_out_and_verified(tmp_path: Path):
    src = id_card(tmp_path / "card.png")
    needles = ocr.identifier_needles(STUDY)
    assert needles.kinds_in(ocr.tesseract_read(np.asarray(Image.open(src))[..., ::-1].copy())) == [
        "address", "name", "phone"]
    result = deidentify_photo(src, tmp_path / "out.png", CFG, NoFaces(), needles)
    assert result.text_boxes >= 4
    after = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))[..., ::-1].copy()
    read = ocr.verify_read(after)
    assert needles.kinds_in(read) == [] and not [b for b in read if ocr.to_black_out(b)], read


def test_real_text_photo_is_cleaned(tmp_path: Path):
    src = tmp_path / "text.png"
    Image.fromarray(data.text()).save(src)  # a real photograph of painted text (scikit-image's sample data)
    before = ocr.read_text(ocr.to_uint8(data.text()))
    assert [b for b in before if not ocr.allowed_text(b.text)], before
    result = deidentify_photo(src, tmp_path / "out.png", CFG, NoFaces())
    assert result.text_boxes >= 1
    after = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))[..., ::-1].copy()
    assert not [b for b in ocr.tesseract_read(after) if ocr.to_black_out(b)]  # the independent engine reads none
    off = deidentify_photo(src, tmp_path / "off.png", replace(CFG, photos_ocr="off"), NoFaces())
    assert off.text_boxes == 0


def test_identifier_left_in_a_photo_fails_the_gate(tmp_path: Path, monkeypatch):
    folder = tmp_path / "bids" / "sub-orig" / "photo"
    folder.mkdir(parents=True)
    id_card(folder / "sub-orig_photo.png")
    blackout = ocr.blackout

    def skip_the_name(frames, boxes):  # a cleaning bug: the box holding the name is never blacked out
        blackout(frames, [b for b in boxes if not (b.y0 < 125 and b.y1 > 95)])

    monkeypatch.setattr(ocr, "blackout", skip_the_name)
    monkeypatch.setattr(media_part, "FaceBlurrer", lambda cfg: NoFaces())
    monkeypatch.setattr(media_part, "FaceVerifier", lambda cfg: None)
    record = SubjectRecord("orig", "p1x2y3", -30, {})
    with PartWriter(tmp_path / "part", "photo", record.pseudonym) as writer:
        section = media_part.deidentify_media("photo", [folder / "sub-orig_photo.png"], tmp_path / "bids", record,
                                              CFG, writer, logging.getLogger("test"), known=STUDY)
    assert section["metrics"]["withheld"] == 1 and section["metrics"]["released"] == 0
    (check,) = section["checks"]
    assert not check["passed"] and "sub-p1x2y3" in check["name"] and "name" in check["detail"], check
    assert "Castro" not in str(section) and "orig" not in check["name"]


def test_bad_ocr_mode_is_refused():
    with pytest.raises(ValueError, match="media.photos.ocr"):
        MediaConfig.from_config({"photos": {"ocr": "maybe"}})


def test_names_on_a_real_portrait_are_blacked_out(tmp_path: Path):
    """scikit-image's astronaut (a real NASA portrait, the demo's photos) carries crew names on the mission patch and
    a name tag: the photo step blacks them out; a full second pass at twice the scale (rounds after the first read
    only around what they blacked out) then reads nothing to black out."""
    src = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(src)
    view = ocr.to_uint8(data.astronaut())
    assert [b for b in ocr.verify_read(view) if ocr.to_black_out(b)], "the patch text is legible before"
    result = deidentify_photo(src, tmp_path / "out.png", CFG, NoFaces())
    assert result.text_boxes >= 1
    after = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))[..., ::-1].copy()
    assert not [b for b in ocr.verify_read(after) if ocr.to_black_out(b)]


def test_reading_around_boxes_merges_neighbourhoods_and_maps_coordinates(monkeypatch):
    view = np.full((400, 600, 3), 255, np.uint8)
    boxes = [ocr.Box(100, 100, 160, 120, "a"), ocr.Box(150, 110, 220, 130, "b")]  # neighbourhoods overlap
    seen = []
    monkeypatch.setattr(ocr, "verify_read", lambda crop, max_side=None: seen.append(crop.shape) or [
        ocr.Box(1, 2, 3, 4, "x", 90.0)])
    found = ocr.read_around(view, boxes)
    assert seen == [(110, 200, 3)]  # one region: x 60-260, y 60-170 (a margin of 40 px around each box)
    assert found == [ocr.Box(61, 62, 63, 64, "x", 90.0)]  # in the view's coordinates
