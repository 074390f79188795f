"""Audio part: McAdams voice anonymization keyed per subject, metadata-free rewrite, bad input withheld by name."""

from __future__ import annotations

import logging
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from deidflow.audio.config import AudioConfig  # noqa: E402
from deidflow.audio.files import AudioError, ffmpeg, read_audio  # noqa: E402
from deidflow.audio.keys import mcadams_alpha  # noqa: E402
from deidflow.audio.mcadams import anonymize  # noqa: E402
from deidflow.audio.measure import envelope_distance, formants  # noqa: E402
from deidflow.audio.part import process_subject  # noqa: E402
from deidflow.demo.audio import RATE, voiced, write_tagged_wav  # noqa: E402
from deidflow.demo.people import make_people  # noqa: E402
from deidflow.io import read_json  # noqa: E402
from deidflow.parts import PartWriter  # noqa: E402
from deidflow.subjects import SubjectRecord  # noqa: E402

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
LOG = logging.getLogger("test_audio")
SCIPY_WAVS = Path(__import__("scipy").__file__).parent / "io" / "tests" / "data"
NAME = "Jodi Castro"


@pytest.fixture(scope="module")
def vowel() -> np.ndarray:
    """/a/ with F1 730 Hz, F2 1090 Hz held for one second at 16 kHz, pitch 120 Hz."""
    return voiced(1.0, random.Random(1), f0=120, vowels=((730, 1090, 2440),))


def record(label: str = "01", pseudonym: str = "ab12cd") -> SubjectRecord:
    return SubjectRecord(original=label, pseudonym=pseudonym, date_shift_days=-30, sessions={})


def tagged_with_ffmpeg(src: Path, dst: Path, *extra: str) -> Path:
    """Re-encode `src` with ffmpeg, planting title, artist, comment and date tags naming a person."""
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), *extra,
                    "-metadata", f"title=Interview with {NAME}", "-metadata", f"artist={NAME}",
                    "-metadata", "comment=42 Elm Street, phone 555-0142", "-metadata", "date=2024-03-05",
                    str(dst)], check=True)
    return dst


def run_part(tmp_path: Path, files: dict[str, Path], cfg: AudioConfig | None = None, key: bytes = KEY,
             rec: SubjectRecord | None = None) -> tuple[Path, dict]:
    """Lay `files` (relpath -> source) into a study and run process_subject on them."""
    study = tmp_path / "study"
    inputs = []
    for rel, src in files.items():
        target = study / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        inputs.append(target)
    out = tmp_path / "part"
    rec = rec or record()
    with PartWriter(out, "audio", rec.pseudonym) as writer:
        process_subject(inputs, study, rec, cfg or AudioConfig(), key, writer, LOG)
    return out, read_json(out / "manifest.json")


def test_mcadams_moves_formants_and_keeps_length(vowel):
    """alpha 0.8 moves F1 (0.29 rad at 16 kHz) up by about 200 Hz and F2 up by about 190 Hz, as phi**alpha says."""
    out = anonymize(vowel, RATE, 0.8)
    assert out.shape == vowel.shape
    f_in, f_out = formants(vowel, RATE)[:2], formants(out, RATE)[:2]
    expected = (np.angle(np.exp(2j * np.pi * f_in / RATE)) ** 0.8) * RATE / (2 * np.pi)
    assert np.all(f_out - f_in > 120), (f_in, f_out)
    assert np.allclose(f_out, expected, rtol=0.08), (f_out, expected)
    assert envelope_distance(vowel, out, RATE) > 3.0
    # alpha 1 is the identity up to windowing error: the method itself does not distort
    same = anonymize(vowel, RATE, 1.0)
    assert np.sqrt(np.mean((same - vowel) ** 2)) < 0.01 * np.sqrt(np.mean(vowel ** 2))


