"""Apply the confidentiality profile to DICOM datasets and to one subject's DICOM files (fail closed per file)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pydicom
from pydicom.charset import decode_bytes
from pydicom.dataelem import DataElement
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError
from pydicom.sequence import Sequence
from pydicom.uid import UID

from . import dates, pixels
from .needles import always_counts, kept_values, needles
from .objects import non_image_family, read_forced, set_transfer_syntax
from .profile import Profile, iod_family, resolve

DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10"
CHARSET_VRS = frozenset({"PN", "LO", "SH", "ST", "LT", "UT", "UC"})
NUMERIC_VRS = frozenset({"DS", "IS", "US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "AT", "OB", "OW", "OF", "OD", "OL", "OV"})
TRIVIAL = frozenset({"YES", "NO", "NONE", "UNKNOWN", "ANONYMOUS", "REMOVED", "MM", "CM", "KG", "M", "F", "O"})
DUMMY = {
    "PN": "ANONYMOUS",
    "DA": dates.DUMMY_DA,
    "TM": "000000",
    "DT": "19000101000000",
    "AS": "000D",
    "CS": "REMOVED",
    "AE": "REMOVED",
}
NUMERIC_DUMMY = {"DS": "0", "IS": "0"}


class DicomInputError(ValueError):
    """A file that cannot be de-identified (the message names the cause; the caller names the file)."""


@dataclass
class ScrubSettings:
    """Everything that decides what a scrub does to one subject's files."""

    profile: Profile
    pseudonym: str
    date_shift_days: int
    uid_map: Callable[[str], str] | None  # None when the Retain UIDs option is on
    private_allow: frozenset[tuple[str, int]] = frozenset()  # (private creator, element low byte)
    method_text: str = "deidflow"
    descriptors: Any = None  # a descriptors.DescriptorCleaner when the Clean Descriptors option is on

    @property
    def shift_dates(self) -> bool:
        return "retain_longitudinal_modified_dates" in self.profile.options


@dataclass
class Found:
    """PHI values seen in the original headers: (value, kind) pairs for the leak scan."""

    values: set[tuple[str, str]] = field(default_factory=set)

    def add(self, elem: DataElement, kind: str) -> None:
        """Record a (decoded) element's values."""
        if elem.VR in NUMERIC_VRS or elem.VR in ("TM", "SQ", "CS", "US or SS"):
            return
        raw = elem.value
        items = raw if isinstance(raw, (list, tuple, pydicom.multival.MultiValue)) else [raw]
        for item in items:
            if isinstance(item, bytes):
                item = item.decode("latin-1")
            self._add_text(str(item), elem.VR, kind)

    def add_raw(self, vr: str, value: bytes, kind: str, encodings) -> None:
        """Record a not-yet-decoded element's values (decoding only what the leak scan needs is faster)."""
        if vr in NUMERIC_VRS or vr in ("TM", "SQ", "CS") or not value:
            return
        if vr in CHARSET_VRS:
            encodings = [encodings] if isinstance(encodings, str) else list(encodings)
            text = decode_bytes(value, encodings, {0x5C, 0x5E, 0x3D} if vr == "PN" else {0x5C})
        else:
            text = value.decode("latin-1")
        for item in [text] if vr in ("LT", "ST", "UT") else text.split("\\"):
            self._add_text(item, vr, kind)

    def _add_text(self, item: str, vr: str, kind: str) -> None:
        text = item.strip().strip("\x00").strip()
        if is_trivial(text) or text.startswith("1.2.840.10008."):  # standard (well-known) UIDs identify nobody
            return
        self.values.add((text, f"dicom:{kind}"))
        if vr == "PN":
            for part in text.split("^"):
                if not is_trivial(part) and len(part) >= 3:
                    self.values.add((part.strip(), f"dicom:{kind}"))


def _keyword(tag) -> str:
    return keyword_for_tag(tag) or f"{tag.group:04X}{tag.element:04X}"


