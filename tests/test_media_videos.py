"""Videos: faces blurred in every frame (with temporal dilation), frame count and rate kept, only the video stream
left (no audio unless asked, no subtitles, no container metadata), bad files withheld while the rest continues."""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from deidflow.demo.media import write_video
from deidflow.demo.people import make_people
from deidflow.media.config import MediaConfig
from deidflow.media.faces import FaceBlurrer
from deidflow.media.metadata import ffmpeg, read_tags
from deidflow.media.part import deidentify_media
from deidflow.media.verify import FaceVerifier, check_faces, check_metadata
from deidflow.media.videos import deidentify_video, frame_rate
from deidflow.parts import PartWriter
from deidflow.subjects import SubjectRecord

CFG = MediaConfig()
LOG = logging.getLogger("test_media")


def streams(path: Path) -> list[str]:
    """Stream lines of `ffmpeg -i` (e.g. 'Stream #0:0...: Video: h264 ...')."""
    out = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr
    return re.findall(r"Stream #\S+.*", out)


@pytest.fixture(scope="module")
def person():
    return make_people(1, seed=9)[0]


@pytest.fixture(scope="module")
def demo_video(tmp_path_factory, person):
    path = tmp_path_factory.mktemp("study") / f"sub-{person.label}" / "beh" / f"sub-{person.label}_task-x_video.mp4"
    return write_video(path, person, random.Random(2), small=True, seconds=2.0, fps=12)


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory, demo_video):
    out = tmp_path_factory.mktemp("out") / "clean.mp4"
    return out, deidentify_video(demo_video, out, CFG, FaceBlurrer(CFG))


def test_video_keeps_frame_count_and_rate(demo_video, cleaned):
    out, result = cleaned
    frames_in, _ = imageio_ffmpeg.count_frames_and_secs(str(demo_video))
    frames_out, _ = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames_in == frames_out == result.frames == 24
    assert result.fps == "12" and "12 fps" in " ".join(streams(out))


def test_faces_found_in_the_input_and_in_no_output_frame(demo_video, cleaned):
    every_frame = MediaConfig(verify_video_fps=0)
    verifier = FaceVerifier(every_frame)
    assert len(check_faces(demo_video, every_frame, verifier, "in")) >= 20
    assert check_faces(cleaned[0], every_frame, verifier, "out") == []
    assert cleaned[1].frames_with_faces >= 20


def test_only_the_video_stream_and_no_metadata_remain(demo_video, cleaned, person):
    kinds_in = " ".join(streams(demo_video))
    assert "Audio:" in kinds_in and "Subtitle:" in kinds_in
    [only] = streams(cleaned[0])
    assert "Video: h264" in only
    tags = dict(read_tags(cleaned[0]))
    assert tags["QuickTime:CreateDate"] == "0000:00:00 00:00:00"
    assert not [k for k in tags if k.startswith(("ItemList:", "UserData:", "Keys:"))]
    assert check_metadata(cleaned[0], CFG, "out") == []
    data = cleaned[0].read_bytes()
    assert person.last_name.encode() not in data and b"Lavf" not in data


def test_audio_is_kept_only_when_configured(tmp_path: Path, demo_video):
    cfg = MediaConfig(keep_audio=True)
    out = tmp_path / "with_audio.mkv"
    shutil.copy(demo_video, tmp_path / "in.mp4")
    subprocess.run([ffmpeg(), "-loglevel", "error", "-i", str(demo_video), "-map", "0", "-c", "copy", "-c:s", "srt",
                    str(tmp_path / "in.mkv")], check=True)
    result = deidentify_video(tmp_path / "in.mkv", out, cfg, FaceBlurrer(cfg))
    kinds = " ".join(streams(out))
    assert result.audio_kept and "Audio: aac" in kinds and "Subtitle" not in kinds
    assert check_metadata(out, cfg, "out") == []


def test_dilation_covers_frames_where_the_detector_missed_the_face():
    cfg = MediaConfig(replacement="solid", mask_scale=1.0, temporal_window=2)
    blurrer = FaceBlurrer(cfg)
    box = np.array([[10, 10, 30, 30, 0.9]], np.float32)
    blurrer.detect = lambda frame: box if frame[0, 0, 0] == 3 else np.empty((0, 5), np.float32)
    frames = [np.full((40, 40, 3), 200, np.uint8) for _ in range(8)]
    for index, frame in enumerate(frames):
        frame[0, 0, 0] = index
    covered = [int(out[20, 20, 0] == 0) for out, _ in blurrer.anonymize_stream(frames)]
    assert covered == [0, 1, 1, 1, 1, 1, 0, 0]  # found in frame 3 only; frames 1-5 covered


def test_ntsc_rates_are_recovered_exactly():
    assert frame_rate(29.97) == Fraction(30000, 1001)
    assert frame_rate(23.98) == Fraction(24000, 1001)
    assert frame_rate(25.0) == 25


def test_bad_videos_are_withheld_and_the_rest_continues(tmp_path: Path, demo_video, person):
    folder = tmp_path / "bids" / f"sub-{person.label}" / "beh"
    folder.mkdir(parents=True)
    good = shutil.copy(demo_video, folder / f"sub-{person.label}_task-good_video.mp4")
    empty = folder / f"sub-{person.label}_task-empty_video.mp4"
    empty.write_bytes(b"")
    liar = folder / f"sub-{person.label}_task-liar_video.mov"
    liar.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    odd = folder / f"sub-{person.label}_task-odd_video.avi"
    subprocess.run([ffmpeg(), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1",
                    "-c:v", "mjpeg", str(odd)], check=True)
    odd.write_bytes(odd.read_bytes().replace(b"MJPG", b"QZ9X"))  # a codec no decoder knows
    record = SubjectRecord(original=person.label, pseudonym="pp77aa", date_shift_days=4)
    out = tmp_path / "part"
    with PartWriter(out, "video", "pp77aa") as writer:
        deidentify_media("video", [good, empty, liar, odd], tmp_path / "bids", record, CFG, writer, LOG)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["produced"] == ["sub-pp77aa/beh/sub-pp77aa_task-good_video.mp4"]
    reasons = {w["source"].rsplit("/", 1)[1]: w["reason"] for w in manifest["withheld"]}
    assert "empty file" in reasons["sub-pp77aa_task-empty_video.mp4"]
    assert "content is JPEG" in reasons["sub-pp77aa_task-liar_video.mov"]
    assert "cannot decode" in reasons["sub-pp77aa_task-odd_video.avi"]
    assert person.label not in (out / "manifest.json").read_text()
    risk = json.loads((out / "risk.json").read_text())
    assert risk["section"] == "media_video" and all(c["passed"] for c in risk["checks"])