def test_alpha_is_keyed_per_subject_and_in_range():
    a = mcadams_alpha(KEY, "ab12cd", 0.75, 0.9)
    assert 0.75 <= a <= 0.9
    assert a == mcadams_alpha(KEY, "ab12cd", 0.75, 0.9)
    assert a != mcadams_alpha(KEY, "xy34zz", 0.75, 0.9)
    assert a != mcadams_alpha(OTHER_KEY, "ab12cd", 0.75, 0.9)


def test_part_anonymizes_strips_tags_and_is_reproducible(tmp_path, vowel):
    person = make_people(1, 7)[0]
    src = write_tagged_wav(tmp_path / "in.wav", vowel, person)
    rel = "sub-01/beh/sub-01_task-interview_audio.wav"
    out, manifest = run_part(tmp_path / "a", {rel: src})
    released = out / "files" / "sub-ab12cd/beh/sub-ab12cd_task-interview_audio.wav"
    assert manifest["produced"] == ["sub-ab12cd/beh/sub-ab12cd_task-interview_audio.wav"]
    data, rate = sf.read(released)
    assert rate == RATE and len(data) == len(vowel)
    assert envelope_distance(vowel, data, RATE) > 2.0
    raw = released.read_bytes()
    for value in (person.full_name, person.last_name, person.phone, person.city, b"LIST", b"INFO"):
        assert (value if isinstance(value, bytes) else value.encode()) not in raw
    tags = subprocess.run(["exiftool", "-s", "-G1", str(released)], capture_output=True, text=True).stdout
    for tag in ("Title", "Artist", "Comment", "DateCreated", "Software"):
        assert f" {tag} " not in tags
    found = {v["kind"]: v["value"] for v in read_json(out / "identifiers.json")["values"]}
    assert found["audio:Artist"] == person.full_name and "audio:DateCreated" in found
    risk = read_json(out / "risk.json")
    assert risk["metrics"]["anonymized"] == 1 and risk["metrics"]["failed_checks"] == 0
    assert "alpha" not in str(risk) and str(mcadams_alpha(KEY, "ab12cd", 0.75, 0.9))[:6] not in str(risk)
    again, _ = run_part(tmp_path / "b", {rel: src})
    assert (again / "files" / "sub-ab12cd/beh/sub-ab12cd_task-interview_audio.wav").read_bytes() == raw
    other, _ = run_part(tmp_path / "c", {rel: src}, key=OTHER_KEY)
    other_data, _ = sf.read(other / "files" / "sub-ab12cd/beh/sub-ab12cd_task-interview_audio.wav")
    assert envelope_distance(data, other_data, RATE) > 0.3


@pytest.mark.parametrize("ext,extra", [(".mp3", ()), (".m4a", ("-c:a", "aac")), (".ogg", ("-c:a", "libvorbis")),
                                       (".flac", ())])
def test_lossy_and_flac_inputs_are_released_as_flac_without_tags(tmp_path, vowel, ext, extra):
    wav = tmp_path / "plain.wav"
    sf.write(wav, vowel, RATE, subtype="PCM_16")
    src = tagged_with_ffmpeg(wav, tmp_path / f"in{ext}", *extra)
    assert NAME in subprocess.run(["exiftool", str(src)], capture_output=True, text=True).stdout
    out, manifest = run_part(tmp_path, {f"sub-01/beh/sub-01_task-call_audio{ext}": src})
    assert manifest["produced"] == ["sub-ab12cd/beh/sub-ab12cd_task-call_audio.flac"]
    released = out / "files" / manifest["produced"][0]
    tags = subprocess.run(["exiftool", "-s", "-G1", str(released)], capture_output=True, text=True).stdout
    assert NAME not in tags and "555" not in tags and "2024" not in tags and "Lavf" not in tags
    assert NAME.encode() not in released.read_bytes()
    info = sf.info(released)
    assert info.samplerate == read_audio(src).rate
    assert abs(info.frames - read_audio(src).data.shape[0]) == 0


