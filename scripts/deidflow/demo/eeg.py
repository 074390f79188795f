"""A demo EEG recording per subject: a tiny EDF+ file whose header and annotations carry the participant's name,
birth date, record number, physician and phone (as real clinical exports do), plus its BIDS sidecars."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

from .people import Person

CHANNELS = ("Fz", "Cz", "Pz", "Oz")
RATE = 64  # samples per second (one data record per second)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _field(text: str, width: int) -> bytes:
    raw = text.encode("ascii", "replace")[:width]
    return raw + b" " * (width - len(raw))


def _edf_date(day) -> str:
    return f"{day.day:02d}-{MONTHS[day.month - 1]}-{day.year}"


def edf_bytes(person: Person, rng: random.Random, seconds: int) -> bytes:
    """An EDF+C file: 4 EEG channels of noise and an annotation signal, header fields filled the EDF+ way."""
    physician = person.physician.removeprefix("Dr. ").replace(" ", "_")
    patient = f"{person.label} {person.sex} {_edf_date(person.date_of_birth)} {person.first_name}_{person.last_name}"
    recording = f"Startdate {_edf_date(person.visit_date)} {person.national_id} Dr_{physician} Cedar_Hill_EEG_1"
    annotations = [(0.5, "S  1"), (1.2, f"{person.full_name} reported a headache, call {person.phone}"),
                   (1.6, "eyes closed")]
    annotation_samples = 48  # 96 bytes per record for the annotation lists
    signals = len(CHANNELS) + 1
    labels = [f"EEG {c}" for c in CHANNELS] + ["EDF Annotations"]
    header = [b"0       ", _field(patient, 80), _field(recording, 80),
              _field(person.visit_date.strftime("%d.%m.%y"), 8), _field("09.45.00", 8),
              _field(str(256 * (signals + 1)), 8), _field("EDF+C", 44), _field(str(seconds), 8), _field("1", 8),
              _field(str(signals), 4)]
    columns = [
        (labels, 16), (["AgAgCl electrode"] * len(CHANNELS) + [""], 80), (["uV"] * len(CHANNELS) + [""], 8),
        (["-500"] * len(CHANNELS) + ["-1"], 8), (["500"] * len(CHANNELS) + ["1"], 8),
        (["-32768"] * signals, 8), (["32767"] * signals, 8), (["HP:0.1Hz LP:40Hz"] * len(CHANNELS) + [""], 80),
        ([str(RATE)] * len(CHANNELS) + [str(annotation_samples)], 8), ([""] * signals, 32),
    ]
    for values, width in columns:
        header += [_field(v, width) for v in values]
    body = []
    for second in range(seconds):
        for _ in CHANNELS:
            body.append(struct.pack(f"<{RATE}h", *(rng.randint(-2000, 2000) for _ in range(RATE))))
        tals = f"+{second}\x14\x14\x00".encode()
        for onset, text in annotations:
            if second <= onset < second + 1:
                tals += f"+{onset}\x150\x14{text}\x14\x00".encode()
        body.append(tals.ljust(annotation_samples * 2, b"\x00"))
    return b"".join(header) + b"".join(body)


def write(study_dir: Path, person: Person, rng: random.Random, *, small: bool = False) -> None:
    """sub-<label>/eeg/: a resting EEG (EDF+) with _eeg.json, _channels.tsv and _events.tsv."""
    folder = study_dir / f"sub-{person.label}" / "eeg"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"sub-{person.label}_task-rest"
    seconds = 2 if small else 4
    (folder / f"{stem}_eeg.edf").write_bytes(edf_bytes(person, rng, seconds))
    (folder / f"{stem}_eeg.json").write_text(json.dumps({
        "TaskName": "rest", "TaskDescription": f"Resting state, eyes closed; {person.first_name} was calm",
        "SamplingFrequency": RATE, "PowerLineFrequency": 60, "EEGReference": "linked mastoids",
        "SoftwareFilters": "n/a",
        "EEGChannelCount": len(CHANNELS), "RecordingDuration": seconds, "RecordingType": "continuous",
        "InstitutionName": person.hospital, "InstitutionAddress": f"{person.street_address}, {person.city}",
        "Manufacturer": "DemoAmp", "DeviceSerialNumber": f"SN{rng.randint(10000, 99999)}",
        "Operator": person.physician,
    }, indent=2) + "\n")
    (folder / f"{stem}_channels.tsv").write_text(
        "name\ttype\tunits\tstatus\tnotes\n" + "".join(f"{c}\tEEG\tuV\tgood\t\n" for c in CHANNELS[:-1])
        + f"{CHANNELS[-1]}\tEEG\tuV\tbad\trechecked by {person.physician}\n")
    (folder / f"{stem}_events.tsv").write_text(
        "onset\tduration\ttrial_type\tvalue\n0.5\t0\tS  1\t1\n"
        f"1.2\t0\t{person.full_name} reported a headache, call {person.phone}\tn/a\n1.6\t0\teyes closed\tn/a\n")
