"""The leak scan finds planted values in text, JSON, binary, UTF-16, compressed files and file names."""

import gzip
import json
import os
import random

import pandas as pd

from deidflow.risk.leaks import Scanner, build_needles, scan_tree

IDS = {"subjects": {"p1": [
    {"value": "Chad Boone", "kind": "name", "column": "full_name"},
    {"value": "chad.boone84@yahoo.com", "kind": "email", "column": "email"},
    {"value": "(589) 414-1537", "kind": "phone", "column": "phone"},
    {"value": "1980-04-05", "kind": "date", "column": "date_of_birth"},
    {"value": "NW2033", "kind": "subject_label", "column": "participant_id"},
]}, "global": []}


def scanner():
    return Scanner(build_needles(IDS))


def test_text_json_and_forms(tmp_path):
    (tmp_path / "a.txt").write_text("Patient BOONE^CHAD called from 589.414.1537 on April 5, 1980.")
    (tmp_path / "b.json").write_text(json.dumps({"contact": "Chad.Boone84@Yahoo.com"}))
    hits = scan_tree(tmp_path, scanner())
    forms = {(h.file, h.column, h.form) for h in hits}
    assert ("a.txt", "full_name", "dicom-name") in forms
    assert ("a.txt", "phone", "phone'.'") in forms
    assert ("a.txt", "date_of_birth", "long-date") in forms
    assert ("b.json", "email", "as-is") in forms


def test_binary_utf16_and_gzip(tmp_path):
    noise = random.Random(1).randbytes(50_000)
    (tmp_path / "img.bin").write_bytes(noise + "Chad Boone".encode("utf-16-le") + noise)
    (tmp_path / "vol.nii.gz").write_bytes(gzip.compress(noise + b"descrip: 19800405 scan" + noise))
    hits = scan_tree(tmp_path, scanner())
    assert {(h.file, h.encoding) for h in hits} >= {("img.bin", "utf-16-le"), ("vol.nii.gz (decompressed)", "utf-8")}


def test_parquet_cells(tmp_path):
    pd.DataFrame({"x": ["Chad Boone"] * 50}).to_parquet(tmp_path / "t.parquet")
    hits = scan_tree(tmp_path, scanner())
    assert any(h.file == "t.parquet (cells)" and h.column == "full_name" for h in hits)


def test_file_names(tmp_path):
    (tmp_path / "sub-NW2033").mkdir()
    (tmp_path / "sub-NW2033" / "photo.jpg").write_bytes(b"\xff\xd8")
    hits = scan_tree(tmp_path, scanner())
    assert any(h.offset == -1 and h.column == "participant_id" for h in hits)


def test_no_false_positives_on_random_bytes_and_word_parts(tmp_path):
    (tmp_path / "noise.bin").write_bytes(os.urandom(2_000_000))
    (tmp_path / "t.txt").write_text("XChad Boonesworth and CNW20339 are different words")
    assert scan_tree(tmp_path, scanner()) == []


def test_descriptions_never_carry_the_value(tmp_path):
    (tmp_path / "a.txt").write_text("Chad Boone")
    hits = scan_tree(tmp_path, scanner())
    assert hits
    for hit in hits:
        assert "chad" not in hit.describe().lower() and "full_name" in hit.describe()


def test_a_date_counts_only_where_its_subject_is(tmp_path):
    """Another subject's shifted date can equal this subject's original date by chance: in that subject's files and
    on its rows of a study-wide table it is not a leak; in this subject's files, its rows, or a file naming no
    subject it is. Names count everywhere."""
    ids = {"subjects": {"p1": [{"value": "1980-04-05", "kind": "date", "column": "date_of_birth"},
                               {"value": "Chad Boone", "kind": "name", "column": "full_name"}],
                        "p2": [{"value": "2001-09-30", "kind": "date", "column": "visit_date"}]}, "global": []}
    release = tmp_path / "release"
    files = {
        "sub-p2/beh/sub-p2_transcript.txt": "I was seen on 1980-04-05.",  # p1's date in p2's file: chance
        "sub-p1/beh/sub-p1_transcript.txt": "Born 1980-04-05.",  # p1's own date unshifted: leak
        "phenotype/visits.tsv": "participant_id\tvisit_date\nsub-p2\t1980-04-05\nsub-p1\t2001-09-30\n",  # chance
        "participants.tsv": "participant_id\tdob\nsub-p1\t1980-04-05\n",  # p1's row: leak
        "dataset_description.json": '{"Name": "study of 1980-04-05"}',  # names no subject: leak
        "sub-p2/notes.txt": "Chad Boone came along.",  # a name counts anywhere
    }
    for rel, text in files.items():
        (release / rel).parent.mkdir(parents=True, exist_ok=True)
        (release / rel).write_text(text)
    hits = scan_tree(release, Scanner(build_needles(ids)))
    found = sorted({(h.file, h.kind) for h in hits})
    assert found == [("dataset_description.json", "date"), ("participants.tsv", "date"),
                     ("sub-p1/beh/sub-p1_transcript.txt", "date"), ("sub-p2/notes.txt", "name")]
