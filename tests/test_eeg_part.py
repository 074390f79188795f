"""The eeg part on recordings MNE writes (EDF+, BrainVision, EEGLAB, FIF), a real EDF that pyedflib ships, and
adversarial sidecars: read back with MNE, dates moved by the subject's shift, subject info gone, annotations
cleaned, and the leak scan finds none of the planted identifiers in the part."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

mne = pytest.importorskip("mne")

from deidflow.eeg import edf  # noqa: E402
from deidflow.eeg.config import EegConfig  # noqa: E402
from deidflow.eeg.recordings import process_subject  # noqa: E402
from deidflow.parts import PartWriter, read_manifest  # noqa: E402
from deidflow.risk.leaks import Scanner, build_needles, scan_tree  # noqa: E402
from deidflow.subjects import SubjectRecord  # noqa: E402
from deidflow.text.deidentify import TextConfig  # noqa: E402

NAME, FIRST, LAST = "Maria Bothar", "Maria", "Bothar"
PHONE = "617-555-0142"
BIRTH = dt.date(1951, 5, 2)
MEAS = dt.datetime(2021, 5, 3, 10, 0, tzinfo=dt.timezone.utc)
SHIFT = -45
RECORD = SubjectRecord("01", "ab12cd", SHIFT, {})
IDENTIFIERS = {"subjects": {"ab12cd": [
    {"value": NAME, "kind": "name"}, {"value": PHONE, "kind": "phone"},
    {"value": BIRTH.isoformat(), "kind": "date"}, {"value": "H4471923", "kind": "id"},
    {"value": "Springfield General Hospital", "kind": "org"},
]}}
LOG = logging.getLogger("test_eeg")


def _raw(n_channels: int = 3, seconds: float = 3.0) -> "mne.io.RawArray":
    info = mne.create_info([f"EEG{i:02d}" for i in range(n_channels)], 100.0, "eeg")
    data = np.random.default_rng(0).normal(size=(n_channels, int(seconds * 100))) * 1e-5
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.set_meas_date(MEAS)
    raw.info["subject_info"] = {"his_id": "H4471923", "first_name": FIRST, "last_name": LAST, "birthday": BIRTH,
                                "sex": 2, "hand": 1}
    raw.info["experimenter"] = "Dr Ellen Ripley"
    raw.info["description"] = f"{NAME} resting state"
    raw.set_annotations(mne.Annotations([0.5, 1.0, 1.5], [0, 0, 0],
                                        ["S  1", f"{NAME} called from {PHONE}", "boundary"]))
    return raw


HEAD_SHAPE_POINTS = 120


def _montage_with_head_shape(channels: list[str]) -> "mne.channels.DigMontage":
    """Electrodes, the three fiducials and a Polhemus-style head shape: points over the scalp and down the face."""
    rng = np.random.default_rng(1)
    theta, phi = rng.uniform(0, np.pi / 1.6, HEAD_SHAPE_POINTS), rng.uniform(0, 2 * np.pi, HEAD_SHAPE_POINTS)
    hsp = 0.09 * np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], axis=1)
    electrodes = {name: 0.09 * np.array([np.cos(i), np.sin(i), 0.5]) for i, name in enumerate(channels)}
    return mne.channels.make_dig_montage(ch_pos=electrodes, nasion=[0, 0.1, 0], lpa=[-0.08, 0, 0], rpa=[0.08, 0, 0],
                                         hsp=hsp, coord_frame="head")


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("study")
    eeg, meg, func = root / "sub-01" / "eeg", root / "sub-01" / "meg", root / "sub-01" / "func"
    for folder in (eeg, meg, func):
        folder.mkdir(parents=True)
    raw = _raw()
    mne.export.export_raw(eeg / "sub-01_task-rest_eeg.edf", raw, verbose="error")
    # a typed name in the BrainVision file names: released names drop it and the references follow
    mne.export.export_raw(eeg / "sub-01_task-oddball_MariaBothar_eeg.vhdr", raw, verbose="error")
    vhdr = eeg / "sub-01_task-oddball_MariaBothar_eeg.vhdr"
    vhdr.write_text(vhdr.read_text(encoding="utf-8") + f"Subject: {NAME}\nAmplifier S/N: 88231\n\n[User Infos]\n"
                    f"Operator={NAME}\n", encoding="utf-8")
    mne.export.export_raw(eeg / "sub-01_task-flanker_eeg.set", raw, verbose="error")
    raw.set_montage(_montage_with_head_shape(raw.ch_names), verbose="error")
    raw.save(meg / "sub-01_task-rest_meg.fif", verbose="error")
    shutil.copy(Path(__import__("pyedflib").data.__file__).parent / "test_generator.edf",
                eeg / "sub-01_task-gen_eeg.edf")
    (eeg / "sub-01_task-rest_eeg.json").write_text(json.dumps({
        "TaskName": "rest", "SamplingFrequency": 100, "InstitutionName": "Springfield General Hospital",
        "InstitutionAddress": "12 Elm Street", "DeviceSerialNumber": "88231",
        "TaskDescription": f"{NAME} sat still", "PowerLineFrequency": 50}))
    (eeg / "sub-01_task-rest_channels.tsv").write_text(
        "name\ttype\tunits\tnotes\nEEG00\tEEG\tuV\tcalled " + PHONE + "\nEEG01\tEEG\tuV\tok\n")
    (eeg / "sub-01_task-rest_events.tsv").write_text(
        f"onset\tduration\ttrial_type\twho\n0.5\t0\tS  1\t{NAME}\n1.0\t0\tspoke with {NAME}\tx\n")
    (eeg / "sub-01_task-rest_notes.txt").write_text("free notes")
    (eeg / "sub-01_task-rest_orphan.vmrk").write_text("Brain Vision Data Exchange Marker File, Version 1.0\n")
    (func / "sub-01_task-rest_physio.json").write_text(json.dumps({
        "SamplingFrequency": 50, "StartTime": "2021-05-03T10:00:00", "Columns": ["cardiac"],
        "cardiac": {"Units": "mV", "Description": f"lead on {NAME}"}, "Operator": NAME}))
    (func / "sub-01_task-rest_physio.tsv.gz").write_bytes(gzip.compress(b"0.1\n0.2\n0.3\n"))
    return root


def _run(study: Path, out: Path, **cfg) -> Path:
    inputs = [str(p) for p in sorted(study.rglob("*")) if p.is_file()]
    with PartWriter(out, "eeg", RECORD.pseudonym) as writer:
        process_subject(inputs, str(study), RECORD, IDENTIFIERS, EegConfig.from_config(cfg), TextConfig(), writer,
                        LOG)
    return out


@pytest.fixture(scope="module")
def part(study, tmp_path_factory) -> Path:
    return _run(study, tmp_path_factory.mktemp("work") / "parts" / "eeg" / "ab12cd")


def _files(part: Path) -> Path:
    return part / "files" / "sub-ab12cd"


def test_released_names_and_withheld_inputs(part):
    manifest = read_manifest(part)
    produced = set(manifest["produced"])
    assert {"sub-ab12cd/eeg/sub-ab12cd_task-rest_eeg.edf", "sub-ab12cd/eeg/sub-ab12cd_task-gen_eeg.edf",
            "sub-ab12cd/eeg/sub-ab12cd_task-oddball_eeg.vhdr", "sub-ab12cd/eeg/sub-ab12cd_task-oddball_eeg.vmrk",
            "sub-ab12cd/eeg/sub-ab12cd_task-oddball_eeg.eeg", "sub-ab12cd/eeg/sub-ab12cd_task-flanker_eeg.set",
            "sub-ab12cd/meg/sub-ab12cd_task-rest_meg.fif", "sub-ab12cd/eeg/sub-ab12cd_task-rest_eeg.json",
            "sub-ab12cd/eeg/sub-ab12cd_task-rest_channels.tsv", "sub-ab12cd/eeg/sub-ab12cd_task-rest_events.tsv",
            "sub-ab12cd/func/sub-ab12cd_task-rest_physio.json",
            "sub-ab12cd/func/sub-ab12cd_task-rest_physio.tsv.gz"} <= produced
    reasons = {w["source"]: w["reason"] for w in manifest["withheld"]}
    assert any("notes" in s or "…" in s for s in reasons), reasons  # the .txt has no rule
    assert any(".vmrk file that no released header names" in r for r in reasons.values()), reasons
    assert not any("MariaBothar" in p for p in produced)


def test_edf_read_back_with_mne(part):
    raw = mne.io.read_raw_edf(_files(part) / "eeg" / "sub-ab12cd_task-rest_eeg.edf", verbose="error")
    assert raw.info["meas_date"].date() == (MEAS + dt.timedelta(days=SHIFT)).date()
    subject = raw.info.get("subject_info") or {}
    assert not {subject.get(k) for k in ("first_name", "last_name", "his_id", "birthday")} - {None, "X", ""}
    descriptions = list(raw.annotations.description)
    assert "S  1" in descriptions and "boundary" in descriptions
    assert not any(FIRST in d or "0142" in d for d in descriptions), descriptions
    header = (_files(part) / "eeg" / "sub-ab12cd_task-rest_eeg.edf").read_bytes()[:256]
    assert b"Bothar" not in header and b"MAY-1951" not in header


def test_edf_samples_travel_byte_for_byte(study, part):
    original = (study / "sub-01" / "eeg" / "sub-01_task-gen_eeg.edf").read_bytes()
    released = (_files(part) / "eeg" / "sub-ab12cd_task-gen_eeg.edf").read_bytes()
    header, size = edf.parse_header(original)
    assert released[size:] == original[size:]  # pyedflib's real file: only the header changed
    a = mne.io.read_raw_edf(study / "sub-01" / "eeg" / "sub-01_task-gen_eeg.edf", verbose="error")
    b = mne.io.read_raw_edf(_files(part) / "eeg" / "sub-ab12cd_task-gen_eeg.edf", verbose="error")
    assert np.array_equal(a.get_data(), b.get_data())
    assert b.info["meas_date"].date() == a.info["meas_date"].date() + dt.timedelta(days=SHIFT)


def test_brainvision_references_follow_the_released_names(part):
    folder = _files(part) / "eeg"
    header = (folder / "sub-ab12cd_task-oddball_eeg.vhdr").read_text(encoding="utf-8")
    assert "DataFile=sub-ab12cd_task-oddball_eeg.eeg" in header
    assert "MarkerFile=sub-ab12cd_task-oddball_eeg.vmrk" in header
    assert "User Infos" not in header and "88231" not in header and LAST not in header
    raw = mne.io.read_raw_brainvision(folder / "sub-ab12cd_task-oddball_eeg.vhdr", verbose="error")
    assert raw.info["meas_date"].date() == (MEAS + dt.timedelta(days=SHIFT)).date()
    descriptions = " ".join(raw.annotations.description)
    assert "S  1" in descriptions and LAST not in descriptions and "0142" not in descriptions


def test_fif_and_eeglab_read_back_with_mne(part):
    fif = mne.io.read_raw_fif(_files(part) / "meg" / "sub-ab12cd_task-rest_meg.fif", verbose="error")
    assert fif.info["meas_date"].date() == (MEAS + dt.timedelta(days=SHIFT)).date()
    assert not fif.info.get("subject_info") and not fif.info.get("experimenter")
    assert LAST not in " ".join(fif.annotations.description)
    eeglab = mne.io.read_raw_eeglab(_files(part) / "eeg" / "sub-ab12cd_task-flanker_eeg.set", verbose="error")
    assert LAST not in " ".join(eeglab.annotations.description)
    assert "S  1" in list(eeglab.annotations.description)


def _dig_kinds(path: Path) -> dict[int, int]:
    info = mne.io.read_info(path, verbose="error")
    kinds: dict[int, int] = {}
    for point in info["dig"] or []:
        kinds[int(point["kind"])] = kinds.get(int(point["kind"]), 0) + 1
    return kinds


def test_head_shape_points_are_dropped_and_fiducials_and_electrodes_stay(study, part, tmp_path):
    from mne.io.constants import FIFF

    before = _dig_kinds(study / "sub-01" / "meg" / "sub-01_task-rest_meg.fif")
    assert before[FIFF.FIFFV_POINT_EXTRA] == HEAD_SHAPE_POINTS
    after = _dig_kinds(_files(part) / "meg" / "sub-ab12cd_task-rest_meg.fif")
    assert FIFF.FIFFV_POINT_EXTRA not in after
    assert after[FIFF.FIFFV_POINT_CARDINAL] == 3 and after[FIFF.FIFFV_POINT_EEG] == before[FIFF.FIFFV_POINT_EEG]
    risk = json.loads((part / "risk.json").read_text())
    assert risk["metrics"]["head_shape_points_dropped"] == HEAD_SHAPE_POINTS
    kept = _run(study, tmp_path / "kept", head_shape="keep")
    assert _dig_kinds(_files(kept) / "meg" / "sub-ab12cd_task-rest_meg.fif")[FIFF.FIFFV_POINT_EXTRA] == \
        HEAD_SHAPE_POINTS
    with pytest.raises(ValueError, match="head_shape"):
        EegConfig.from_config({"head_shape": "blur"})


def test_sidecars_keep_only_allowed_keys_and_columns(part):
    sidecar = json.loads((_files(part) / "eeg" / "sub-ab12cd_task-rest_eeg.json").read_text())
    assert set(sidecar) == {"TaskName", "SamplingFrequency", "TaskDescription", "PowerLineFrequency"}
    assert LAST not in sidecar["TaskDescription"]
    channels = (_files(part) / "eeg" / "sub-ab12cd_task-rest_channels.tsv").read_text()
    assert channels.splitlines()[0] == "name\ttype\tunits" and "0142" not in channels
    events = (_files(part) / "eeg" / "sub-ab12cd_task-rest_events.tsv").read_text()
    assert events.splitlines()[0] == "onset\tduration\ttrial_type" and "S  1" in events and LAST not in events
    physio = json.loads((_files(part) / "func" / "sub-ab12cd_task-rest_physio.json").read_text())
    assert physio["StartTime"] == "2021-03-19T10:00:00" and "Operator" not in physio
    assert LAST not in physio["cardiac"]["Description"]
    gz = (_files(part) / "func" / "sub-ab12cd_task-rest_physio.tsv.gz").read_bytes()
    assert gz[4:8] == b"\x00\x00\x00\x00" and gzip.decompress(gz) == b"0.1\n0.2\n0.3\n"
    notes = " ".join(read_manifest(part)["notes"])
    assert "eeg.json:InstitutionName" in notes and "channels.tsv:notes" in notes and LAST not in notes


def test_leak_scan_finds_nothing_in_the_part(part):
    part_ids = json.loads((part / "identifiers.json").read_text())["values"]
    assert any(v["kind"] == "eeg:patient_name" for v in part_ids)
    document = {"subjects": {"ab12cd": IDENTIFIERS["subjects"]["ab12cd"] + part_ids}}
    hits = [h for h in scan_tree(part / "files", Scanner(build_needles(document))) if h.blocking]
    assert not hits, [(h.file, h.kind, h.form) for h in hits]


def test_same_inputs_give_byte_identical_outputs(study, part, tmp_path):
    again = _run(study, tmp_path / "again")
    for rel in read_manifest(part)["produced"]:
        assert (part / "files" / rel).read_bytes() == (again / "files" / rel).read_bytes(), rel


def test_dates_remove(study, tmp_path):
    out = _run(study, tmp_path / "removed", dates="remove")
    raw = mne.io.read_raw_edf(out / "files" / "sub-ab12cd" / "eeg" / "sub-ab12cd_task-rest_eeg.edf", verbose="error")
    assert raw.info["meas_date"].date() == dt.date(1985, 1, 1)
    fif = mne.io.read_raw_fif(out / "files" / "sub-ab12cd" / "meg" / "sub-ab12cd_task-rest_meg.fif", verbose="error")
    assert fif.info["meas_date"] is None
    vmrk = (out / "files" / "sub-ab12cd" / "eeg" / "sub-ab12cd_task-oddball_eeg.vmrk").read_text()
    assert "2021" not in vmrk


def test_a_corrupt_recording_is_withheld_naming_the_file(tmp_path):
    folder = tmp_path / "study" / "sub-01" / "eeg"
    folder.mkdir(parents=True)
    (folder / "sub-01_task-rest_eeg.edf").write_bytes(b"0       " + b"Maria Bothar".ljust(248))
    (folder / "sub-01_task-x_eeg.fif").write_bytes(b"not a fif file")
    out = _run(tmp_path / "study", tmp_path / "part")
    withheld = {w["source"]: w["reason"] for w in read_manifest(out)["withheld"]}
    assert "header size" in withheld["sub-ab12cd/eeg/sub-ab12cd_task-rest_eeg.edf"]
    assert "FIF" in withheld["sub-ab12cd/eeg/sub-ab12cd_task-x_eeg.fif"]
    assert read_manifest(out)["produced"] == []


def test_demo_recording_leaves_nothing_of_the_person(tmp_path):
    """The demo generator's EDF+ (name, birth date, record number, physician in the header; name and phone in an
    annotation and the events table): the part holds none of them, and MNE reads the result."""
    import random

    from deidflow.demo import eeg as demo_eeg
    from deidflow.demo.people import make_people

    person = make_people(1, 7)[0]
    record = SubjectRecord(person.label, "ef34gh", 30, {})
    demo_eeg.write(tmp_path / "study", person, random.Random(3), small=True)
    items = [{"value": person.full_name, "kind": "name"}, {"value": person.phone, "kind": "phone"},
             {"value": person.date_of_birth.isoformat(), "kind": "date"},
             {"value": person.national_id, "kind": "id"}, {"value": person.physician, "kind": "name"},
             {"value": person.hospital, "kind": "org"}, {"value": person.street_address, "kind": "address"}]
    identifiers = {"subjects": {"ef34gh": items}}
    inputs = [str(p) for p in sorted((tmp_path / "study").rglob("*")) if p.is_file()]
    with PartWriter(tmp_path / "part", "eeg", "ef34gh") as writer:
        process_subject(inputs, str(tmp_path / "study"), record, identifiers, EegConfig(), TextConfig(), writer, LOG)
    manifest = read_manifest(tmp_path / "part")
    assert not manifest["withheld"] and len(manifest["produced"]) == 4
    part_ids = json.loads((tmp_path / "part" / "identifiers.json").read_text())["values"]
    needles = build_needles({"subjects": {"ef34gh": items + part_ids}})
    hits = [h for h in scan_tree(tmp_path / "part" / "files", Scanner(needles)) if h.blocking]
    assert not hits, [(h.file, h.kind, h.form) for h in hits]
    raw = mne.io.read_raw_edf(tmp_path / "part" / "files" / "sub-ef34gh" / "eeg" / "sub-ef34gh_task-rest_eeg.edf",
                              verbose="error")
    assert raw.info["meas_date"].date() == person.visit_date + dt.timedelta(days=30)
    assert person.last_name not in " ".join(raw.annotations.description)


def test_leak_scan_reads_edf_and_fif_structure(tmp_path):
    """A first name alone is too short for the raw scan of a binary file; the EDF header, the EDF+ annotations and
    the FIF string tags are compared value by value."""
    from deidflow.risk.leaks import _recording_values

    raw = _raw()
    mne.export.export_raw(tmp_path / "x.edf", raw, verbose="error")
    raw.save(tmp_path / "x_raw.fif", verbose="error")
    scanner = Scanner(build_needles({"subjects": {"ab12cd": [{"value": "Ripley", "kind": "name"},
                                                             {"value": LAST, "kind": "name"}]}}))
    edf_values = " ".join(v for _, v in _recording_values((tmp_path / "x.edf").read_bytes(), "x.edf"))
    assert LAST in edf_values and "called from" in edf_values
    assert scanner.scan_bytes((tmp_path / "x.edf").read_bytes(), "sub-ab12cd/eeg/x.edf")
    fif_values = " ".join(v for _, v in _recording_values((tmp_path / "x_raw.fif").read_bytes(), "x_raw.fif"))
    assert "Ripley" in fif_values and LAST in fif_values
    kinds = {h.where.split()[0] for h in scanner.scan_bytes((tmp_path / "x_raw.fif").read_bytes(),
                                                              "sub-ab12cd/meg/x_meg.fif") if h.where}
    assert "FIF" in kinds


@pytest.mark.parametrize("path", [
    "sub-01/eeg/sub-01_task-rest_eeg.edf", "sub-01/ses-1/meg/sub-01_ses-1_task-rest_meg.fif",
    "sub-01/ieeg/sub-01_task-rest_ieeg.vhdr", "sub-01/eeg/sub-01_task-rest_notes.txt",
    "sub-01/func/sub-01_task-rest_physio.tsv.gz", "sub-01/func/sub-01_task-rest_physio.json",
])
def test_recordings_and_physio_are_kind_eeg(path):
    from deidflow.discovery import classify

    assert classify(path).kind == "eeg" and classify(path).subject == "01"


def test_bold_sidecars_stay_nifti_and_step_off_withholds_eeg():
    from deidflow.discovery import classify
    from deidflow.steps import enabled_parts, withheld_kinds

    assert classify("sub-01/func/sub-01_task-rest_bold.json").kind == "nifti"
    config = {"steps": {"eeg": False}}
    assert withheld_kinds(config)["eeg"] == "step eeg is off (steps.eeg: false)"
    assert "eeg" not in enabled_parts({"eeg": ("eeg",), "photo": ("photo",)}, config)
    assert "eeg" in enabled_parts({"eeg": ("eeg",)}, {})


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="eeg.dates"):
        EegConfig.from_config({"dates": "year"})
    with pytest.raises(ValueError, match="eeg.markers"):
        EegConfig.from_config({"markers": ["(unclosed"]})


def test_bdf_header_rewritten_and_samples_kept(tmp_path):
    raw = _raw()
    folder = tmp_path / "study" / "sub-01" / "eeg"
    folder.mkdir(parents=True)
    mne.export.export_raw(folder / "sub-01_task-rest_eeg.bdf", raw, verbose="error")
    original = (folder / "sub-01_task-rest_eeg.bdf").read_bytes()
    assert original[:8] == b"\xffBIOSEMI" and LAST.encode() in original[:256]
    out = _run(tmp_path / "study", tmp_path / "part")
    released = (out / "files" / "sub-ab12cd" / "eeg" / "sub-ab12cd_task-rest_eeg.bdf").read_bytes()
    assert LAST.encode() not in released
    back = mne.io.read_raw_bdf(out / "files" / "sub-ab12cd" / "eeg" / "sub-ab12cd_task-rest_eeg.bdf",
                               verbose="error")
    first = mne.io.read_raw_bdf(folder / "sub-01_task-rest_eeg.bdf", verbose="error")
    assert np.array_equal(back.get_data(), first.get_data())
    assert back.info["meas_date"].date() == (MEAS + dt.timedelta(days=SHIFT)).date()


def test_brainvision_without_its_data_file_is_withheld(tmp_path):
    folder = tmp_path / "study" / "sub-01" / "eeg"
    folder.mkdir(parents=True)
    mne.export.export_raw(folder / "sub-01_task-rest_eeg.vhdr", _raw(), verbose="error")
    (folder / "sub-01_task-rest_eeg.eeg").unlink()
    out = _run(tmp_path / "study", tmp_path / "part")
    manifest = read_manifest(out)
    assert manifest["produced"] == []
    reasons = {w["source"]: w["reason"] for w in manifest["withheld"]}
    assert "DataFile is not in the study" in reasons["sub-ab12cd/eeg/sub-ab12cd_task-rest_eeg.vhdr"]
    assert any(".vmrk file that no released header names" in r for r in reasons.values())


def test_scans_rows_of_released_recordings_are_kept(tmp_path):
    from deidflow.scans import release_scans

    path = tmp_path / "sub-01" / "sub-01_scans.tsv"
    path.parent.mkdir(parents=True)
    path.write_text("filename\tacq_time\neeg/sub-01_task-rest_eeg.edf\t2021-05-03T10:00:00\n"
                    "eeg/sub-01_task-gone_eeg.edf\t2021-05-03T11:00:00\n")
    released = {"sub-ab12cd/eeg/sub-ab12cd_task-rest_eeg.edf"}
    target, text, dropped = release_scans(path, "sub-01/sub-01_scans.tsv", RECORD, released)
    assert text == "filename\tacq_time\neeg/sub-ab12cd_task-rest_eeg.edf\t2021-03-19T10:00:00\n" and dropped == 1


def test_edf_truncated_or_unfinished(tmp_path):
    raw = _raw()
    mne.export.export_raw(tmp_path / "x.edf", raw, verbose="error")
    data = (tmp_path / "x.edf").read_bytes()
    with pytest.raises(edf.EdfError, match="shorter than its header"):
        edf.rewrite(data[:-100], shift_days=1, clean=str)
    unfinished = data[:236] + b"-1      " + data[244:]  # a recorder that stopped before writing the record count
    out, info = edf.rewrite(unfinished, shift_days=1, clean=str)
    header, _ = edf.parse_header(out)
    assert header.records == edf.parse_header(data)[0].records and info["annotations"] == 3
