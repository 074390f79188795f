"""The inventory cache: a repeated discovery reads the walk from the work folder, and any added, removed, renamed or
replaced file (or a change to the code that classifies) makes it walk again, so the cached inventory always equals a
fresh one."""

import os
import time

import pytest

from deidflow import inventory_cache
from deidflow.discovery import discover

pytestmark = pytest.mark.usefixtures("quick_racy")


@pytest.fixture
def quick_racy(monkeypatch):
    # folders changed within 0.2 s of a walk are not trusted (2 s by default); the tests wait that long
    monkeypatch.setattr(inventory_cache, "RACY_NS", 200_000_000)


def _settle():
    time.sleep(0.25)


def _study(root):
    (root / "sub-A1" / "anat").mkdir(parents=True)
    (root / "sub-B2" / "ses-1" / "beh").mkdir(parents=True)
    (root / "participants.tsv").write_text("participant_id\tage\nsub-A1\t30\nsub-B2\t40\n")
    (root / "dataset_description.json").write_text("{}")
    (root / "sub-A1" / "anat" / "sub-A1_T1w.nii.gz").write_bytes(b"x")
    (root / "sub-A1" / "anat" / ".DS_Store").write_bytes(b"x")
    (root / "sub-B2" / "ses-1" / "beh" / "sub-B2_ses-1_task-x_transcript.txt").write_text("hello")
    (root / "sourcedata" / "dicom" / "sub-B2" / "s1").mkdir(parents=True)
    (root / "sourcedata" / "dicom" / "sub-B2" / "s1" / "IM0001").write_bytes(b"x")
    _settle()
    return root


def _same(a, b):
    assert a.files == b.files and a.hidden == b.hidden and a.sessions == b.sessions


def _cached(root, cache):
    inv = discover(root, cache=cache)
    return inv, inv.walk_cache.hit


def test_second_discovery_comes_from_the_cache_and_equals_a_fresh_walk(tmp_path):
    root, cache = _study(tmp_path / "study"), tmp_path / "work" / "cache" / "inventory.json"
    first, hit = _cached(root, cache)
    assert not hit and not cache.exists()  # written only when the run's checks passed
    assert first.save_cache() and cache.exists()
    assert oct(cache.stat().st_mode & 0o777) == "0o600"  # original labels: secure area only
    second, hit = _cached(root, cache)
    assert hit
    _same(second, discover(root))
    _same(second, first)


@pytest.mark.parametrize("change", ["add", "remove", "rename", "add_folder", "remove_folder", "replace_by_folder",
                                    "hidden", "participant"])
def test_a_changed_tree_invalidates_the_cache(tmp_path, change):
    root, cache = _study(tmp_path / "study"), tmp_path / "cache.json"
    discover(root, cache=cache).save_cache()
    assert _cached(root, cache)[1]
    anat = root / "sub-A1" / "anat"
    if change == "add":
        (anat / "sub-A1_T2w.nii.gz").write_bytes(b"x")
    elif change == "remove":
        (anat / "sub-A1_T1w.nii.gz").unlink()
    elif change == "rename":  # same folder, same size, a new name and kind
        (anat / "sub-A1_T1w.nii.gz").rename(anat / "sub-A1_T1w.docx")
    elif change == "add_folder":  # a new folder deep in the tree: its parent changes
        (root / "sourcedata" / "dicom" / "sub-B2" / "s2").mkdir()
        (root / "sourcedata" / "dicom" / "sub-B2" / "s2" / "IM0001").write_bytes(b"x")
    elif change == "remove_folder":
        (root / "sourcedata" / "dicom" / "sub-B2" / "s1" / "IM0001").unlink()
        (root / "sourcedata" / "dicom" / "sub-B2" / "s1").rmdir()
    elif change == "replace_by_folder":
        (anat / "sub-A1_T1w.nii.gz").unlink()
        (anat / "sub-A1_T1w.nii.gz").mkdir()
        (anat / "sub-A1_T1w.nii.gz" / "inner.txt").write_text("x")
    elif change == "hidden":
        (root / "sub-B2" / "Thumbs.db").write_bytes(b"x")
    elif change == "participant":  # a new subject: table and folder
        (root / "participants.tsv").write_text("participant_id\tage\nsub-A1\t30\nsub-B2\t40\nsub-C3\t50\n")
        (root / "sub-C3" / "anat").mkdir(parents=True)
        (root / "sub-C3" / "anat" / "sub-C3_T1w.nii.gz").write_bytes(b"x")
    inv, hit = _cached(root, cache)
    assert not hit
    _same(inv, discover(root))


def test_a_file_rewritten_in_place_gives_the_same_inventory(tmp_path):
    root, cache = _study(tmp_path / "study"), tmp_path / "cache.json"
    discover(root, cache=cache).save_cache()
    (root / "sub-A1" / "anat" / "sub-A1_T1w.nii.gz").write_bytes(b"a longer content, another size")
    inv, _ = _cached(root, cache)
    _same(inv, discover(root))  # names and types decide the inventory, not contents


def test_touching_folder_times_back_still_invalidates(tmp_path):
    root, cache = _study(tmp_path / "study"), tmp_path / "cache.json"
    discover(root, cache=cache).save_cache()
    anat = root / "sub-A1" / "anat"
    before = anat.stat()
    (anat / "sub-A1_T2w.nii.gz").write_bytes(b"x")
    os.utime(anat, ns=(before.st_atime_ns, before.st_mtime_ns))  # rsync -t / touch -d put the mtime back
    inv, hit = _cached(root, cache)
    assert not hit and any(f.relpath.endswith("T2w.nii.gz") for f in inv.files)


def test_a_tree_with_symbolic_links_or_fresh_changes_is_never_cached(tmp_path, monkeypatch):
    root, cache = _study(tmp_path / "study"), tmp_path / "cache.json"
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(b"x")
    (root / "sub-A1" / "photo").mkdir()
    os.symlink(outside, root / "sub-A1" / "photo" / "sub-A1_photo.jpg")
    _settle()
    assert not discover(root, cache=cache).save_cache() and not cache.exists()
    os.unlink(root / "sub-A1" / "photo" / "sub-A1_photo.jpg")
    monkeypatch.setattr(inventory_cache, "RACY_NS", 3_600_000_000_000)  # every folder counts as just changed
    assert not discover(root, cache=cache).save_cache() and not cache.exists()


def test_another_study_or_other_code_or_a_damaged_cache_is_not_used(tmp_path, monkeypatch):
    root, cache = _study(tmp_path / "study"), tmp_path / "cache.json"
    other = _study(tmp_path / "other")
    discover(root, cache=cache).save_cache()
    assert not _cached(other, cache)[1]  # keyed by the study's real path
    monkeypatch.setattr(inventory_cache, "code_version", lambda: "another classification")
    assert not _cached(root, cache)[1]
    monkeypatch.undo()
    cache.write_text('{"format": "deidflow-inventory-cache/1", "files": [')
    inv, hit = _cached(root, cache)
    assert not hit
    _same(inv, discover(root))


def test_the_code_key_is_the_same_in_a_process_that_imported_other_modules():
    import subprocess
    import sys
    from pathlib import Path

    scripts = Path(inventory_cache.__file__).resolve().parents[1]
    code = "import deidflow.inventory_cache as c; print(c.code_version())"  # nothing else of deidflow imported
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONPATH": str(scripts), "PATH": ""}).stdout.strip()
    assert other == inventory_cache.code_version()
