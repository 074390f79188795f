"""Identifiers in every form people write them: deidflow.forms and the leak scan that searches them, on an
adversarial release that plants each form in text, file names, DICOM elements (pydicom's own test files), a NIfTI
header, JSON values, TSV cells and UTF-16 text without a byte-order mark."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from deidflow.forms import fold, forms
from deidflow.risk.leaks import Scanner, build_needles, scan_tree
from deidflow.risk.leaks_section import leak_scan_section

P = "ab12"  # the subject's pseudonym
IDS = {"subjects": {P: [
    {"value": "José Bóthar", "kind": "name", "column": "full_name"},
    {"value": "Jodi Castro", "kind": "name", "column": "emergency_contact"},
    {"value": "Rua das Flores 88, 4050-262 Porto", "kind": "address", "column": "street_address"},
    {"value": "+1 (589) 414-1537", "kind": "phone", "column": "phone"},
    {"value": "jbothar77@example.org", "kind": "email", "column": "email"},
    {"value": "512-44-9081", "kind": "id", "column": "national_id"},
    {"value": "1961-07-04", "kind": "date", "column": "date_of_birth"},
    {"value": "A7Q2", "kind": "id", "column": "record_number"},
    {"value": "Chad Young", "kind": "name", "column": "relative"},
]}, "global": []}

# (release-relative path, content, identifier kind the scan must name). Every file is the subject's own.
TEXT_PLANTS = [
    ("joined.txt", "Photo taken by JodiCastro last week.", "name"),
    ("snake.txt", "user jodi_castro logged in", "name"),
    ("dotted.txt", "mail jodi.castro about it", "name"),
    ("initial.txt", "Seen by J. Castro on the ward.", "name"),
    ("surname.txt", "Mrs Bothar came alone.", "name"),
    ("diacritics.txt", "Bóthar, José signed the form.", "name"),
    ("dicom_style.txt", "CASTRO^JODI", "name"),
    ("street.txt", "She lives on Rua das Flores 88 in town.", "address"),
    ("town.txt", "She moved to Porto last year.", "address"),
    ("postcode.txt", "Postcode 4050-262 on the letter.", "address"),
    ("phone_slash.txt", "Call 589/414/1537 now.", "phone"),
    ("phone_cc.txt", "Call +1 589 414 1537 now.", "phone"),
    ("phone_dots.txt", "Call 1.589.414.1537 now.", "phone"),
    ("email_local.txt", "her handle is jbothar77 everywhere", "email"),
    ("id_compact.txt", "SSN 512449081 on file", "id"),
    ("id_spaces.txt", "SSN 512 44 9081 on file", "id"),
    ("date_iso.txt", "born 1961-07-04", "date"),
    ("date_dicom.txt", "DOB 19610704", "date"),
    ("date_dmy.txt", "born 04/07/1961", "date"),
    ("date_mdy.txt", "born 7/4/1961", "date"),
    ("date_dots.txt", "born 04.07.1961", "date"),
    ("date_long_eu.txt", "born 4 July 1961", "date"),
    ("date_long_us.txt", "born July 4, 1961", "date"),
    ("date_ordinal.txt", "born on the 4th of July 1961", "date"),
    ("date_short_year.txt", "born 4th Jul '61", "date"),
]


def _dicom_with(tmp: Path) -> bytes:
    """pydicom's CT_small.dcm with a short record number, a surname alone in a private element and a nested name."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName = "Anon^Subject"
    ds.PatientID = "XYZ0001"
    ds.OtherPatientIDs = "A7Q2"  # 4 characters: never searched in raw binary
    block = ds.private_block(0x0011, "DEIDFLOW TEST", create=True)
    block.add_new(0x01, "LO", "Castro")
    ds.ReferencedPatientSequence = [pydicom.Dataset()]
    ds.ReferencedPatientSequence[0].PatientBirthDate = "19610704"
    path = tmp / "x.dcm"
    ds.save_as(path)
    return path.read_bytes()


def _nifti_with(tmp: Path) -> bytes:
    image = nib.Nifti1Image(np.zeros((4, 4, 4), dtype=np.int16), np.eye(4))
    image.header["descrip"] = b"Bothar"
    path = tmp / "x.nii.gz"
    nib.save(image, path)
    return path.read_bytes()


