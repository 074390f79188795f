"""One video: decoded, faces replaced with temporal dilation, re-encoded with only allowed streams and no metadata."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import imageio_ffmpeg
import numpy as np

from .config import MediaConfig
from .faces import FaceBlurrer
from .metadata import ffmpeg
from .probe import VIDEO_FORMATS, MediaError, check_format

MUXER = {"mp4": "mp4", "mov": "mov", "avi": "avi", "mkv": "matroska", "webm": "webm"}
CLEAN_FLAGS = ["-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1",
               "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]


@dataclass(frozen=True)
class VideoResult:
    """What happened to one video."""

    frames: int
    fps: str
    width: int
    height: int
    frames_with_faces: int
    audio_kept: bool


def frame_rate(fps: float) -> Fraction:
    """The exact rate behind ffmpeg's rounded figure (29.97 -> 30000/1001)."""
    for base in (24, 30, 48, 60, 120):
        ntsc = Fraction(base * 1000, 1001)
        if abs(float(ntsc) - fps) < 0.006:
            return ntsc
    return Fraction(fps).limit_denominator(1000)


def open_video(path: str | os.PathLike, output_params: list[str] | None = None) -> tuple[dict, Iterator[np.ndarray]]:
    """The stream's metadata (fps, size, codecs) and an iterator over its RGB frames; MediaError when unreadable."""
    try:
        reader = imageio_ffmpeg.read_frames(str(path), output_params=output_params)
        meta = next(reader)
    except (RuntimeError, OSError, StopIteration) as exc:
        raise MediaError(f"ffmpeg cannot decode the video (unsupported codec or corrupt): {str(exc)[-300:]}") from None
    if not meta.get("size") or not meta.get("fps"):
        reader.close()
        raise MediaError("no decodable video stream")
    width, height = meta["size"]

    def frames() -> Iterator[np.ndarray]:
        try:
            for raw in reader:
                yield np.frombuffer(raw, np.uint8).reshape(height, width, 3).copy()
        except (RuntimeError, OSError, ValueError) as exc:
            raise MediaError(f"ffmpeg failed while decoding the video: {str(exc)[-300:]}") from None
        finally:
            reader.close()

    return meta, frames()


def encoder_command(dst: Path, fmt: str, width: int, height: int, rate: Fraction, src: Path | None,
                    cfg: MediaConfig) -> list[str]:
    """ffmpeg command that encodes raw RGB frames from stdin (plus, if kept, the source's first audio stream)."""
    cmd = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{width}x{height}", "-framerate", str(rate), "-i", "-"]
    if src is not None:
        cmd += ["-i", str(src), "-map", "0:v:0", "-map", "1:a:0",
                "-c:a", "libopus" if fmt == "webm" else "aac", "-b:a", "128k"]
    else:
        cmd += ["-map", "0:v:0", "-an"]
    cmd += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p"]
    if fmt == "webm":
        cmd += ["-c:v", "libvpx-vp9", "-crf", str(cfg.video_crf + 12), "-b:v", "0", "-deadline", "realtime",
                "-cpu-used", "8", "-row-mt", "1"]
    else:
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(cfg.video_crf)]
    return [*cmd, *CLEAN_FLAGS, "-f", MUXER[fmt], str(dst)]


def deidentify_video(src: str | os.PathLike, dst: str | os.PathLike, cfg: MediaConfig,
                     blurrer: FaceBlurrer, soundtrack=None) -> VideoResult:
    """Write a face-blurred copy of `src` at `dst`, same container and frame rate, no metadata; MediaError if not.
    `soundtrack` (e.g. `deidflow.audio.soundtrack.SoundtrackAnonymizer`): called with `src`, returns an audio file
    (the voice anonymized) that replaces the source's soundtrack."""
    src, dst = Path(src), Path(dst)
    fmt = check_format(src, VIDEO_FORMATS)
    meta, frames = open_video(src)
    width, height = meta["size"]
    rate = frame_rate(float(meta["fps"]))
    audio = (cfg.keep_audio or soundtrack is not None) and bool(meta.get("audio_codec"))
    track = soundtrack(src) if audio and soundtrack is not None else (src if audio else None)
    proc = subprocess.Popen(encoder_command(dst, fmt, width, height, rate, track, cfg),
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    count = with_faces = 0
    try:
        for frame, faces in blurrer.anonymize_stream(frames):
            proc.stdin.write(frame.tobytes())
            count += 1
            with_faces += faces > 0
    except BrokenPipeError:
        pass
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if proc.stdin and not proc.stdin.closed:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise MediaError(f"ffmpeg could not encode the output: {err.strip()[-300:]}")
    if count == 0:
        raise MediaError("the video has no frames")
    return VideoResult(frames=count, fps=str(rate), width=width, height=height, frames_with_faces=with_faces,
                       audio_kept=audio)
