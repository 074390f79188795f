"""Released names carry only BIDS entities: a typed name part never travels, an entity label that is a known
identifier withholds the file, two inputs never claim one released name, and report labels hide free-form names."""

from __future__ import annotations

import pytest

from deidflow.bidsname import BidsNameError, name_problem, plan_names, release_path, report_path
from deidflow.risk.leaks import Scanner, build_needles
from deidflow.subjects import SubjectRecord

RECORD = SubjectRecord("01", "p7x9k2", 12, {"A": "s4q8"})
PERSON = {"subjects": {"p7x9k2": [{"value": "Jodi Castro", "kind": "name", "column": "full_name"},
                                  {"value": "Castro", "kind": "other", "column": "surname"},
                                  {"value": "JodiCastro", "kind": "other", "column": "joined"}]}}


@pytest.mark.parametrize("rel, default, expected", [
    # a name joined, underscored, dotted, or the surname alone: dropped, the part's suffix used
    ("sub-01/photo/sub-01_JodiCastro.jpg", "photo", "sub-p7x9k2/photo/sub-p7x9k2_photo.jpg"),
    ("sub-01/photo/sub-01_Jodi_Castro.jpg", "photo", "sub-p7x9k2/photo/sub-p7x9k2_photo.jpg"),
    ("sub-01/photo/jodi.castro.jpg", "photo", "sub-p7x9k2/photo/sub-p7x9k2_photo.jpg"),
    ("sub-01/photo/sub-01_acq-face_Castro_photo.jpg", "photo", "sub-p7x9k2/photo/sub-p7x9k2_acq-face_photo.jpg"),
    ("sub-01/beh/sub-01_task-interview_jodi.castro_transcript.txt", "transcript",
     "sub-p7x9k2/beh/sub-p7x9k2_task-interview_transcript.txt"),
    ("sub-01/beh/Castro.mp4", "video", "sub-p7x9k2/beh/sub-p7x9k2_video.mp4"),
    # entities in BIDS order with the session pseudonym; a second sub- or ses- entity is taken from the folders
    ("sub-01/ses-A/anat/sub-01_run-2_ses-A_acq-mprage_T1w.nii.gz", None,
     "sub-p7x9k2/ses-s4q8/anat/sub-p7x9k2_ses-s4q8_acq-mprage_run-2_T1w.nii.gz"),
    ("sub-01/ses-A/anat/sub-01_ses-A_T1w.json", None, "sub-p7x9k2/ses-s4q8/anat/sub-p7x9k2_ses-s4q8_T1w.json"),
    ("sub-01/sub-01_scans.tsv", None, "sub-p7x9k2/sub-p7x9k2_scans.tsv"),
])
def test_only_entities_travel(rel, default, expected):
    out = release_path(rel, RECORD, default_suffix=default)
    assert out == expected
    assert "01" not in out.replace("p7x9k2", "") and "castro" not in out.lower() and "jodi" not in out.lower()


@pytest.mark.parametrize("rel, reason", [
    ("sub-01/anat/sub-01_Castro.nii.gz", "no BIDS suffix"),  # an image whose kind the name does not say
    ("sub-01/anat/sub-02_T1w.nii.gz", "differs from its folder"),
    ("sub-01/ses-B/anat/sub-01_ses-B_T1w.nii.gz", "not one of the subject's sessions"),
    ("sub-01/JodiCastro/sub-01_photo.jpg", "not a BIDS datatype folder"),
    ("sub-02/photo/sub-02_photo.jpg", "does not belong to this subject"),
])
def test_names_that_cannot_be_rebuilt_are_refused_without_the_value(rel, reason):
    with pytest.raises(BidsNameError, match=reason) as err:
        release_path(rel, RECORD)
    assert "Castro" not in str(err.value) and "01" not in str(err.value)


