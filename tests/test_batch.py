"""Batches: a batched step writes the same parts, logs, provenance and release whatever the batch size, and one
subject's bad input or crash never fails the other subjects of its batch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import run_snakemake, share_noise_draws, write_config
from deidflow.batch import Named, base_rule, plan_batches, run_batch, stops_the_step
from deidflow.parts import PartWriter, read_manifest
from test_reproducible import assert_same_release, comparable_release, frozen_commit


def test_batches_are_consecutive_runs_of_sorted_pseudonyms():
    subjects = ["q7", "a1", "m3", "c2", "z9", "b5", "a1"]
    assert plan_batches(subjects, 2) == {"0000": ["a1", "b5"], "0001": ["c2", "m3"], "0002": ["q7", "z9"]}
    assert plan_batches(subjects, 7) == {"0000": ["a1", "b5", "c2", "m3", "q7", "z9"]}
    assert plan_batches(subjects, 0) == plan_batches(subjects, 1)
    assert plan_batches([], 5) == {}
    # Adding a subject moves the batch boundaries after its place in the sorted order, never before it.
    before, after = plan_batches(subjects, 2), plan_batches([*subjects, "d4"], 2)
    assert after["0000"] == before["0000"] and after["0001"] == ["c2", "d4"]


def test_rule_name_without_batch_suffix():
    assert base_rule("mri_deface_b0003") == "mri_deface"
    assert base_rule("media_photos") == "media_photos"
    assert base_rule("job_bx") == "job_bx"


def fake_batch(tmp: Path, subjects: list[str]) -> SimpleNamespace:
    """A `snakemake` object as Snakemake hands it to a batch rule's script (inputs of every subject, the plan)."""
    bids = tmp / "bids"
    plan = {}
    for subject in subjects:
        source = bids / f"sub-{subject}" / "beh" / f"sub-{subject}_task-x_transcript.txt"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"hello from {subject}\n")
        plan[subject] = {"input": {"transcripts": [str(source)], "subjects": []},
                         "output": str(tmp / "work/parts/transcript" / subject),
                         "log": str(tmp / "logs/text_transcripts" / f"{subject}.log")}
    params = {"text": {"model": "x"}, "batch": plan}
    return SimpleNamespace(rule="text_transcripts_b0000", params=Named(list(params.values()), params),
                           config={"work_dir": str(tmp / "work"), "secrets_dir": "", "bids_dir": str(bids)},
                           threads=1, log=[], input=[], output=[])


def test_a_crash_in_one_subject_is_withheld_and_the_others_finish(tmp_path):
    (tmp_path / "logs/text_transcripts").mkdir(parents=True)
    seen = []

    def process_subject(sm, log):
        seen.append((sm.rule, sm.wildcards.subject, list(sm.input.transcripts), sm.params.text))
        assert "batch" not in sm.params.keys()
        if sm.wildcards.subject == "bb":
            raise RuntimeError("model exploded on this subject")
        with PartWriter(sm.output[0], "transcript", sm.wildcards.subject) as writer:
            src = Path(sm.input.transcripts[0])
            writer.path(f"sub-{sm.wildcards.subject}/beh/{src.name}").write_text("clean\n")
            log.info("wrote %s", src.name)

    failed = run_batch(fake_batch(tmp_path, ["cc", "aa", "bb"]), process_subject, part="transcript",
                       sources=("transcripts",))

    assert failed == ["bb"]
    assert [s[1] for s in seen] == ["aa", "bb", "cc"]  # sorted, each with its own inputs only
    assert all(rule == "text_transcripts" and files == [str(tmp_path / f"bids/sub-{sub}/beh/"
                                                            f"sub-{sub}_task-x_transcript.txt")]
               for rule, sub, files, _ in seen)
    parts = tmp_path / "work/parts/transcript"
    for good in ("aa", "cc"):
        assert read_manifest(parts / good)["produced"] == [f"sub-{good}/beh/sub-{good}_task-x_transcript.txt"]
        record = json.loads((tmp_path / f"work/provenance/text_transcripts/subject-{good}.json").read_text())
        assert record["wildcards"] == {"subject": good} and "batch" not in record["params"]
        assert "wrote" in (tmp_path / f"logs/text_transcripts/{good}.log").read_text()
    bad = read_manifest(parts / "bb")
    assert bad["produced"] == []
    # no subject table here to rebuild entity-only names from: the label keeps the pseudonym folder only
    assert [w["source"] for w in bad["withheld"]] == ["sub-bb/…"]
    assert "text_transcripts failed on this subject (RuntimeError)" in bad["withheld"][0]["reason"]
    assert "model exploded" in (tmp_path / "logs/text_transcripts/bb.log").read_text()
    assert not (tmp_path / "work/provenance/text_transcripts/subject-bb.json").exists()


