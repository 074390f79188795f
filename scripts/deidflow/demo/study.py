"""Build a whole demo study (or a small test fixture): tables plus every modality generator that is available."""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path

from .people import Person, make_people
from .tables import write_tables

MODALITIES = ("dicom", "nifti", "media", "transcripts")
MODALITIES += ("eeg",)  # an EDF+ recording with its BIDS sidecars (deidflow.demo.eeg)
MODALITIES = (*MODALITIES, "documents")  # session notes as .docx (released de-identified by the document part)
MODALITIES += ("audio",)  # issue 19: an interview recording per subject (deidflow.demo.audio)


def write_extras(study_dir: Path, person: Person) -> None:
    """The subject's scans table (released with shifted acquisition times, rows of released files only) and a file
    no rule de-identifies (session notes as an Apple Pages file), to show the release withholds it."""
    subject = study_dir / f"sub-{person.label}"
    subject.mkdir(parents=True, exist_ok=True)
    (subject / f"sub-{person.label}_scans.tsv").write_text(
        f"filename\tacq_time\nanat/sub-{person.label}_T1w.nii.gz\t{person.visit_date}T09:30:00\n"
        f"beh/sub-{person.label}_task-interview_transcript.txt\t{person.visit_date}T10:15:00\n")
    (subject / "beh").mkdir(exist_ok=True)
    (subject / "beh" / f"sub-{person.label}_session-notes.pages").write_bytes(
        f"Session notes for {person.full_name}".encode())


def make_study(
    out: str | Path, n_subjects: int, seed: int, *, small: bool = False, modalities: tuple[str, ...] = MODALITIES
) -> list[Person]:
    """Write a BIDS-like study with n fake participants; the same seed writes the same study."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty; remove it or pick another folder")
    people = make_people(n_subjects, seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "dataset_description.json").write_text(json.dumps({
        "Name": "Cedar Hill memory clinic study (demo, fake people)",
        "BIDSVersion": "1.10.0",
        "DatasetType": "raw",
        "Authors": ["Dr. Demo Investigator"],
        "Acknowledgements": "Recruited at Cedar Hill General Hospital",
    }, indent=2) + "\n")
    write_tables(out, people, seed)
    generators = []
    for name in modalities:
        try:
            generators.append((name, importlib.import_module(f"deidflow.demo.{name}")))
        except ModuleNotFoundError:
            print(f"demo study: no {name} generator yet; skipping {name} files")
    for index, person in enumerate(people):
        write_extras(out, person)
        for name, module in generators:
            module.write(out, person, random.Random(seed * 1000 + index * 10 + MODALITIES.index(name)), small=small)
    return people
