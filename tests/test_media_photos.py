"""Photos: faces found by an independent detector before and not after, every metadata kind gone (exiftool says so),
orientation applied to the pixels, bad files withheld with a reason while the rest of the subject continues."""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deidflow.demo.media import astronaut, write_photos
from deidflow.demo.people import make_people
from deidflow.media.config import MediaConfig
from deidflow.media.faces import FaceBlurrer
from deidflow.media.metadata import has_trailer, read_tags
from deidflow.media.part import deidentify_media
from deidflow.media.photos import deidentify_photo
from deidflow.media.verify import FaceVerifier, check_metadata, verify_media
from deidflow.parts import PartWriter
from deidflow.subjects import SubjectRecord

CFG = MediaConfig()
LOG = logging.getLogger("test_media")


@pytest.fixture(scope="module")
def person():
    return make_people(1, seed=5)[0]


@pytest.fixture(scope="module")
def blurrer():
    return FaceBlurrer(CFG)


@pytest.fixture(scope="module")
def verifier():
    return FaceVerifier(CFG)


@pytest.fixture(scope="module")
def demo_photos(tmp_path_factory, person):
    """The demo generator's photos (JPEG with EXIF/GPS/XMP/IPTC/comment/thumbnail/trailer, PNG with text chunks)."""
    folder = tmp_path_factory.mktemp("study") / f"sub-{person.label}" / "photo"
    return write_photos(folder, person, random.Random(3), small=True)


@pytest.mark.parametrize("size,variant", [(160, "plain"), (320, "mirrored"), (640, "plain"), (320, "rotated")])
def test_face_found_before_and_not_after(tmp_path: Path, blurrer, verifier, size: int, variant: str):
    image = astronaut(size)
    if variant == "mirrored":
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    elif variant == "rotated":
        image = image.rotate(20, resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128))
    src, dst = tmp_path / "in.jpg", tmp_path / "out.jpg"
    image.save(src, quality=95)
    assert verifier.faces(np.asarray(image)), "MTCNN should see the astronaut's face before blurring"
    result = deidentify_photo(src, dst, CFG, blurrer)
    assert result.faces >= 1
    assert verify_media(dst, CFG, verifier) == []


@pytest.mark.parametrize("replacement", ["mosaic", "solid"])
def test_other_replacements_also_hide_the_face(tmp_path: Path, verifier, replacement: str):
    cfg = MediaConfig(replacement=replacement)
    src, dst = tmp_path / "in.png", tmp_path / "out.png"
    astronaut(320).save(src)
    deidentify_photo(src, dst, cfg, FaceBlurrer(cfg))
    assert verifier.faces(np.asarray(Image.open(dst).convert("RGB"))) == []


def test_every_planted_metadata_kind_is_gone(tmp_path: Path, demo_photos, person, blurrer):
    jpeg = next(p for p in demo_photos if "portrait" in p.name)
    png = next(p for p in demo_photos if p.suffix == ".png")
    planted = {key for key, _ in read_tags(jpeg)} | {key for key, _ in read_tags(png)}
    for group in ("IFD0", "ExifIFD", "GPS", "IFD1", "XMP-dc", "IPTC"):
        assert any(key.startswith(f"{group}:") for key in planted), f"the demo should plant {group}"
    assert {"File:Comment", "PNG:Author", "PNG:Comment", "PNG:Description-en", "IFD0:Artist",
            "IFD1:ThumbnailImage"} <= planted
    assert has_trailer(jpeg)
    for src in (jpeg, png):
        dst = tmp_path / src.name
        deidentify_photo(src, dst, CFG, blurrer)
        tags = read_tags(dst)
        groups = {key.split(":")[0] for key, _ in tags}
        assert not groups & {"IFD0", "ExifIFD", "GPS", "IFD1", "XMP-dc", "XMP-x", "IPTC", "JFIF", "ICC_Profile"}
        assert not [k for k, _ in tags if k in ("File:Comment", "PNG:Author", "PNG:Comment", "PNG:Description-en")]
        assert check_metadata(dst, CFG, dst.name) == []
        assert not has_trailer(dst)
        data = dst.read_bytes()
        for value in (person.last_name, person.email, person.city, "SN8841"):
            assert value.encode() not in data