BATCHED = ("dicom_scrub", "dicom_convert", "mri_deface", "media_photos", "media_videos", "text_transcripts",
           "eeg_recordings", "text_documents")


@pytest.fixture(scope="module")
def broken_study(small_study, tmp_path_factory) -> Path:
    """The small study with one subject's photo and transcript corrupt (truncated JPEG, invalid bytes)."""
    study = tmp_path_factory.mktemp("batch_study") / "bids"
    shutil.copytree(small_study, study)
    for path in [study, *study.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    victim = sorted(p for p in study.glob("sub-*") if p.is_dir())[0]
    photo = sorted((victim / "photo").glob("*.jpg"))[0]
    photo.write_bytes(photo.read_bytes()[:200])
    return study


@pytest.mark.workflow
@pytest.mark.slow
def test_an_error_of_the_step_itself_fails_the_job_instead_of_withholding(tmp_path):
    """A missing model, tool or key is no subject's fault: withholding every subject's files would hide it behind a
    release that passes; the job fails with the message, as a one-subject job did."""
    from deidflow.dicom.ocr import OcrUnavailable

    (tmp_path / "logs/text_transcripts").mkdir(parents=True)

    def process_subject(sm, log):
        raise OcrUnavailable("tesseract is not installed: install tesseract-ocr")

    with pytest.raises(OcrUnavailable, match="tesseract-ocr"):
        run_batch(fake_batch(tmp_path, ["aa", "bb"]), process_subject, part="transcript", sources=("transcripts",))
    assert not (tmp_path / "work/parts/transcript/aa").exists()  # nothing withheld in its name
    assert stops_the_step(ImportError("no module")) and not stops_the_step(ValueError("corrupt file"))


def test_batch_size_does_not_change_the_release_and_a_bad_file_fails_no_one(broken_study, tmp_path):
    runs = {}
    with frozen_commit(tmp_path):
        for size in (1, 7):
            run = tmp_path / f"batch{size}"
            config = write_config(run, broken_study, batch_size={name: size for name in ("default", *BATCHED)},
                                  steps={"synth": False, "risk_synthetic": False})
            if runs:
                share_noise_draws(runs[1], run)  # OpenDP takes no seed: the second run reuses the stored draws
            proc = run_snakemake(run, config)
            runs[size] = run
            jobs = {name: proc.stdout.count(f"rule {name}_b") for name in BATCHED}
            assert all(count == (3 if size == 1 else 1) for count in jobs.values()), jobs
    assert_same_release(comparable_release(runs[7] / "release", runs[7]),
                        comparable_release(runs[1] / "release", runs[1]))
    for run in runs.values():
        photos = sorted((run / "work/parts/photo").iterdir())
        assert len(photos) == 3
        withheld = [w for p in photos for w in read_manifest(p)["withheld"]]
        assert len(withheld) == 1 and withheld[0]["source"].endswith("_photo.jpg"), withheld
        released = sorted((run / "release").glob("sub-*/photo/*"))
        assert len(released) == 3 * 4 - 1, released  # every other photo of the victim's batch reached the release
        logs = sorted((run / "logs/media_photos").glob("*.log"))
        provenance = sorted((run / "work/provenance/media_photos").glob("subject-*.json"))
        assert len(logs) == len(provenance) == 3
