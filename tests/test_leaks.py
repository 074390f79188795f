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
    (hit,) = scan_tree(tmp_path, scanner())
    assert "Chad" not in hit.describe() and "full_name" in hit.describe()