def is_trivial(text: str) -> bool:
    """Values too short or common to search for (short numbers, YES/NO, units, punctuation)."""
    if len(text) < 4 or text.upper() in TRIVIAL:
        return True
    compact = text.replace(".", "").replace("-", "").replace(" ", "")
    return compact.isdigit() and len(compact) < 6 or not any(c.isalnum() for c in text)


def _dummy(elem: DataElement, settings: ScrubSettings):
    vr = elem.VR
    if vr == "UI":
        return _map_uid(elem.value, settings) if settings.uid_map else "2.25.0"
    if vr in NUMERIC_DUMMY:
        return NUMERIC_DUMMY[vr]
    if vr in ("US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"):
        return 0
    if vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        return b""
    return DUMMY.get(vr, "REMOVED")


def _map_uid(value, settings: ScrubSettings):
    assert settings.uid_map is not None
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        return [settings.uid_map(str(v)) for v in value]
    return settings.uid_map(str(value))


def _private_allowed(ds: Dataset, elem: DataElement, settings: ScrubSettings) -> bool:
    if "retain_safe_private" not in settings.profile.options or not settings.private_allow:
        return False
    if elem.tag.element < 0x1000:
        return False  # creator elements are rebuilt only when one of their elements survives
    creator_tag = (elem.tag.group << 16) | (elem.tag.element >> 8)
    creator = ds.get(creator_tag)
    return creator is not None and (str(creator.value).strip(), elem.tag.element & 0xFF) in settings.private_allow


def scrub_dataset(ds: Dataset, settings: ScrubSettings, found: Found, sop_class: str = "") -> None:
    """Apply the profile to a dataset in place, recursing into sequences; record the removed values in `found`."""
    profile = settings.profile
    actions = profile.resolved(iod_family(sop_class))
    kept_creators: set[int] = set()
    private_kept = "retain_safe_private" in profile.options and bool(settings.private_allow)
    for tag in list(ds.keys()):
        raw = ds.get_item(tag)
        overlay = 0x5000 <= tag.group < 0x5100 or 0x6000 <= tag.group < 0x6100
        if not tag.is_private and raw.VR not in (None, "SQ", "UN") and actions.get(int(tag)) in (None, "K"):
            if not overlay:
                continue  # kept as it is: no need to decode the value
        if not isinstance(raw, DataElement) and raw.VR not in (None, "SQ") and isinstance(raw.value, bytes):
            private_removed = tag.is_private and tag.element >= 0x1000 and not private_kept
            if private_removed or overlay or (not tag.is_private and actions.get(int(tag)) == "X"):
                kind = "private" if tag.is_private else "overlay_or_curve" if overlay else _keyword(tag)
                found.add_raw(raw.VR, raw.value, kind, ds._character_set)
                del ds[tag]
                continue
        elem = ds[tag]
        if tag.is_private:
            if tag.element >= 0x1000 and _private_allowed(ds, elem, settings):
                kept_creators.add((tag.group << 16) | (tag.element >> 8))
                continue
            if 0x10 <= tag.element < 0x100:
                continue  # private creators: removed below unless one of their elements was kept
            found.add(elem, "private")
            del ds[tag]
            continue
        if tag.group in range(0x5000, 0x5100) or tag.group in range(0x6000, 0x6100):
            found.add(elem, "overlay_or_curve")
            del ds[tag]  # overlays and curves: the whole repeating group goes
            continue
        action = actions.get(int(tag))
        kind = elem.keyword or f"{tag.group:04X}{tag.element:04X}"
        if action is None or action == "K":
            if elem.VR == "SQ":
                for item in elem.value:
                    scrub_dataset(item, settings, found, sop_class)
            continue
        if action == "C":
            if elem.VR == "DA" and settings.shift_dates:
                found.add(elem, kind)
                elem.value = dates.shift_da(elem.value, settings.date_shift_days) if elem.value else elem.value
                continue
            if elem.VR == "DT" and settings.shift_dates:
                found.add(elem, kind)
                elem.value = dates.shift_dt(elem.value, settings.date_shift_days) if elem.value else elem.value
                continue
            if elem.VR == "TM" and settings.shift_dates:
                continue  # times are kept with modified dates
            if elem.VR == "SQ":
                for item in elem.value:
                    scrub_dataset(item, settings, found, sop_class)
                    if tag == CONTENT_SEQUENCE:  # Clean Structured Content: the SR content tree's free text
                        _clean_content_text(item, settings, found)
                continue
            if settings.descriptors is not None and elem.VR in FREE_TEXT_VRS and elem.VR != "PN":
                cleaned = settings.descriptors.clean_values(elem.value, elem.VR, kind) if elem.value else elem.value
                if cleaned is not None:
                    elem.value = cleaned
                    continue
            # no cleaner for this value, or it could not be cleaned: fall back to the basic profile's action
            rule = profile.rules[int(tag)]
            action = resolve(rule.basic, profile.iod_types.get(iod_family(sop_class), {}).get(rule.keyword))
        if action == "U":
            if elem.VR == "SQ":
                for item in elem.value:
                    scrub_dataset(item, settings, found, sop_class)
            elif elem.VR == "UI" and settings.uid_map is not None and elem.value:
                found.add(elem, kind)
                elem.value = _map_uid(elem.value, settings)
            elif elem.VR != "UI":
                found.add(elem, kind)
                del ds[tag]
            continue
        if elem.VR != "SQ":
            found.add(elem, kind)
        else:
            _collect(elem.value, found)
        if action == "X":
            del ds[tag]
        elif action == "Z":
            elem.value = Sequence() if elem.VR == "SQ" else ("" if elem.VR not in NUMERIC_VRS else None)
        elif action == "D":
            if elem.VR == "SQ":
                for item in elem.value:
                    scrub_dataset(item, settings, found, sop_class)
                    _dummy_free_text(item, settings)
            else:
                elem.value = _dummy(elem, settings)
    for creator_tag in list(ds.keys()):
        if creator_tag.is_private and creator_tag.element < 0x100 and int(creator_tag) not in kept_creators:
            del ds[creator_tag]


