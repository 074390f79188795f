"""The Clean Descriptors option (PS3.15 E.3.5, code 113105): free-text descriptions stay, with what identifies in
them replaced by the recognizers, deny-list and surrogates the transcripts use (`deidflow.text`).

A value the cleaner cannot vouch for (a study identifier still present after replacement, a word the vocabulary of
acquisition and anatomy terms cannot explain, or a result longer than its VR allows) is not released cleaned: the
caller falls back to the basic profile's action (fail closed). Entities whose words the vocabulary explains
("Routine Brain" read as a person) are not replaced.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Iterable, Mapping

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from ..text.deidentify import (IDENTIFYING_KEYWORDS, TextConfig, deidentify_bytes, dicom_items, seed_names,
                               study_deny)
from ..text.surrogates import Surrogates
from . import vocabulary

# The longest value each text VR may hold (PS3.5 Table 6.2-1), in characters.
MAX_CHARS = {"SH": 16, "LO": 64, "ST": 1024, "LT": 10240, "UT": 2**32 - 2, "UC": 2**32 - 2}
# Descriptor fields a BIDS sidecar may carry (dcm2niix copies them from the headers); cleaned like the headers.
SIDECAR_FIELDS = frozenset({"StudyDescription", "SeriesDescription", "ProtocolName", "ImageComments",
                            "PerformedProcedureStepDescription", "RequestedProcedureDescription",
                            "AdditionalPatientHistory"})

# Imaging words the English NER model can take for a place or an organisation in a short upper-case description
# ("MR brain" -> LOCATION): the Modality (0008,0060) defined terms and common sequence names. An entity whose whole
# text is one of these is not replaced (the text section's allow_list is added to them).
DESCRIPTOR_ALLOW = (
    "AR", "ASMT", "AU", "BDUS", "BI", "BMD", "CR", "CT", "DG", "DOC", "DX", "ECG", "EPS", "ES", "GM", "HC", "HD",
    "IO", "IOL", "IVOCT", "IVUS", "KER", "KO", "LEN", "LS", "MG", "MR", "NM", "OAM", "OCT", "OP", "OPM", "OPT", "OPV",
    "OSS", "OT", "PLAN", "PR", "PT", "PX", "REG", "RESP", "RF", "RG", "RTDOSE", "RTIMAGE", "RTPLAN", "RTSTRUCT",
    "SEG", "SM", "SR", "TG", "US", "XA", "XC", "MRI", "fMRI", "PET", "SPECT", "DWI", "DTI", "FLAIR", "MPRAGE",
    "BOLD", "EPI", "SWI", "TOF", "STIR", "T1", "T2", "T1w", "T2w", "PD", "localizer", "scout", "survey",
)


def header_items(datasets: Iterable[Dataset]) -> list[dict[str, str]]:
    """Deny-list items from the identifying attributes (names, IDs, institutions, addresses, phones) of a subject's
    original headers, at any depth."""
    values: dict[tuple[str, str], None] = {}

    def walk(ds: Dataset) -> None:
        for elem in ds:
            if elem.VR == "SQ":
                for item in elem.value:
                    walk(item)
            elif elem.keyword in IDENTIFYING_KEYWORDS and elem.value not in (None, ""):
                for value in elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]:
                    values[(elem.keyword, str(value))] = None

    for ds in datasets:
        walk(ds)
    return dicom_items({"kind": f"dicom:{kw}", "value": value} for kw, value in values)


class DescriptorCleaner:
    """Cleans one subject's descriptors consistently (the same value gets the same replacement everywhere).

    `leaks` collects the identifying spans found (value, kind) for the leak scan; `counts` the entities replaced.
    """

    def __init__(self, pseudonym: str, shift_days: int, text: Mapping[str, Any] | TextConfig | None = None, *,
                 items: Iterable[Mapping[str, str]] = (), salt: str = "", engine: Any = None):
        cfg = text if isinstance(text, TextConfig) else TextConfig.from_config(dict(text or {}))
        self.cfg = dataclasses.replace(cfg, allow_list=[*cfg.allow_list, *DESCRIPTOR_ALLOW])
        self.surrogates = Surrogates(pseudonym, style=self.cfg.surrogates, date_mode=self.cfg.dates,
                                     shift_days=shift_days, salt=salt)
        self.engine = engine
        self.items: list[Mapping[str, str]] = []
        self.leaks: set[tuple[str, str]] = set()
        self.counts: Counter = Counter()
        self.refused = 0
        self.unexplained: Counter = Counter()  # values removed for unexplained words, by attribute
        self._deny: tuple[list, Any] | None = None
        self._cache: dict[tuple[str, str], str | None] = {}
        self.learn(items)

    def learn(self, items: Iterable[Mapping[str, str]]) -> None:
        """Add known identifiers of the subject (study identifiers, `header_items`) to the deny-list."""
        new = [dict(item) for item in items if item not in self.items]
        if not new:
            return
        self.items += new
        self._deny = None
        self._cache.clear()
        seed_names(self.surrogates, new)  # the subject's own names first, as in the transcripts

    def clean(self, value: str, vr: str, keyword: str) -> str | None:
        """The value with identifying spans replaced, or None when it cannot be released cleaned."""
        if not value.strip():
            return value
        if (value, vr) in self._cache:
            return self._cache[(value, vr)]
        if self.engine is None:
            from ..text.engine import analyzer

            self.engine = analyzer(self.cfg.model)
        if self._deny is None:
            self._deny = study_deny(self.items, self.cfg)
        deny, check = self._deny
        cfg = dataclasses.replace(self.cfg, allow_list=[*self.cfg.allow_list, *explained_phrases(value)])
        result = deidentify_bytes(value.encode("utf-8"), "descriptor.txt", self.engine, deny, check,
                                  self.surrogates, cfg)
        cleaned = result.text
        if result.error is not None or cleaned is None or len(cleaned) > MAX_CHARS.get(vr, 64) or "\\" in cleaned:
            cleaned = None
            self.refused += 1
        elif vocabulary.unexplained(cleaned, self.surrogate_values()):
            cleaned = None
            self.unexplained[keyword] += 1
        else:
            self.counts.update(result.entities)
            self.leaks.update((text, f"dicom:{keyword}:{kind.split(':')[-1]}") for text, kind in result.leak_values)
        self._cache[(value, vr)] = cleaned
        return cleaned

    def surrogate_values(self) -> list[str]:
        """The replacement texts given so far (tags or fake values): explained, since the cleaner wrote them."""
        return [*self.surrogates._table.values(), "[DATE]"]

    def clean_values(self, value: Any, vr: str, keyword: str) -> Any:
        """A (possibly multi-valued) element value cleaned item by item, or None if any item cannot be."""
        items = list(value) if isinstance(value, (list, MultiValue)) else [value]
        out = []
        for item in items:
            text = item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
            cleaned = self.clean(text, vr, keyword)
            if cleaned is None:
                return None
            out.append(cleaned)
        return out if isinstance(value, (list, MultiValue)) else out[0]

    def summary(self, what: str = "descriptors") -> str:
        """One line for the part's notes."""
        replaced = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "none"
        unexplained = ", ".join(f"{k} {v}" for k, v in sorted(self.unexplained.items())) or "none"
        return (f"{what} cleaned with the transcript recognizers (clean_descriptors: clean): entities replaced: "
                f"{replaced}; {self.refused} value(s) could not be cleaned and were removed by the basic profile; "
                f"values holding words no vocabulary explains, removed by the basic profile: {unexplained}")


def explained_phrases(value: str) -> list[str]:
    """Every run of whole words in `value` that the vocabulary explains: an entity equal to one is not replaced.
    Runs holding digits are left to the recognizers (dates, phone numbers and IDs are made of short numbers)."""
    words = value.split()
    phrases = []
    for start in range(len(words)):
        for end in range(start + 1, min(len(words), start + 8) + 1):
            phrase = " ".join(words[start:end])
            if vocabulary.unexplained(phrase) or any(c.isdigit() for c in phrase):
                break
            phrases.append(phrase.strip(".,;:()"))
    return phrases
