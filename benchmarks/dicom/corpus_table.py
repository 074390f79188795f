"""Per-file outcome of pydicom's own test files through the DICOM scrub (the corpus of tests/test_dicom_corpus.py),
one subject per PatientID, with the counts of released and withheld files by reason.

    .venv/bin/python benchmarks/dicom/corpus_table.py > benchmarks/dicom/corpus.md
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

import pydicom  # noqa: E402

from deidflow.dicom.scrub import scrub_subject  # noqa: E402
from deidflow.dicom.steps import settings_for  # noqa: E402
from deidflow.subjects import SubjectRecord  # noqa: E402
from test_dicom_corpus import CFG, KEY, corpus  # noqa: E402

CLEAN_PIXEL_DATA = "113101"


def outcomes() -> list[tuple[str, str, str, str]]:
    """(input relative to pydicom's test data, subject, released|withheld, what was released or why not)."""
    data_dir = Path(pydicom.data.get_testdata_file("CT_small.dcm")).parent
    rows = []
    for index, (patient_id, files) in enumerate(sorted(corpus().items())):
        subject = f"c{index:02d}"
        settings = settings_for(SubjectRecord(patient_id, subject, -30, {}), CFG, KEY)
        result = scrub_subject(files, settings)
        written = {str(ds.SOPInstanceUID): ds for ds in result.written.values()}
        reasons = dict(result.withheld)
        for path in files:
            name = Path(path).relative_to(data_dir).as_posix()
            if path in reasons:
                rows.append((name, subject, "withheld", reasons[path]))
                continue
            uid = str(pydicom.dcmread(path, force=True, stop_before_pixels=True).SOPInstanceUID)
            ds = written.get(settings.uid_map(uid))
            if ds is None:  # a second file with the same SOP Instance UID: one instance is released
                rows.append((name, subject, "released", "(duplicate instance)"))
                continue
            methods = {item.CodeValue for item in ds.DeidentificationMethodCodeSequence}
            what = f"{ds.get('Modality', '')} / {pydicom.uid.UID(ds.SOPClassUID).name}"
            if CLEAN_PIXEL_DATA in methods:
                what += " / pixels cleaned by OCR, verified"
            rows.append((name, subject, "released", what))
    return rows


def reason_class(reason: str) -> str:
    """A withheld file's reason without its file-specific detail (for the counts)."""
    return reason.split(" (")[0].split(";")[0]


def main() -> None:
    start = time.perf_counter()
    rows = outcomes()
    elapsed = time.perf_counter() - start
    released = [r for r in rows if r[2] == "released"]
    cleaned = [r for r in released if r[3].endswith("verified")]
    withheld = collections.Counter(reason_class(r[3]) for r in rows if r[2] == "withheld")
    print(f"# pydicom test files through the DICOM scrub ({len(rows)} inputs, {elapsed:.1f} s incl. OCR)\n")
    print(f"Released {len(released)} (of which {len(cleaned)} with burned-in text cleaned by OCR and verified by a "
          f"second OCR pass), withheld {sum(withheld.values())}:\n")
    for reason, count in withheld.most_common():
        print(f"- {count} {reason}")
    print("\n| input | subject | outcome | modality / SOP class, or reason |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