FREE_TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC", "PN"})


CONTENT_SEQUENCE = 0x0040A730
CODE_ITEM_KEYWORDS = ("CodeValue", "CodingSchemeDesignator", "CodeMeaning", "LongCodeValue", "URNCodeValue",
                      "CodingSchemeVersion", "ContextIdentifier", "MappingResource")


def is_explained_code(item: Dataset) -> bool:
    """A coded concept (code value, scheme, meaning) whose meaning the vocabulary explains: standard terminology,
    kept as it is (an unexplained meaning, e.g. a local code naming a person, is treated as free text)."""
    from .vocabulary import unexplained

    meaning = str(item.get("CodeMeaning", ""))
    return "CodingSchemeDesignator" in item and bool(meaning) and not unexplained(meaning)


def _clean_content_text(item: Dataset, settings: ScrubSettings, found: Found) -> None:
    """Free text of one SR content item (TextValue and other attributes the table does not list) cleaned with the
    descriptor cleaner, else replaced by a dummy; nested content items are handled by their own ContentSequence."""
    code = is_explained_code(item)
    for elem in item:
        if elem.VR == "SQ":
            if elem.tag != CONTENT_SEQUENCE:
                for sub in elem.value:
                    _clean_content_text(sub, settings, found)
            continue
        if elem.VR not in FREE_TEXT_VRS or elem.value in ("", None) or settings.profile.rules.get(int(elem.tag)):
            continue
        if code and elem.keyword in CODE_ITEM_KEYWORDS:
            continue
        found.add(elem, elem.keyword or "ContentText")
        cleaned = None
        if settings.descriptors is not None and elem.VR != "PN":
            cleaned = settings.descriptors.clean_values(elem.value, elem.VR, elem.keyword or "ContentText")
        elem.value = cleaned if cleaned is not None else _dummy(elem, settings)


SR_DOCUMENT_TEXT = ("CompletionFlagDescription",)  # SR Document General free text Table E.1-1 does not list


