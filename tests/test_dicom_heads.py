"""Head series are recognised by content, never cleared by a name: pydicom's own MR and CT test files, arranged into
series under common vendor names (and under no telling name at all), never leave as DICOM with their pixels."""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest
import yaml
from pydicom.data import get_testdata_file

from deidflow.dicom.convert import convert_part
from deidflow.dicom.heads import head_volume_reason, is_localizer, region_of, series_extent_mm
from deidflow.dicom.mapping import map_series, series_rules
from deidflow.dicom.steps import scrub_part
from deidflow.subjects import SubjectRecord

KEY = bytes(range(32))
SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "dicom.schema.yaml"
DEFAULTS = {"bids_mapping": yaml.safe_load(SCHEMA.read_text())["properties"]["bids_mapping"]["default"]}
CFG = {"options": {"retain_longitudinal_modified_dates": True}}
RECORD = SubjectRecord("H01", "h3ad01", 0, {})
# pydicom's bundled MR and CT images, in every transfer syntax it ships offline
FILES = ("CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_jpeg_ls_lossless.dcm",
         "MR_small_bigendian.dcm", "MR_small_implicit.dcm")
NAMES = {  # series name -> the suffix the default mapping gives it (None: unmapped, withheld by content)
    "MPRAGE": "T1w", "T1_MPRAGE_sag": "T1w", "SAG 3D SPGR": "T1w", "BRAVO": "T1w", "Sag IR-FSPGR": "T1w",
    "sT1W_3D_TFE": "T1w", "MP2RAGE_UNI": "UNIT1", "mp2rage_INV1": "MP2RAGE", "mp2rage_INV2": "MP2RAGE",
    "T2 FLAIR": "FLAIR", "AX T2 FLAIR": "FLAIR", "3D_Brain_VIEW_FLAIR": "FLAIR", "DarkFluid": "FLAIR",
    "AX PD": "PD", "pd_tse": "PD", "PD FSE": "PD", "t2_tse_tra": "T2w", "AX T2 FSE": "T2w", "T2W_TSE": "T2w",
    "HEAD WO": None, "Routine Brain": None, "MRA TOF": None, "Series 5": None, "": None,
}


def test_the_default_mapping_knows_common_vendor_names():
    rules = series_rules(DEFAULTS)
    for name, suffix in NAMES.items():
        rule = map_series(name, rules)
        assert (rule.suffix if rule else None) == suffix, name