def test_orientation_is_applied_to_the_pixels(tmp_path: Path, demo_photos, blurrer):
    sideways = next(p for p in demo_photos if "sideways" in p.name)
    with Image.open(sideways) as stored:
        assert stored.getexif().get(0x0112) == 6 and stored.size == (256, 256)
        stored_pixels = np.asarray(stored.convert("RGB"), dtype=float)
    dst = tmp_path / "out.jpg"
    deidentify_photo(sideways, dst, CFG, blurrer)
    out = np.asarray(Image.open(dst).convert("RGB"), dtype=float)
    upright = np.asarray(astronaut(256), dtype=float)
    keep = np.ones(out.shape[:2], bool)
    keep[:120, 60:160] = False  # the blurred face (the astronaut's face sits in this box at 256 px)
    assert np.abs(out - upright)[keep].mean() < 8, "output should look like the upright photo"
    assert np.abs(out - stored_pixels)[keep].mean() > 30, "output should not be the sideways stored pixels"


def test_verifier_fails_on_a_planted_unblurred_photo(demo_photos, verifier):
    findings = verify_media(demo_photos[0], CFG, verifier, name="sub-x/photo/planted.jpg")
    faces = [f for f in findings if f.check == "face"]
    assert faces and faces[0].png.startswith(b"\x89PNG") and "MTCNN" in faces[0].detail
    details = " ".join(f.detail for f in findings if f.check == "metadata")
    for tag in ("GPS", "IFD1:ThumbnailImage", "XMP-dc", "IPTC", "File:Comment", "trailer"):
        assert tag in details


def test_tiff_and_heic_photos_are_blurred_and_clean(tmp_path: Path, blurrer, verifier):
    image = astronaut(256)
    exif = Image.Exif()
    exif[0x013B] = "Jane Example"
    tiff, heic = tmp_path / "in.tif", tmp_path / "in.heic"
    image.save(tiff, exif=exif)
    import pillow_heif

    pillow_heif.register_heif_opener()
    image.save(heic, exif=exif.tobytes())
    for src in (tiff, heic):
        dst = tmp_path / f"out{src.suffix}"
        deidentify_photo(src, dst, CFG, blurrer)
        assert verify_media(dst, CFG, verifier) == [], src.suffix
        assert b"Jane Example" not in dst.read_bytes()


def test_bad_photos_are_withheld_and_the_rest_continues(tmp_path: Path, demo_photos, person):
    bids = tmp_path / "bids"
    folder = bids / f"sub-{person.label}" / "photo"
    folder.mkdir(parents=True)
    good = shutil.copy(demo_photos[0], folder / f"sub-{person.label}_acq-good_photo.jpg")
    truncated = folder / f"sub-{person.label}_acq-cut_photo.jpg"
    truncated.write_bytes(Path(demo_photos[0]).read_bytes()[:3000])
    liar = folder / f"sub-{person.label}_acq-liar_photo.jpg"
    liar.write_bytes(demo_photos[-1].read_bytes())  # a PNG
    record = SubjectRecord(original=person.label, pseudonym="zq42xk", date_shift_days=-3)
    out = tmp_path / "part"
    with PartWriter(out, "photo", "zq42xk") as writer:
        deidentify_media("photo", [good, truncated, liar], bids, record, CFG, writer, LOG)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["produced"] == ["sub-zq42xk/photo/sub-zq42xk_acq-good_photo.jpg"]
    reasons = {w["source"]: w["reason"] for w in manifest["withheld"]}
    assert "truncated or corrupt" in reasons["sub-zq42xk/photo/sub-zq42xk_acq-cut_photo.jpg"]
    assert "content is PNG" in reasons["sub-zq42xk/photo/sub-zq42xk_acq-liar_photo.jpg"]
    assert person.label not in (out / "manifest.json").read_text()
    risk = json.loads((out / "risk.json").read_text())
    assert risk["checks"] and all(c["passed"] for c in risk["checks"])
    assert risk["metrics"]["released"] == 1 and risk["metrics"]["withheld"] == 2
    identifiers = json.loads((out / "identifiers.json").read_text())["values"]
    assert any(v["value"] == person.full_name for v in identifiers)


def test_config_rejects_unknown_replacement_and_warns_on_a_loose_threshold(caplog):
    with pytest.raises(ValueError, match="replacement"):
        MediaConfig.from_config({"replacement": "pixelate"})
    with caplog.at_level(logging.WARNING):
        cfg = MediaConfig.from_config({"threshold": 0.5, "verify": {"video_sample_fps": 1}}, LOG)
    assert cfg.verify_video_fps == 1.0 and "above 0.3" in caplog.text
