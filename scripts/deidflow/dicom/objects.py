"""Which DICOM objects deidflow releases without pixel data (structured reports, RT objects, waveforms), and reading
files that lack the Part-10 preamble or meta header but still parse as a dataset."""

from __future__ import annotations

import os
import re

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

# SOP class UID prefixes of the non-image objects whose content the profile covers -> family name.
NON_IMAGE_PREFIXES = (
    ("1.2.840.10008.5.1.4.1.1.88.59", "Key Object Selection"),
    ("1.2.840.10008.5.1.4.1.1.88.", "Structured Report"),
    ("1.2.840.10008.5.1.4.1.1.481.3", "RT Structure Set"),
    ("1.2.840.10008.5.1.4.1.1.481.5", "RT Plan"),
    ("1.2.840.10008.5.1.4.1.1.481.8", "RT Ion Plan"),
    ("1.2.840.10008.5.1.4.1.1.9.", "Waveform"),
)
_UID = re.compile(r"^[0-9]+(\.[0-9]+)+$")


def non_image_family(sop_class: str) -> str | None:
    """The family of a non-image SOP class deidflow releases scrubbed (SR, KO, RT plan/struct, waveform), or None."""
    for prefix, family in NON_IMAGE_PREFIXES:
        if str(sop_class).startswith(prefix):
            return family
    return None


def read_forced(path: str | os.PathLike) -> Dataset | None:
    """A file without preamble or meta header read as a bare dataset, or None when it does not parse as one.

    It counts as a dataset only when it carries well-formed SOP Class and SOP Instance UIDs; the transfer syntax
    pydicom detected is recorded in a new meta header so the file is written back as proper Part-10.
    """
    try:
        ds = pydicom.dcmread(path, force=True)
        sop_class, sop_instance = str(ds.get("SOPClassUID", "")), str(ds.get("SOPInstanceUID", ""))
    except Exception:  # pydicom raises many types for garbage read with force
        return None
    if not (_UID.match(sop_class) and _UID.match(sop_instance)):
        return None
    set_transfer_syntax(ds)
    return ds


def set_transfer_syntax(ds: Dataset) -> None:
    """Give a dataset read without (or with an incomplete) meta header the transfer syntax it was encoded in."""
    meta = ds.file_meta if isinstance(getattr(ds, "file_meta", None), FileMetaDataset) else FileMetaDataset()
    if "TransferSyntaxUID" not in meta:
        implicit, little = ds.original_encoding
        meta.TransferSyntaxUID = (ImplicitVRLittleEndian if implicit else
                                  ExplicitVRLittleEndian if little else ExplicitVRBigEndian)
    ds.file_meta = meta
