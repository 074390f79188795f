"""One subject's audio recordings into the `audio` part: voice anonymized (or dropped, or kept when the config says
so), written fresh without metadata, verified, withheld with a reason when it cannot be read."""

from __future__ import annotations

import logging
import os
from pathlib import Path, PurePosixPath
from typing import Iterable

from ..bidsname import BidsNameError, plan_names, withhold_misnamed
from ..parts import PartWriter
from ..subjects import SubjectRecord, pseudonymize_path
from .config import AudioConfig
from .files import AudioError, output_format, read_audio, write_audio
from .keys import mcadams_alpha
from .mcadams import anonymize_channels
from .measure import envelope_distance

SUFFIX = "audio"
# Tags a freshly written WAV or FLAC carries by itself: the format, never a person, place or date.
STRUCTURAL_TAGS = {
    "RIFF:Encoding", "RIFF:NumChannels", "RIFF:SampleRate", "RIFF:AvgBytesPerSec", "RIFF:BitsPerSample",
    "FLAC:BlockSizeMin", "FLAC:BlockSizeMax", "FLAC:FrameSizeMin", "FLAC:FrameSizeMax", "FLAC:SampleRate",
    "FLAC:Channels", "FLAC:BitsPerSample", "FLAC:TotalSamples", "FLAC:MD5Signature", "Composite:Duration",
}
STRUCTURAL_GROUPS = ("ExifTool:", "System:", "File:")
VENDOR = "Vorbis:Vendor"  # libFLAC's own name and version, written into every FLAC
# Input tags that hold the format or the encoding software, not something about a person.
INPUT_FORMAT_TAGS = {"Encoding", "NumChannels", "SampleRate", "AvgBytesPerSec", "BitsPerSample", "Duration",
                     "Vendor", "Encoder", "EncoderSettings", "Software", "MPEGAudioVersion", "AudioLayer",
                     "AudioBitrate", "ChannelMode", "MSStereo", "IntensityStereo", "CopyrightFlag", "OriginalMedia",
                     "Emphasis", "VorbisVersion", "AudioChannels", "NominalBitrate", "ID3Size", "MD5Signature"}
MIN_ENVELOPE_DB = 1.0  # below this the voice's spectral envelope barely moved (reported, not gated)


def disallowed_tags(path: str | os.PathLike) -> list[str]:
    """Names of tags exiftool finds in a released audio file beyond its format description (values never shown)."""
    from ..media.metadata import read_tags

    found = []
    for key, value in read_tags(path):
        if key.startswith(STRUCTURAL_GROUPS) or key in STRUCTURAL_TAGS:
            continue
        if key == VENDOR and isinstance(value, str) and value.startswith("reference libFLAC"):
            continue
        found.append(key)
    return sorted(set(found))


def identifying_values(src: str | os.PathLike) -> list[tuple[str, str]]:
    """(value, kind) pairs of the input's free-text tags (title, artist, comment, dates), for the leak scan."""
    from ..media.metadata import readable_tags

    values = []
    for key, value in readable_tags(src):
        group, _, name = key.partition(":")
        if group in ("ExifTool", "System", "File", "Composite") or name in INPUT_FORMAT_TAGS:
            continue
        text = str(value).strip()
        if text.startswith("(comment) "):
            text = text[len("(comment) "):]
        if len(text) >= 4 and not text.replace(".", "").isdigit():
            values.append((text, f"audio:{name}"))
    return values


def _released_name(rel: str, ext: str) -> str:
    path = PurePosixPath(rel)
    return str(path.with_name(path.stem + ext))


