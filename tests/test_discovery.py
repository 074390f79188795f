"""Discovery: every file gets a kind; bad study layouts stop with a clear error naming the file."""

import pytest

from deidflow.discovery import StudyError, classify, discover


@pytest.mark.parametrize(
    "path, kind, subject, session",
    [
        ("dataset_description.json", "dataset_description", None, None),
        ("participants.tsv", "table", None, None),
        ("phenotype/visits.tsv", "table", None, None),
        ("sourcedata/dicom/sub-A1/ses-01/series1/IM0001", "dicom", "A1", "01"),
        ("sourcedata/dicom/sub-A1/IM0001", "dicom", "A1", None),
        ("sub-A1/anat/sub-A1_T1w.nii.gz", "nifti", "A1", None),
        ("sub-A1/ses-2/anat/sub-A1_ses-2_T1w.json", "nifti", "A1", "2"),
        ("sub-A1/photo/sub-A1_face.JPG", "photo", "A1", None),
        ("sub-A1/beh/sub-A1_task-walk.mp4", "video", "A1", None),
        ("sub-A1/beh/sub-A1_task-interview_transcript.vtt", "transcript", "A1", None),
        ("sub-A1/beh/notes.txt", "unknown", "A1", None),
        ("sub-A1/sub-A1_scans.tsv", "scans", "A1", None),
        ("sub-A1/ses-B/sub-A1_ses-B_scans.tsv", "scans", "A1", "B"),
        ("sub-A1/photo/.DS_Store", "unknown", None, None),
        ("README", "unknown", None, None),
        ("derivatives/x/y.nii", "unknown", None, None),
    ],
)
def test_classify(path, kind, subject, session):
    item = classify(path)
    assert item.kind == kind
    if kind != "unknown" or subject:
        assert (item.subject, item.session) == (subject, session)
    if kind == "unknown":
        assert item.reason


def _study(tmp_path, table="participant_id\tage\nsub-A1\t30\nsub-B2\t40\n"):
    root = tmp_path / "study"
    root.mkdir()
    (root / "participants.tsv").write_text(table)
    return root


def test_discover_collects_sessions(tmp_path):
    root = _study(tmp_path)
    (root / "sub-A1" / "ses-01" / "anat").mkdir(parents=True)
    (root / "sub-A1" / "ses-01" / "anat" / "sub-A1_ses-01_T1w.nii.gz").write_bytes(b"x")
    (root / "README").write_text("hello")
    inv = discover(root)
    assert inv.participants == ["A1", "B2"]
    assert inv.sessions == {"A1": {"01"}, "B2": set()}
    assert inv.counts()["unknown"] == 1


def test_missing_participants(tmp_path):
    (tmp_path / "study").mkdir()
    with pytest.raises(StudyError, match="participants.tsv not found"):
        discover(tmp_path / "study")


def test_duplicate_participants(tmp_path):
    root = _study(tmp_path, "participant_id\tage\nsub-A1\t30\nsub-A1\t31\n")
    with pytest.raises(StudyError, match=r"participants.tsv: duplicate participant_id on lines \[2, 3\]"):
        discover(root)


def test_subject_folder_not_in_table(tmp_path):
    root = _study(tmp_path)
    (root / "sub-C3" / "photo").mkdir(parents=True)
    (root / "sub-C3" / "photo" / "x.jpg").write_bytes(b"x")
    with pytest.raises(StudyError, match="sub-C3 not listed in participants.tsv"):
        discover(root)


@pytest.mark.parametrize("table, message", [
    ("age\n30\n", "no participant_id column"),
    ("participant_id\tage\nA1\t30\n", "is not sub-<alphanumeric label>"),
    ("participant_id\tage\nsub-A1\t30\textra\tmore\n", "not a readable tab-separated table"),
])
def test_malformed_participants(tmp_path, table, message):
    with pytest.raises(StudyError, match=message):
        discover(_study(tmp_path, table))


def _linked_study(tmp_path):
    import os

    root = _study(tmp_path, "participant_id\tage\nsub-A1\t30\n")
    (root / "sub-A1" / "photo").mkdir(parents=True)
    (root / "sub-A1" / "photo" / "sub-A1_photo.jpg").write_bytes(b"\xff\xd8\xff")
    for name in (".DS_Store", "._sub-A1_photo.jpg", "Thumbs.db"):
        (root / "sub-A1" / "photo" / name).write_bytes(b"x")
    (root / "sub-A1" / ".git").mkdir()
    (root / "sub-A1" / ".git" / "HEAD").write_text("ref: refs/heads/sub-A1")
    outside = tmp_path / "elsewhere"
    (outside / "anat").mkdir(parents=True)
    (outside / "secret.jpg").write_bytes(b"\xff\xd8\xff")
    (outside / "anat" / "sub-A1_T1w.nii.gz").write_bytes(b"x")
    os.symlink(outside / "secret.jpg", root / "sub-A1" / "photo" / "sub-A1_acq-linked_photo.jpg")
    os.symlink(outside / "anat", root / "sub-A1" / "anat")  # a folder outside the study
    (root / "shared" / "beh").mkdir(parents=True)
    (root / "shared" / "beh" / "sub-A1_task-x_transcript.txt").write_text("hello")
    os.symlink("../shared/beh", root / "sub-A1" / "beh")  # a folder inside the study
    os.symlink("..", root / "sub-A1" / "photo" / "loop")
    os.symlink(tmp_path / "missing", root / "sub-A1" / "photo" / "sub-A1_acq-gone_photo.jpg")
    return root


def test_hidden_files_are_skipped_and_counted_by_pattern(tmp_path):
    inv = discover(_linked_study(tmp_path))
    assert not [f for f in inv.files if "DS_Store" in f.relpath or "/._" in f.relpath or ".git" in f.relpath
                or "Thumbs" in f.relpath]
    assert inv.hidden == {".DS_Store": 1, "._* (macOS resource forks)": 1, "Thumbs.db": 1, ".git": 1}


def test_symlinks_inside_are_followed_outside_withheld_with_the_reason(tmp_path):
    root = _linked_study(tmp_path)
    before = sorted(p.name for p in root.rglob("*"))
    inv = discover(root)
    by_path = {f.relpath: f for f in inv.files}
    assert by_path["sub-A1/beh/sub-A1_task-x_transcript.txt"].kind == "transcript"  # followed
    assert by_path["sub-A1/photo/sub-A1_photo.jpg"].kind == "photo"
    linked = by_path["sub-A1/photo/sub-A1_acq-linked_photo.jpg"]
    assert linked.kind == "unknown" and "outside the study" in linked.reason and linked.subject == "A1"
    assert by_path["sub-A1/anat"].kind == "unknown" and "folder outside the study" in by_path["sub-A1/anat"].reason
    assert "loop" in by_path["sub-A1/photo/loop"].reason
    assert "broken" in by_path["sub-A1/photo/sub-A1_acq-gone_photo.jpg"].reason
    assert not any(f.relpath.startswith("sub-A1/anat/") for f in inv.files)  # never walked into
    assert sorted(p.name for p in root.rglob("*")) == before  # the input tree is never modified