def plant(release: Path) -> list[tuple[str, str]]:
    """Write the adversarial release; return the (file, kind) pairs a complete scan reports."""
    base = f"sub-{P}"
    expected = []
    for name, text, kind in TEXT_PLANTS:
        rel = f"{base}/beh/{name}"
        (release / rel).parent.mkdir(parents=True, exist_ok=True)
        (release / rel).write_text(text, encoding="utf-8")
        expected.append((rel, kind))
    structured = {
        f"{base}/beh/utf16_no_bom.txt": ("Notes from Jodi Castro's visit.".encode("utf-16-le"), "name"),
        f"{base}/beh/utf32_no_bom.txt": ("Call Mr Bothar.".encode("utf-32-be"), "name"),
        f"{base}/anat/{base}_T1w.json": (json.dumps({"Operator": "Jos\u00e9"}).encode(), "name"),
        f"{base}/beh/{base}_records.tsv": (f"participant_id\trecord\nsub-{P}\tA7Q2\n".encode(), "id"),
        f"sourcedata/dicom/{base}/series-001/0001.dcm": (_dicom_with(release), "id"),
        f"{base}/anat/{base}_T1w.nii.gz": (_nifti_with(release), "name"),
    }
    for rel, (data, kind) in structured.items():
        (release / rel).parent.mkdir(parents=True, exist_ok=True)
        (release / rel).write_bytes(data)
        expected.append((rel.replace(".nii.gz", ".nii.gz (decompressed)"), kind))
    (release / "x.dcm").unlink()
    (release / "x.nii.gz").unlink()
    name_rel = f"{base}/photo/{base}_JodiCastro.jpg"
    (release / name_rel).parent.mkdir(parents=True, exist_ok=True)
    (release / name_rel).write_bytes(b"\xff\xd8\xff\xd9")
    expected.append((name_rel, "name"))
    return expected


def test_forms_are_folded_and_common_words_are_reported_not_blocking():
    names = {f.text: f for f in forms("José Bóthar", "name")}
    assert {"jose", "bothar", "josebothar", "jose_bothar", "j. bothar", "jbothar", "bothar^jose", "bothar, jose"} \
        <= set(names)
    young = {f.text: f for f in forms("Chad Young", "name")}
    assert not young["young"].blocking and young["young"].reason == "common word"
    assert young["chad"].blocking and young["chad young"].blocking
    porto = {f.text: f for f in forms("Rua das Flores 88, 4050-262 Porto", "address", allow=["Porto"])}
    assert {"rua das flores 88", "88 rua das flores", "4050-262", "4050262"} <= set(porto)
    assert not porto["porto"].blocking and porto["porto"].reason == "on text.allow_list"
    phone = {f.text for f in forms("+1 (589) 414-1537", "phone") if f.digits}
    assert {"5894141537", "15894141537"} <= phone
    dates = {f.text for f in forms("1961-07-04", "date")}
    assert {"the 4th of july 1961".removeprefix("the "), "4th jul '61", "july 4, 1961", "19610704"} <= dates
    assert fold("Bóthar ØSTERGAARD Straße") == "bothar ostergaard strasse"


def test_every_planted_form_is_found_by_kind_and_never_by_value(tmp_path: Path):
    release = tmp_path / "release"
    expected = plant(release)
    hits = scan_tree(release, Scanner(build_needles(IDS)))
    blocking = {(h.file, h.kind) for h in hits if h.blocking}
    missed = [e for e in expected if e not in blocking]
    assert not missed, missed
    for hit in hits:  # (a file whose name is the leak is named by its path: that part of the text is the path)
        text = hit.describe().replace(hit.file, "<file>").lower()
        assert not any(v in text for v in ("castro", "bothar", "jose", "flores", "porto", "1537", "9081", "a7q2"))


def test_structured_hits_name_the_element_field_or_column(tmp_path: Path):
    release = tmp_path / "release"
    plant(release)
    hits = scan_tree(release, Scanner(build_needles(IDS)))
    where = {(h.file.rsplit("/", 1)[-1], h.column, h.where) for h in hits if h.where}
    assert ("0001.dcm", "record_number", "DICOM element (0010,1000) OtherPatientIDs") in where
    assert any(f == "0001.dcm" and "private" in w for f, c, w in where)  # the surname alone, private element
    assert ("0001.dcm", "date_of_birth", "DICOM element (0010,0030) PatientBirthDate") in where  # in a sequence
    assert any(f.endswith("nii.gz (decompressed)") and w == "NIfTI header descrip" for f, c, w in where)
    assert (f"sub-{P}_records.tsv", "record_number", "column 'record'") in where


