"""Demo photos and a short video of a participant's face, with every kind of metadata a camera or phone plants."""

from __future__ import annotations

import io
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin
from skimage import data

from ..media.metadata import exiftool, ffmpeg

FACE_BOX = (150, 30, 300, 210)  # x1, y1, x2, y2 of the astronaut's face in skimage.data.astronaut()


def astronaut(size: int) -> Image.Image:
    """The bundled astronaut photo scaled to size x size."""
    return Image.fromarray(data.astronaut()).resize((size, size), Image.Resampling.LANCZOS)


def _gps(rng: random.Random) -> tuple[float, float]:
    return round(rng.uniform(25, 48), 5), round(rng.uniform(-122, -71), 5)


def plant_jpeg_metadata(path: Path, person, rng: random.Random, *, orientation: int = 1) -> None:
    """EXIF (GPS, camera, serial, owner, thumbnail of the face), XMP, IPTC, a comment and a trailer after EOI."""
    lat, lon = _gps(rng)
    with Image.open(path) as image:
        thumb = io.BytesIO()
        image.convert("RGB").resize((160, 160)).save(thumb, "JPEG", quality=80)
    with tempfile.NamedTemporaryFile(suffix=".jpg") as tmp:
        Path(tmp.name).write_bytes(thumb.getvalue())
        subprocess.run([
            exiftool(), "-q", "-q", "-overwrite_original",
            "-Make=Pixelphone", "-Model=PX-7 Pro", "-SerialNumber=SN8841-2291", "-LensSerialNumber=L77120",
            f"-Artist={person.full_name}", f"-OwnerName={person.full_name}", f"-Copyright={person.full_name}",
            f"-ImageDescription=Visit photo of {person.full_name}, {person.street_address}",
            f"-UserComment={person.email}", f"-DateTimeOriginal={person.visit_date:%Y:%m:%d} 10:15:00",
            f"-GPSLatitude={lat}", "-GPSLatitudeRef=N", f"-GPSLongitude={-lon}", "-GPSLongitudeRef=W",
            f"-XMP-dc:Creator={person.full_name}", f"-XMP-dc:Description={person.full_name} at {person.city}",
            f"-XMP-photoshop:City={person.city}", f"-IPTC:By-line={person.full_name}", f"-IPTC:City={person.city}",
            f"-Comment=Participant {person.full_name} ({person.phone})", f"-ThumbnailImage<={tmp.name}",
            f"-Orientation#={orientation}", "--", str(path),
        ], check=True)
    with open(path, "ab") as fh:  # a trailer, as phones append depth maps or edit history after the image
        fh.write(f"TRAILER {person.full_name} {person.phone}".encode())


def write_png(path: Path, image: Image.Image, person) -> None:
    """A PNG with tEXt, zTXt and iTXt chunks and an eXIf chunk naming the person."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", person.full_name)
    info.add_text("Comment", f"{person.email} {person.phone}", zip=True)
    info.add_itxt("Description", f"Photo of {person.full_name} in {person.city}", lang="en")
    exif = Image.Exif()
    exif[0x013B] = person.full_name  # Artist
    image.save(path, "PNG", pnginfo=info, exif=exif.tobytes())


def write_photos(folder: Path, person, rng: random.Random, *, small: bool = False) -> list[Path]:
    """Astronaut photos: scaled, mirrored, and stored sideways with an EXIF Orientation tag, as JPEG and PNG."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"sub-{person.label}"
    size = 256 if small else 512
    upright = astronaut(size)
    out = []
    variants = [("portrait", upright, 1), ("mirrored", upright.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 1),
                # stored rotated; Orientation 6 tells viewers to turn it 90 degrees clockwise to show it upright
                ("sideways", upright.transpose(Image.Transpose.ROTATE_90), 6)]
    if not small:
        variants.append(("large", astronaut(1024), 1))
    for name, image, orientation in variants:
        path = folder / f"{stem}_acq-{name}_photo.jpg"
        image.save(path, "JPEG", quality=90)
        plant_jpeg_metadata(path, person, rng, orientation=orientation)
        out.append(path)
    path = folder / f"{stem}_acq-png_photo.png"
    write_png(path, astronaut(size // 2 if small else size), person)
    out.append(path)
    return out


def moving_face_frames(width: int, height: int, n: int, rng: random.Random) -> list[np.ndarray]:
    """Frames of the astronaut's head sliding across a plain background."""
    face = int(min(width, height) * 0.6)
    head = np.asarray(Image.fromarray(data.astronaut()).crop((110, 0, 340, 260)).resize((face, face)))
    background = np.full((height, width, 3), (rng.randint(40, 90), 110, 150), np.uint8)
    frames = []
    for i in range(n):
        x = int((width - face) * i / max(1, n - 1))
        y = (height - face) // 2
        frame = background.copy()
        frame[y:y + face, x:x + face] = head
        frames.append(frame)
    return frames


def write_video(path: Path, person, rng: random.Random, *, small: bool = False, width: int | None = None,
                height: int | None = None, seconds: float = 2.0, fps: int = 12) -> Path:
    """An MP4 (H.264) with audio, a subtitle track and container metadata: title, GPS location, creation time."""
    width, height = width or (320 if small else 640), height or (240 if small else 480)
    frames = moving_face_frames(width, height, int(seconds * fps), rng)
    lat, lon = _gps(rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        srt = Path(tmp) / "subs.srt"
        srt.write_text(f"1\n00:00:00,000 --> 00:00:01,000\n{person.full_name} at {lat}, {lon}\n")
        cmd = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "-",
               "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-i", str(srt),
               "-map", "0:v", "-map", "1:a", "-map", "2:s", "-c:v", "libx264", "-preset", "ultrafast",
               "-pix_fmt", "yuv420p", "-c:a", "aac", "-c:s", "mov_text",
               "-metadata", f"title=Interview with {person.full_name}",
               "-metadata", f"artist={person.full_name}", "-metadata", f"comment={person.email}",
               "-metadata", f"location={lat:+.4f}{lon:+.4f}/",
               "-metadata", f"creation_time={person.visit_date:%Y-%m-%d}T10:15:00Z",
               "-metadata:s:v:0", f"handler_name=Camera of {person.full_name}", str(path)]
        subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=True)
    return path


def write(study_dir: Path, person, rng: random.Random, *, small: bool = False) -> list[Path]:
    """Write one participant's photos (sub-<label>/photo/) and interview video (sub-<label>/beh/)."""
    subject = Path(study_dir) / f"sub-{person.label}"
    files = write_photos(subject / "photo", person, rng, small=small)
    files.append(write_video(subject / "beh" / f"sub-{person.label}_task-interview_video.mp4", person, rng,
                             small=small))
    return files