def process_subject(inputs: Iterable[str | os.PathLike], bids_dir: str | os.PathLike, record: SubjectRecord,
                    cfg: AudioConfig, key: bytes, writer: PartWriter, log: logging.Logger, scanner=None) -> dict:
    """De-identify every audio file of one subject into `writer`; returns (and writes) the risk section `audio`.
    The voice change uses the subject's keyed McAdams coefficient (`keys.mcadams_alpha`), never recorded."""
    sources = {Path(os.path.relpath(p, bids_dir)).as_posix(): Path(p) for p in inputs}
    names = plan_names(sources, record, default_suffix=SUFFIX, scanner=scanner)
    alpha = mcadams_alpha(key, record.pseudonym, cfg.mcadams_min, cfg.mcadams_max)
    metrics = {"files": 0, "released": 0, "withheld": 0, "anonymized": 0, "kept_voice": 0, "dropped": 0,
               "seconds": 0.0, "failed_checks": 0}
    checks: list[dict] = []
    for relpath, src in sorted(sources.items()):
        metrics["files"] += 1
        rel = names[relpath]
        if isinstance(rel, BidsNameError):
            withhold_misnamed(writer, relpath, record, rel, log)
            metrics["withheld"] += 1
            continue
        if cfg.standalone == "drop":
            writer.withhold(rel, "audio.standalone is drop: voice recordings are not released")
            metrics["withheld"] += 1
            metrics["dropped"] += 1
            continue
        try:
            audio = read_audio(src)
        except AudioError as exc:
            reason = pseudonymize_path(f"{rel}: {exc}".replace(src.name, PurePosixPath(rel).name), record)
            writer.withhold(rel, reason)
            metrics["withheld"] += 1
            log.warning("withheld %s", reason)
            continue
        writer.add_identifiers(identifying_values(src))
        ext, subtype = output_format(audio, cfg.lossy_as)
        out_rel = _released_name(rel, ext)
        dst = writer.path(out_rel)
        if cfg.standalone == "anonymize":
            data = anonymize_channels(audio.data, audio.rate, alpha, **cfg.options)
        else:
            data = audio.data
        write_audio(dst, data, audio.rate, subtype)
        metrics["released"] += 1
        metrics["seconds"] += round(audio.seconds, 3)
        file_checks = verify(dst, out_rel, audio, data, cfg)
        checks += file_checks
        metrics["failed_checks"] += sum(c["passed"] is False and c.get("gated", True) for c in file_checks)
        if cfg.standalone == "anonymize":
            metrics["anonymized"] += 1
        else:
            metrics["kept_voice"] += 1
        log.info("%s: %.2f s at %d Hz, %d channel(s), %s -> %s", out_rel, audio.seconds, audio.rate,
                 audio.data.shape[1], audio.fmt, ext[1:])
    if metrics["kept_voice"]:
        writer.note(f"{metrics['kept_voice']} audio file(s) released with the original voice (audio.standalone: "
                    "keep): a voice identifies its speaker")
        checks.append({"name": "voices in released audio are anonymized", "passed": False, "gated": False,
                       "detail": f"audio.standalone is keep: {metrics['kept_voice']} file(s) carry the original "
                                 "voice (metadata removed)"})
    metrics["seconds"] = round(metrics["seconds"], 3)
    section = {"section": "audio", "title": "Audio: voices and metadata", "metrics": metrics, "checks": checks,
               "figures": [], "tables": [],
               "method": {"standalone": cfg.standalone, "voice": "McAdams coefficient (VoicePrivacy B2), keyed per "
                          f"subject in [{cfg.mcadams_min}, {cfg.mcadams_max}]" if cfg.standalone == "anonymize"
                          else cfg.standalone}}
    writer.risk(section)
    return section


def verify(dst: Path, rel: str, audio, data, cfg: AudioConfig) -> list[dict]:
    """Independent checks of one released file: exiftool finds only format tags; it decodes to the input's length,
    rate and channels; with anonymize, how far the spectral envelope moved (reported)."""
    import soundfile as sf

    checks = []
    tags = disallowed_tags(dst)
    checks.append({"name": f"only format metadata in {rel}", "passed": not tags,
                   "detail": f"exiftool finds {', '.join(tags)}" if tags else "exiftool finds only format tags"})
    info = sf.info(dst)
    same = (info.frames, info.samplerate, info.channels) == (audio.data.shape[0], audio.rate, audio.data.shape[1])
    checks.append({"name": f"duration, rate and channels kept in {rel}", "passed": same,
                   "detail": f"{info.frames} frames at {info.samplerate} Hz, {info.channels} channel(s)"
                   + ("" if same else f"; input {audio.data.shape[0]} frames at {audio.rate} Hz")})
    if cfg.standalone == "anonymize":
        distance = envelope_distance(audio.data.mean(axis=1), data.mean(axis=1), audio.rate)
        checks.append({"name": f"voice envelope moved in {rel}", "passed": distance >= MIN_ENVELOPE_DB,
                       "gated": False, "value": round(distance, 2), "limit": MIN_ENVELOPE_DB,
                       "higher_is_better": True,
                       "detail": f"LPC spectral-envelope distance {distance:.1f} dB between input and release"})
    return checks