def test_a_common_word_form_is_reported_but_does_not_fail_the_gate(tmp_path: Path):
    part = tmp_path / "parts" / "transcript" / P
    (part / "files" / f"sub-{P}").mkdir(parents=True)
    (part / "files" / f"sub-{P}" / "notes.txt").write_text("A young man came by.")
    (part / "manifest.json").write_text(json.dumps({"part": "transcript", "subject": P,
                                                    "produced": [f"sub-{P}/notes.txt"], "withheld": [], "notes": []}))
    ids = tmp_path / "identifiers.json"
    ids.write_text(json.dumps(IDS))
    section = leak_scan_section([part], ids)
    gate, reported = section["checks"]
    assert gate["passed"] and reported["passed"] and "common word" in reported["detail"]
    assert "young" not in reported["detail"].lower() and "relative" in reported["detail"]
    (part / "files" / f"sub-{P}" / "notes.txt").write_text("Chad came by.")
    failed = leak_scan_section([part], ids)["checks"][0]
    assert not failed["passed"] and "relative (name, token" in failed["detail"] and "Chad" not in failed["detail"]


def test_kept_dicom_attributes_are_not_false_alarms_but_names_always_count(tmp_path: Path):
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.Manufacturer = "Porto Imaging"
    ds.InstitutionName = "Porto Imaging"
    (tmp_path / "a.dcm").write_bytes(b"")
    ds.save_as(tmp_path / "a.dcm")
    ids = {"subjects": {}, "global": [{"value": "Porto Imaging", "kind": "other", "column": "dicom:InstitutionName"}]}
    hits = scan_tree(tmp_path, Scanner(build_needles(ids)))
    assert {h.where for h in hits} == {"DICOM element (0008,0080) InstitutionName"}
    ds.Manufacturer = "Castro"
    ds.save_as(tmp_path / "a.dcm")
    hits = scan_tree(tmp_path, Scanner(build_needles(IDS)))
    assert any(h.where == "DICOM element (0008,0070) Manufacturer" and h.kind == "name" for h in hits)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_without_a_byte_order_mark_is_decoded(encoding: str):
    from deidflow.text.encoding import decode

    text, found = decode("Interviewer: Hello José Bóthar.\n".encode(encoding), "x.txt")
    assert found == encoding and "José Bóthar" in text


def test_no_false_alarms_on_random_bytes_ordinary_prose_or_other_numbers(tmp_path: Path):
    rng = np.random.default_rng(3)
    (tmp_path / "noise.bin").write_bytes(rng.integers(0, 256, 2_000_000, dtype=np.uint8).tobytes())
    (tmp_path / "gz.bin.gz").write_bytes(gzip.compress(rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes()))
    (tmp_path / "prose.txt").write_text(
        "The young castle stood on the street by the harbour; 58.94141537 and 589414 15370 are measurements, "
        "not numbers we know. Jodie Castros and Josephine came on 1961-07-05.")
    hits = scan_tree(tmp_path, Scanner(build_needles(IDS)))
    assert [h for h in hits if h.blocking] == []


def test_a_detected_name_blocks_by_its_rare_parts_only(tmp_path: Path):
    """A name NER found in a DICOM description comes with the words around it ("Patient Ryan Mendoza"): the role
    word is no form, a frequent first name is reported, the surname and the whole name block."""
    ids = {"subjects": {P: [{"value": "Patient Ryan Mendoza", "kind": "name", "column": "dicom:ImageComments:PERSON"}]}}
    (tmp_path / "a.json").write_text('{"DeidentificationMethod": "Retain Patient Characteristics Option"}')
    (tmp_path / "b.txt").write_text("Ryan called.")
    (tmp_path / "c.txt").write_text("Mendoza called.")
    hits = scan_tree(tmp_path, Scanner(build_needles(ids)))
    assert {(h.file, h.blocking) for h in hits} == {("b.txt", False), ("c.txt", True)}