def test_bad_audio_is_withheld_naming_the_file(tmp_path, vowel):
    good = tmp_path / "good.wav"
    sf.write(good, vowel, RATE, subtype="PCM_16")
    truncated = tmp_path / "cut.wav"
    truncated.write_bytes(good.read_bytes()[:5000])
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"\x00not audio at all" * 50)
    flac_named_mp3 = tmp_path / "fake.mp3"
    sf.write(flac_named_mp3, vowel, RATE, format="FLAC")
    _, manifest = run_part(tmp_path, {
        "sub-01/beh/sub-01_task-a_audio.wav": truncated,
        "sub-01/beh/sub-01_task-b_audio.wav": garbage,
        "sub-01/beh/sub-01_task-c_audio.mp3": flac_named_mp3,
        "sub-01/beh/sub-01_task-d_audio.wav": SCIPY_WAVS / "test-44100Hz-le-1ch-4bytes-early-eof.wav",
        "sub-01/beh/sub-01_task-e_audio.wav": SCIPY_WAVS / "test-8000Hz-le-3ch-5S-36bit.wav",
    })
    assert manifest["produced"] == []
    reasons = {w["source"]: w["reason"] for w in manifest["withheld"]}
    assert "truncated WAV" in reasons["sub-ab12cd/beh/sub-ab12cd_task-a_audio.wav"]
    assert "unknown signature" in reasons["sub-ab12cd/beh/sub-ab12cd_task-b_audio.wav"]
    assert "extension says MP3 but the content is FLAC" in reasons["sub-ab12cd/beh/sub-ab12cd_task-c_audio.mp3"]
    assert "truncated WAV" in reasons["sub-ab12cd/beh/sub-ab12cd_task-d_audio.wav"]
    assert "libsndfile cannot decode" in reasons["sub-ab12cd/beh/sub-ab12cd_task-e_audio.wav"]
    for source, reason in reasons.items():
        assert reason.startswith(source + ":"), reason  # every reason names its file
        assert "sub-01" not in reason


@pytest.mark.parametrize("name", ["test-44100Hz-2ch-32bit-float-be.wav", "test-48000Hz-2ch-64bit-float-le-wavex.wav",
                                  "test-8000Hz-le-3ch-5S-24bit.wav", "test-8000Hz-le-1ch-1byte-ulaw.wav"])
def test_shipped_wav_files_keep_rate_channels_and_length(tmp_path, name):
    """scipy's own WAV test files (big-endian, WAVE_FORMAT_EXTENSIBLE, 3 channels, mu-law) come out readable."""
    src = SCIPY_WAVS / name
    out, manifest = run_part(tmp_path, {"sub-01/beh/sub-01_task-x_audio.wav": src})
    assert manifest["withheld"] == []
    before = read_audio(src)
    data, rate = sf.read(out / "files" / manifest["produced"][0], always_2d=True)
    assert rate == before.rate and data.shape == before.data.shape


def test_drop_and_keep(tmp_path, vowel):
    src = tmp_path / "in.wav"
    sf.write(src, vowel, RATE, subtype="PCM_16")
    rel = "sub-01/beh/sub-01_task-interview_audio.wav"
    _, dropped = run_part(tmp_path / "drop", {rel: src}, AudioConfig.from_config({"standalone": "drop"}))
    assert dropped["produced"] == [] and "audio.standalone is drop" in dropped["withheld"][0]["reason"]
    out, kept = run_part(tmp_path / "keep", {rel: src}, AudioConfig.from_config({"standalone": "keep"}))
    data, _ = sf.read(out / "files" / kept["produced"][0])
    assert np.max(np.abs(data - vowel)) < 1e-4  # the voice itself is unchanged
    risk = read_json(out / "risk.json")
    assert any(c.get("gated", True) is False and c["passed"] is False for c in risk["checks"])
    assert kept["notes"] and "original voice" in kept["notes"][0]


def test_config_errors_name_the_key():
    with pytest.raises(ValueError, match="audio.standalone"):
        AudioConfig.from_config({"standalone": "mute"})
    with pytest.raises(ValueError, match="audio.mcadams_range"):
        AudioConfig.from_config({"mcadams_range": [0.9, 1.2]})


