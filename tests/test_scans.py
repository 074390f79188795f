"""BIDS scans tables: pseudonymized file names, acquisition times moved by the subject's shift, rows of released
files only; a column with no rule or a bad acq_time withholds the table with the reason."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from deidflow.parts import PartWriter, read_manifest
from deidflow.scans import ScansError, release_scans, scans_part, shift_acq_time
from deidflow.subjects import SubjectRecord

RECORD = SubjectRecord("A1", "x7k2", -10, {"pre": "q9z"})


def test_acq_time_moves_by_the_shift_and_keeps_the_time():
    assert shift_acq_time("2024-03-05T09:30:00", -10) == "2024-02-24T09:30:00"
    assert shift_acq_time("2024-03-05T09:30:00.123456Z", 30) == "2024-04-04T09:30:00.123456Z"
    assert shift_acq_time("2024-03-05", 1) == "2024-03-06"
    assert shift_acq_time("n/a", 5) == "n/a"
    with pytest.raises(ScansError, match="not a BIDS date-time"):
        shift_acq_time("05/03/2024 09:30", 1)
    with pytest.raises(ScansError, match="not a valid date"):
        shift_acq_time("2024-02-30T09:30:00", 1)


def _table(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sub-A1" / "ses-pre" / "sub-A1_ses-pre_scans.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_rows_of_released_files_are_kept_renamed_and_shifted(tmp_path):
    path = _table(tmp_path, "filename\tacq_time\n"
                            "anat/sub-A1_ses-pre_T1w.nii\t2024-03-05T09:30:00\n"
                            "func/sub-A1_ses-pre_task-rest_bold.nii.gz\t2024-03-05T10:00:00\n"
                            "beh/sub-A1_ses-pre_task-walk.mp4\tn/a\n")
    released = {"sub-x7k2/ses-q9z/anat/sub-x7k2_ses-q9z_T1w.nii.gz",
                "sub-x7k2/ses-q9z/beh/sub-x7k2_ses-q9z_task-walk_video.mp4"}  # the video part adds the suffix
    target, text, dropped = release_scans(path, "sub-A1/ses-pre/sub-A1_ses-pre_scans.tsv", RECORD, released)
    assert target == "sub-x7k2/ses-q9z/sub-x7k2_ses-q9z_scans.tsv"
    assert text == ("filename\tacq_time\nanat/sub-x7k2_ses-q9z_T1w.nii.gz\t2024-02-24T09:30:00\n"
                    "beh/sub-x7k2_ses-q9z_task-walk_video.mp4\tn/a\n")
    assert dropped == 1  # the bold run is not released


@pytest.mark.parametrize("text, reason", [
    ("filename\tacq_time\toperator\nanat/sub-A1_ses-pre_T1w.nii.gz\t2024-03-05T09:30:00\tJ. Smith\n",
     "column 'operator' has no de-identification rule"),
    ("filename\tacq_time\nanat/sub-A1_ses-pre_T1w.nii.gz\tyesterday\n", "line 2: acq_time 'yesterday'"),
    ("filename\tacq_time\nanat/sub-A1_ses-pre_T1w.nii.gz\n", "line 2 has 1 fields"),
    ("acq_time\n2024-03-05T09:30:00\n", "no filename column"),
])
def test_a_table_that_cannot_be_released_is_withheld_by_name(tmp_path, text, reason):
    path = _table(tmp_path, text)
    released = {"sub-x7k2/ses-q9z/anat/sub-x7k2_ses-q9z_T1w.nii.gz"}
    with PartWriter(tmp_path / "part", "scans", "x7k2") as writer:
        scans_part([str(path)], tmp_path, RECORD, released, writer, logging.getLogger("test"))
    manifest = read_manifest(tmp_path / "part")
    assert manifest["produced"] == []
    [item] = manifest["withheld"]
    assert item["source"] == "sub-x7k2/ses-q9z/sub-x7k2_ses-q9z_scans.tsv"
    assert reason in item["reason"] and "A1" not in item["reason"]