def _clean_document_text(ds: Dataset, settings: ScrubSettings, found: Found, keywords: Iterable[str]) -> None:
    """Free text Table E.1-1 does not list (an SR's CompletionFlagDescription, a SEG's or presentation state's
    ContentDescription): cleaned by the descriptor cleaner, else replaced by a dummy."""
    for keyword in keywords:
        elem = ds[keyword] if keyword in ds else None
        if elem is None or elem.value in ("", None):
            continue
        found.add(elem, keyword)
        cleaned = None
        if settings.descriptors is not None:
            cleaned = settings.descriptors.clean_values(elem.value, elem.VR, keyword)
        elem.value = cleaned if cleaned is not None else _dummy(elem, settings)


def _dummy_free_text(item: Dataset, settings: ScrubSettings) -> None:
    """Inside a sequence the profile replaces with a dummy (D), text the table does not list becomes a dummy too
    (standard coded concepts stay: they are terminology, not text about the patient)."""
    code = is_explained_code(item)
    for elem in item:
        if code and elem.keyword in CODE_ITEM_KEYWORDS:
            continue
        if elem.VR == "SQ":
            for sub in elem.value:
                _dummy_free_text(sub, settings)
        elif elem.VR in FREE_TEXT_VRS and elem.value not in ("", None) and settings.profile.rules.get(int(elem.tag)) is None:
            elem.value = _dummy(elem, settings)


def _collect(seq: Iterable[Dataset], found: Found) -> None:
    for item in seq:
        for elem in item:
            if elem.VR == "SQ":
                _collect(elem.value, found)
            else:
                found.add(elem, elem.keyword or "nested")


def mark_deidentified(ds: Dataset, settings: ScrubSettings) -> None:
    """Set the pseudonym and record the profile and options applied (PS3.15 E.1.1, CID 7050)."""
    ds.PatientName = settings.pseudonym
    ds.PatientID = settings.pseudonym
    ds.PatientIdentityRemoved = "YES"
    codes = settings.profile.codes()
    ds.DeidentificationMethod = [settings.method_text] + [meaning[:64] for _, meaning in codes]
    items = []
    for value, meaning in codes:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        items.append(item)
    ds.DeidentificationMethodCodeSequence = Sequence(items)
    ds.LongitudinalTemporalInformationModified = "MODIFIED" if settings.shift_dates else "REMOVED"


CLEAN_PIXEL_CODE = ("113101", "Clean Pixel Data Option")


def mark_pixels_cleaned(ds: Dataset) -> None:
    """Record the Clean Pixel Data Option (113101) after burned-in text was removed from the pixels."""
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = CLEAN_PIXEL_CODE[0], "DCM", CLEAN_PIXEL_CODE[1]
    ds.DeidentificationMethodCodeSequence.append(item)
    ds.DeidentificationMethod = [*ds.DeidentificationMethod, CLEAN_PIXEL_CODE[1]]
    ds.BurnedInAnnotation = "NO"


def _expected_pixel_bytes(ds: Dataset) -> int:
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    bits = int(ds.BitsAllocated)
    return (int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1)) * frames * bits + 7) // 8