def test_read_audio_refuses_unknown_extension(tmp_path):
    path = tmp_path / "x.aiff"
    path.write_bytes(b"FORM0000AIFF")
    with pytest.raises(AudioError, match="not a supported audio format"):
        read_audio(path)


def test_video_soundtrack_voice_is_anonymized_and_remuxed(tmp_path, vowel):
    """audio.video_soundtrack anonymize: the encoder gets the McAdams-changed voice, the picture is untouched."""
    from deidflow.audio.soundtrack import SoundtrackAnonymizer
    from deidflow.media.config import MediaConfig
    from deidflow.media.faces import FaceBlurrer
    from deidflow.media.videos import deidentify_video

    wav = tmp_path / "voice.wav"
    sf.write(wav, vowel, RATE, subtype="PCM_16")
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=gray:s=64x48:r=10:d=1", "-i", str(wav), "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    "-c:a", "pcm_s16le", "-metadata", f"artist={NAME}", "-shortest", str(tmp_path / "in.mov")],
                   check=True)
    video = tmp_path / "in.mov"
    cfg = MediaConfig()
    blurrer = FaceBlurrer(cfg)

    def soundtrack_of(path: Path) -> np.ndarray:
        out = tmp_path / f"{path.stem}.track.wav"
        subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(path), "-map", "0:a:0",
                        "-ac", "1", "-ar", str(RATE), str(out)], check=True)
        return sf.read(out)[0]

    kept = deidentify_video(video, tmp_path / "kept.mov", MediaConfig(keep_audio=True), blurrer)
    with SoundtrackAnonymizer(AudioConfig(), 0.8) as anonymizer:
        changed = deidentify_video(video, tmp_path / "changed.mov", cfg, blurrer, soundtrack=anonymizer)
        assert anonymizer.count == 1
    assert kept.audio_kept and changed.audio_kept and changed.frames == kept.frames
    original, as_kept, as_changed = (soundtrack_of(p) for p in (video, tmp_path / "kept.mov",
                                                                tmp_path / "changed.mov"))
    n = min(len(original), len(as_kept), len(as_changed))
    assert abs(len(as_changed) - len(original)) < 0.05 * RATE  # duration kept (AAC pads at most a frame)
    kept_distance = envelope_distance(original[:n], as_kept[:n], RATE)
    changed_distance = envelope_distance(original[:n], as_changed[:n], RATE)
    assert changed_distance > kept_distance + 2.0, (kept_distance, changed_distance)
    assert NAME.encode() not in (tmp_path / "changed.mov").read_bytes()


def test_audio_files_are_their_own_kind_and_withheld_when_the_step_is_off():
    from deidflow.bidsname import release_path
    from deidflow.discovery import classify
    from deidflow.steps import enabled_parts, withheld_kinds

    assert classify("sub-01/beh/sub-01_task-interview_audio.wav").kind == "audio"
    assert classify("sub-01/ses-1/eeg/sub-01_ses-1_task-rest_audio.M4A").kind == "audio"
    assert classify("sub-01/interview.wav").kind == "unknown"  # not in a datatype folder: no rule, withheld
    assert withheld_kinds({"steps": {"audio": False}}) == {"audio": "step audio is off (steps.audio: false)"}
    assert "audio" not in enabled_parts({"audio": ("audio",)}, {"steps": {"audio": False}})
    rec = record()
    assert release_path("sub-01/beh/sub-01_task-call_JodiCastro.mp3", rec, default_suffix="audio") == \
        "sub-ab12cd/beh/sub-ab12cd_task-call_audio.mp3"


def test_withheld_reason_never_carries_a_typed_file_name(tmp_path):
    """A corrupt recording whose name holds a person's name is withheld under its rebuilt name only."""
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC" + b"\x00" * 64)
    _, manifest = run_part(tmp_path, {"sub-01/beh/sub-01_task-call_JodiCastro.flac": broken})
    [item] = manifest["withheld"]
    assert item["source"] == "sub-ab12cd/beh/sub-ab12cd_task-call_audio.flac"
    assert "Castro" not in item["reason"] and "sub-01" not in item["reason"]
