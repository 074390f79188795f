"""Rules media_photos and media_videos under Snakemake: a generated subject's photos and video become pseudonymized
parts whose files hold no face MTCNN can find and no metadata outside the allow-list; the input is untouched."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from conftest import ROOT, run_snakemake, tree_digest, write_config


def test_media_rules_make_clean_photo_and_video_parts(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "scripts"))
    from deidflow.demo.study import make_study

    study = tmp_path / "bids"
    [person] = make_study(study, 1, seed=21, small=True, modalities=("media",))
    before = tree_digest(study)
    media = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["media"]
    media["photos"] = {**media.get("photos", {}), "ocr": "clean"}  # on in the demo too; set so the test stands alone
    config = write_config(tmp_path, study, media=media)
    run_snakemake(tmp_path, config, str(tmp_path / "secrets" / "subjects.json"))
    [record] = json.loads((tmp_path / "secrets" / "subjects.json").read_text())["subjects"]
    pseudo = record["pseudonym"]
    photo = tmp_path / "work" / "parts" / "photo" / pseudo
    video = tmp_path / "work" / "parts" / "video" / pseudo
    run_snakemake(tmp_path, config, str(photo), str(video))
    photos = json.loads((photo / "manifest.json").read_text())["produced"]
    assert photos == sorted(f"sub-{pseudo}/photo/sub-{pseudo}_acq-{name}_photo.{ext}" for name, ext in
                            [("mirrored", "jpg"), ("png", "png"), ("portrait", "jpg"), ("sideways", "jpg")])
    assert json.loads((video / "manifest.json").read_text())["produced"] == [
        f"sub-{pseudo}/beh/sub-{pseudo}_task-interview_video.mp4"]
    # per photo: faces, metadata and (media.photos.ocr: clean) the second OCR pass; per video: faces, metadata
    for part, count, per_file in ((photo, 4, 3), (video, 1, 2)):
        risk = json.loads((part / "risk.json").read_text())
        assert len(risk["checks"]) == per_file * count and all(c["passed"] for c in risk["checks"]), risk["checks"]
        for file in (part / "files").rglob("*.*"):
            data = file.read_bytes()
            assert person.last_name.encode() not in data and person.label.encode() not in data
    logs = "".join(p.read_text() for p in (tmp_path / "logs").rglob("*.log"))
    assert person.last_name not in logs and person.label not in logs
    assert tree_digest(study) == before