def _series(folder: Path, source: str, name: str, n: int, *, spacing: float | None = None,
            body_part: str | None = None, localizer: bool = False) -> list[Path]:
    """`n` copies of a pydicom test file as one series named `name` (slices stacked along the normal)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = pydicom.dcmread(get_testdata_file(source))
    series_uid = pydicom.uid.generate_uid(entropy_srcs=[str(folder)])
    paths = []
    for i in range(n):
        ds = base.copy()
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=[str(folder), str(i)])
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesDescription = ds.ProtocolName = name
        ds.PatientID, ds.PatientName = "H01", "Head^Subject"  # one patient across the test files
        for key in ("StudyDescription", "BodyPartExamined"):
            if key in ds:
                del ds[key]
        if body_part:
            ds.BodyPartExamined = body_part
        if localizer:
            ds.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
        step = spacing or float(ds.SliceThickness)
        if spacing:
            ds.PixelSpacing = [spacing, spacing]
            ds.SliceThickness = spacing
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0.0, 0.0, i * step]
        ds.InstanceNumber = i + 1
        path = folder / _file_name(folder.name, i)
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


_SERIES: list[str] = []  # series folder names, by the number their instance file names carry


def _file_name(series: str, i: int) -> str:
    """An instance file name that numbers its series (`S004.0007`): manifests label inputs by their release path,
    where a free-form folder name shows only as `…`, but a DICOM-style file name stays."""
    if series not in _SERIES:
        _SERIES.append(series)
    return f"S{_SERIES.index(series):03d}.{i:04d}"


def _series_of(source: str) -> str:
    """The series folder of a withheld instance, from the number `_file_name` gave it."""
    return _SERIES[int(source.split("/")[-1][1:4])]


def _scrub(tmp: Path, files: list[Path], cfg: dict) -> dict:
    part = tmp / "part"
    scrub_part(list(map(str, files)), part, RECORD, {**CFG, **cfg}, KEY, tmp / "study")
    return json.loads((part / "manifest.json").read_text())


@pytest.mark.parametrize("source", FILES)
def test_head_series_under_every_name_are_withheld_from_dicom(tmp_path, source):
    """Every listed name, with the file's own geometry and with a whole-head geometry: no series leaves as DICOM,
    also with `withhold_pixels_of: []` (the content check does not depend on the mapping)."""
    files = []
    for index, name in enumerate(NAMES):
        files += _series(tmp_path / "study" / f"own{index}", source, name, 8)
        files += _series(tmp_path / "study" / f"head{index}", source, name, 12, spacing=8.0)
    for cfg in (DEFAULTS, {**DEFAULTS, "withhold_pixels_of": []}):
        manifest = _scrub(tmp_path, files, cfg)
        released = {_series_of(w["source"]) for w in manifest["withheld"]}
        own_geometry_released = sorted({f.parent.name for f in files} - released)
        # a file's own geometry (a 20 mm MR field of view) cannot hold a face: only names that neither point at
        # the head nor map to an anatomical suffix may leave then, and only without withhold_pixels_of
        assert all(folder.startswith("own") for folder in own_geometry_released), own_geometry_released
        if cfg is DEFAULTS:
            leaked = [list(NAMES)[int(f[3:])] for f in own_geometry_released]
            assert all(NAMES[n] is None for n in leaked), leaked
        if source.startswith("CT"):  # 85 mm x 85 mm x 40 mm: a head volume whatever the name
            assert manifest["produced"] == []
    pixels = pydicom.dcmread(files[-1]).PixelData
    released_bytes = b"".join(p.read_bytes() for p in (tmp_path / "part" / "files").rglob("*") if p.is_file())
    assert source.startswith("MR") or pixels not in released_bytes


def test_content_decides_not_the_name(tmp_path):
    head = _series(tmp_path / "study" / "a", "MR_small.dcm", "Series 5", 40, spacing=4.0)
    knee = _series(tmp_path / "study" / "b", "MR_small.dcm", "Series 6", 40, spacing=4.0, body_part="KNEE")
    slab = _series(tmp_path / "study" / "c", "MR_small.dcm", "Series 7", 4, spacing=4.0)
    scout = _series(tmp_path / "study" / "d", "CT_small.dcm", "Series 8", 1, localizer=True)
    chest = _series(tmp_path / "study" / "e", "CT_small.dcm", "Series 9", 24, body_part="CHEST")
    datasets = lambda paths: [pydicom.dcmread(p) for p in paths]  # noqa: E731
    assert "MR head volume (extent 256 x 256 x 160 mm; its region names no body region)" in head_volume_reason(
        datasets(head))
    assert head_volume_reason(datasets(knee)) is None and region_of(datasets(knee)[0]) == "elsewhere"
    assert head_volume_reason(datasets(slab)) is None  # 16 mm thick: no face fits
    assert series_extent_mm(datasets(slab)) == pytest.approx((256, 256, 16))
    assert is_localizer(datasets(scout)[0]) and "localizer" in head_volume_reason(datasets(scout))
    assert head_volume_reason(datasets(chest)) is None
    manifest = _scrub(tmp_path, head + knee + slab + scout + chest, {"bids_mapping": [], "withhold_pixels_of": []})
    withheld = {_series_of(w["source"]) for w in manifest["withheld"]}
    assert withheld == {"a", "d"}
    assert len(manifest["produced"]) == len(knee) + len(slab) + len(chest)


def test_head_ct_and_localizers_are_not_converted_and_unmapped_heads_say_why(tmp_path):
    ct = _series(tmp_path / "study" / "ct", "CT_small.dcm", "Routine Brain", 24)
    scout = _series(tmp_path / "study" / "scout", "MR_small.dcm", "t1 localizer", 3, spacing=4.0, localizer=True)
    mra = _series(tmp_path / "study" / "mra", "MR_small.dcm", "MRA TOF", 40, spacing=4.0)
    out = tmp_path / "nifti"
    convert_part(list(map(str, ct + scout + mra)), [], out, RECORD, DEFAULTS, tmp_path / "study")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["produced"] == []
    reasons = {_series_of(w["source"]): w["reason"] for w in manifest["withheld"]}
    assert "CT head volume: deidflow defaces MR heads only" in reasons["ct"]
    assert "head localizer/scout" in reasons["scout"]
    assert reasons["mra"] == ("series matches no dicom.bids_mapping rule; not converted (a head volume: it may show "
                              "the face)")
