"""Per-file outcome of pydicom's own test files through the DICOM scrub (the corpus of tests/test_dicom_corpus.py),
one subject per PatientID. Usage: .venv/bin/python benchmarks/dicom/corpus_table.py > benchmarks/dicom/corpus.md"""
import sys, os, collections, time
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "scripts"), os.path.join(ROOT, "tests")]
import pydicom
from test_dicom_corpus import corpus, CFG, KEY
from deidflow.dicom.steps import settings_for
from deidflow.dicom.scrub import scrub_subject
from deidflow.subjects import SubjectRecord
rows=[]; t=time.time()
for i,(pid, fs) in enumerate(sorted(corpus().items())):
    st = settings_for(SubjectRecord(pid, f"c{i:02d}", -30, {}), CFG, KEY)
    r = scrub_subject(fs, st)
    by_uid = {str(ds.SOPInstanceUID): ds for ds in r.written.values()}
    reasons = dict(r.withheld)
    for f in fs:
        name = os.path.relpath(f, os.path.dirname(pydicom.data.get_testdata_file("CT_small.dcm")))
        if f in reasons:
            rows.append((name, f"c{i:02d}", "withheld", reasons[f])); continue
        uid = str(pydicom.dcmread(f, force=True, stop_before_pixels=True).SOPInstanceUID)
        ds = by_uid.get(st.uid_map(uid))
        if ds is None: rows.append((name, f"c{i:02d}", "released", "(duplicate instance)")); continue
        cleaned = "113101" in {it.CodeValue for it in ds.DeidentificationMethodCodeSequence}
        rows.append((name, f"c{i:02d}", "released", f"{ds.get('Modality','')} / {pydicom.uid.UID(ds.SOPClassUID).name}" + (" / pixels cleaned by OCR, verified" if cleaned else "")))
elapsed = round(time.time() - t, 1)
print(f"# pydicom test files through the DICOM scrub ({len(rows)} inputs, {elapsed} s)\n")
print("| input | subject | outcome | modality / SOP class, or reason |\n|---|---|---|---|")
for r in rows: print("| " + " | ".join(r) + " |")