def read_checked(path: str | os.PathLike, require_pixels: bool = True) -> Dataset:
    """Read a DICOM file, raising DicomInputError for non-DICOM, DICOMDIR, truncated files and files without pixels.

    A file without the Part-10 preamble is read with force when it parses as a dataset (`objects.read_forced`).
    With `require_pixels=False`, the non-image objects the profile covers (SR, KO, RT plan/struct, waveforms) pass.
    """
    try:
        ds = pydicom.dcmread(path, force=False)
    except InvalidDicomError:
        ds = read_forced(path)
        if ds is None:
            raise DicomInputError("not a DICOM file (no DICM preamble, and it does not parse as a dataset)") from None
    except Exception as exc:  # pydicom raises many types for broken files
        raise DicomInputError(f"unreadable DICOM ({type(exc).__name__})") from None
    meta_class = str(ds.file_meta.get("MediaStorageSOPClassUID", "")) if ds.file_meta else ""
    if meta_class == DICOMDIR_SOP_CLASS or "DirectoryRecordSequence" in ds:
        raise DicomInputError("DICOMDIR (a media directory listing patients, not an image)")
    if "TransferSyntaxUID" not in (ds.file_meta or {}):
        set_transfer_syntax(ds)
    if "PixelData" not in ds:
        if require_pixels or non_image_family(str(ds.get("SOPClassUID", ""))) is None:
            raise DicomInputError("no pixel data")
    else:
        try:
            ds.PixelData  # noqa: B018 - forces the value to be read
            if not ds.file_meta.TransferSyntaxUID.is_compressed and len(ds.PixelData) < _expected_pixel_bytes(ds):
                raise DicomInputError("truncated pixel data")
        except DicomInputError:
            raise
        except Exception as exc:
            raise DicomInputError(f"truncated or corrupt file ({type(exc).__name__})") from None
    if "SOPInstanceUID" not in ds or "SeriesInstanceUID" not in ds:
        raise DicomInputError("no SOP Instance UID or Series Instance UID")
    return ds


def scrub(ds: Dataset, settings: ScrubSettings) -> set[tuple[str, str]]:
    """De-identify a dataset in place (header, sequences, private tags, file meta); return the PHI values it held."""
    found = Found()
    sop_class = str(ds.get("SOPClassUID", ""))
    scrub_dataset(ds, settings, found, sop_class)
    if non_image_family(sop_class) in ("Structured Report", "Key Object Selection"):
        _clean_document_text(ds, settings, found, SR_DOCUMENT_TEXT)
    _clean_document_text(ds, settings, found, ("ContentDescription",))
    mark_deidentified(ds, settings)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(str(ds.SOPInstanceUID))
    meta.TransferSyntaxUID = ds.file_meta.TransferSyntaxUID
    ds.file_meta = meta
    return found.values


@dataclass
class SubjectResult:
    """What a subject's scrub produced: written files (release path -> dataset), withheld inputs, PHI values."""

    written: dict[str, Dataset] = field(default_factory=dict)
    withheld: list[tuple[str, str]] = field(default_factory=list)  # (source file, reason)
    identifiers: set[tuple[str, str]] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    leaks: list[tuple[str, str]] = field(default_factory=list)  # (source file, what the second OCR pass read)
    pixels_cleaned: set[int] = field(default_factory=set)  # id() of datasets whose pixels were cleaned


def _session_of(path: str) -> str | None:
    for part in Path(path).parts:
        if part.startswith("ses-"):
            return part[4:]
    return None