def test_an_entity_label_that_is_a_known_identifier_withholds_the_file():
    scanner = Scanner(build_needles(PERSON))
    with pytest.raises(BidsNameError, match=r"task- label .* matches a known identifier \(joined\)") as err:
        release_path("sub-01/beh/sub-01_task-JodiCastro_transcript.txt", RECORD, scanner=scanner)
    assert "Jodi" not in str(err.value)
    with pytest.raises(BidsNameError, match="acq- label"):
        release_path("sub-01/photo/sub-01_acq-castro_photo.jpg", RECORD, scanner=scanner, default_suffix="photo")
    clean = release_path("sub-01/photo/sub-01_acq-face_photo.jpg", RECORD, scanner=scanner)
    assert clean.endswith("acq-face_photo.jpg")


def test_two_inputs_never_claim_one_name_and_the_clean_one_wins():
    names = plan_names(["sub-01/photo/sub-01_JodiCastro.jpg", "sub-01/photo/sub-01_photo.jpg",
                        "sub-01/photo/sub-01_Castro.jpg"], RECORD, default_suffix="photo")
    assert names["sub-01/photo/sub-01_photo.jpg"] == "sub-p7x9k2/photo/sub-p7x9k2_photo.jpg"
    for typed in ("sub-01/photo/sub-01_JodiCastro.jpg", "sub-01/photo/sub-01_Castro.jpg"):
        assert isinstance(names[typed], BidsNameError) and "same released name" in str(names[typed])
    # an image and its sidecar share one name
    pair = plan_names(["sub-01/anat/sub-01_T1w.nii.gz", "sub-01/anat/sub-01_T1w.json"], RECORD)
    assert sorted(pair.values()) == ["sub-p7x9k2/anat/sub-p7x9k2_T1w.json", "sub-p7x9k2/anat/sub-p7x9k2_T1w.nii.gz"]


@pytest.mark.parametrize("rel, expected", [
    ("sourcedata/dicom/sub-01/DOE_JOHN_12345678/IM0001", "sourcedata/dicom/sub-p7x9k2/…/IM0001"),
    ("sourcedata/dicom/sub-01/ses-A/12345678/Castro^Jodi.dcm", "sourcedata/dicom/sub-p7x9k2/ses-s4q8/…/….dcm"),
    ("sub-01/beh/sub-01_JodiCastro-notes.pages", "sub-p7x9k2/beh/….pages"),
    ("sub-01/beh/sub-01_JodiCastro-notes.docx", "sub-p7x9k2/beh/sub-p7x9k2_document.docx"),  # part document
    ("sub-01/photo/sub-01_acq-face_photo.jpg", "sub-p7x9k2/photo/sub-p7x9k2_acq-face_photo.jpg"),
    ("JodiCastro_consent.pdf", "….pdf"),
    ("README", "README"),
    ("phenotype/visits.tsv", "phenotype/visits.tsv"),
])
def test_report_labels_hide_free_form_names(rel, expected):
    assert report_path(rel, RECORD) == expected


@pytest.mark.parametrize("rel, problem", [
    ("sub-p7x9k2/photo/sub-p7x9k2_acq-face_photo.jpg", None),
    ("sub-p7x9k2/ses-s4q8/anat/sub-p7x9k2_ses-s4q8_T1w.nii.gz", None),
    ("sub-p7x9k2/sub-p7x9k2_scans.tsv", None),
    ("sourcedata/dicom/sub-p7x9k2/ses-s4q8/series-001/0001.dcm", None),
    ("participants.tsv", None),
    ("derivatives/synthetic/participants_synthetic.tsv", None),
    ("sub-p7x9k2/photo/sub-p7x9k2_JodiCastro.jpg", "1 name part(s) that are not BIDS entities"),
    ("sub-p7x9k2/photo/sub-p7x9k2_acq-face.jpg", "no known BIDS suffix"),
    ("sub-p7x9k2/photo/sub-p7x9k2_Castro_photo.jpg", "1 name part(s) that are not BIDS entities"),
    ("sub-p7x9k2/anat/sub-other_T1w.nii.gz", "differ from the folders"),
    ("sourcedata/dicom/sub-p7x9k2/DOE_JODI/IM0001", "not named by the DICOM scrub step"),
])
def test_the_gate_knows_an_entity_built_name(rel, problem):
    found = name_problem(rel)
    assert found == problem if problem is None else problem in found