def scrub_subject(
    files: Iterable[str | os.PathLike],
    settings: ScrubSettings,
    *,
    sessions: dict[str, str] | None = None,
    pixel_recipe: str | None = None,
    burned_in: str = "ocr",
    withhold_series: Callable[[list[Dataset]], str | None] | None = None,
    known: Iterable[tuple[str, str]] = (),
) -> SubjectResult:
    """Scrub one subject's DICOM files; bad files are withheld with a reason and the rest go on.

    `withhold_series` looks at a series' original datasets (in instance order) and returns a reason to keep the whole
    series out of the release (its header values still join the identifiers), or None. `known`: the subject's
    identifiers from the study ((value, kind) pairs, `deidflow.text.deidentify.subject_items`): burned-in text that
    the second OCR pass reads in any of their written forms (or the file's own header identifiers') fails the check.
    """
    known = list(known)
    result = SubjectResult()
    readable: list[tuple[str, Dataset]] = []
    for path in sorted(map(str, files)):
        try:
            readable.append((path, read_checked(path, require_pixels=False)))
        except DicomInputError as exc:
            result.withheld.append((path, str(exc)))
    if settings.descriptors is not None:  # every name, ID and institution in the headers joins its deny-list
        from .descriptors import header_items

        settings.descriptors.learn(header_items(ds for _, ds in readable))
    patients = Counter(str(ds.get("PatientID", "")) for _, ds in readable)
    if len(patients) > 1:
        ranked = patients.most_common()
        subject_id = ranked[0][0] if ranked[0][1] > ranked[1][1] else None
        kept = []
        for path, ds in readable:
            if str(ds.get("PatientID", "")) == subject_id:
                kept.append((path, ds))
            else:
                result.withheld.append((path, "mixed patients: PatientID differs from the subject's other DICOM files"))
                other = Found()
                for kw in ("PatientName", "PatientID"):
                    if kw in ds:
                        other.add(ds[kw], kw)
                result.identifiers |= other.values
        readable = kept
    series: dict[tuple[str | None, str], list[tuple[str, Dataset]]] = defaultdict(list)
    withheld_values: list[tuple[Any, set[tuple[str, str]]]] = []  # header values of images withheld for their pixels
    for path, ds in readable:
        reason = pixels.burned_in_reason(ds)
        if reason:
            original = Found()
            by_tag: list[tuple[Any, set[tuple[str, str]]]] = []
            for elem in ds.iterall():
                if elem.VR in ("PN", "LO", "SH", "DA", "DT"):
                    one = Found()
                    one.add(elem, elem.keyword or ("private" if elem.tag.is_private else "text"))
                    original.values |= one.values
                    by_tag.append((elem.tag, one.values))
            outcome = pixels.clean_burned_in(ds, reason, mode=burned_in, recipe=pixel_recipe,
                                             identifiers=[*known, *ocr_identifiers(original.values)])
            result.notes += outcome.notes
            if outcome.leak:
                result.leaks.append((path, outcome.leak))
            if outcome.withheld:
                result.withheld.append((path, outcome.withheld))
                withheld_values += by_tag
                continue
            if outcome.cleaned:
                result.pixels_cleaned.add(id(ds))
        session = _session_of(path)
        series[(session, str(ds.SeriesInstanceUID))].append((path, ds))
    order = sorted(series, key=lambda k: (k[0] or "", _series_sort_key(series[k][0][1], settings)))
    counters: Counter = Counter()
    for key in order:
        session = key[0]
        counters[session] += 1
        folder = f"sourcedata/dicom/sub-{settings.pseudonym}"
        if session is not None:
            folder += f"/ses-{(sessions or {}).get(session, session)}"
        folder += f"/series-{counters[session]:03d}"
        members = sorted(series[key], key=lambda pd: _instance_key(pd[1]))
        reason = withhold_series([ds for _, ds in members]) if withhold_series else None
        for index, (path, ds) in enumerate(members, 1):
            result.identifiers |= scrub(ds, settings)
            if id(ds) in result.pixels_cleaned:
                mark_pixels_cleaned(ds)
            if reason:
                result.withheld.append((path, reason))
            else:
                result.written[f"{folder}/{index:04d}.dcm"] = ds
    if withheld_values:  # a value a released sibling keeps in the same attribute was kept there by the profile
        released = {(elem.tag, str(v).strip()) for ds in result.written.values() for elem in ds.iterall()
                    if elem.VR in ("LO", "SH", "CS", "PN", "DA", "DT")
                    for v in (elem.value if isinstance(elem.value, (list, pydicom.multival.MultiValue))
                              else [elem.value])}
        result.identifiers |= {pair for tag, values in withheld_values for pair in values
                               if (tag, pair[0]) not in released}
    result.identifiers = needles(result.identifiers, kept_values(result.written.values()))
    return result


def ocr_identifiers(values: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The header values burned-in text is checked against: those that identify whatever the release keeps (names,
    IDs, dates, institutions, addresses), not the vendor strings a scanner burns in on purpose (model, software)."""
    return sorted((value, kind) for value, kind in values if always_counts(kind))


def _series_sort_key(ds: Dataset, settings: ScrubSettings) -> tuple:
    uid = str(ds.SeriesInstanceUID)
    return (int(ds.get("SeriesNumber", 0) or 0), settings.uid_map(uid) if settings.uid_map else uid)


def _instance_key(ds: Dataset) -> tuple:
    return (int(ds.get("InstanceNumber", 0) or 0), str(ds.SOPInstanceUID))
