"""Which removed header values the leak scan must search the release for (the part's identifiers.json).
A value contained in a kept non-identifying value counts as equal to it; a one-word person name that is a role word
("Observer") is a placeholder, not a name.

The profile keeps some attributes on purpose (Manufacturer, model, software versions, body part, modality, code
meanings, PositionReferenceIndicator...). A removed value equal to one of them (a GE private tag repeating the model
name, a StudyDescription reappearing as PositionReferenceIndicator) is not identifying and would only make the gate
fail on a false alarm; nor is a generic description every word of which the vocabulary explains ("Routine Brain").
Names, IDs, institutions, addresses, stations, serial numbers and dates always count (an institution or station
equal to, or part of, the kept manufacturer or model name, as some test devices write it: "TOSHIBA" beside the kept
Manufacturer "TOSHIBA_MEC", is that kept value, not a needle;
person names, IDs and dates count even then).
"""

from __future__ import annotations

from typing import Iterable

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from . import vocabulary

ALWAYS_VRS = frozenset({"PN", "DA", "DT"})
ALWAYS_WORDS = ("ID", "Institution", "Address", "Telephone", "Station", "Serial", "Physician", "Operator",
                "Date", "Birth", "Patient", "Accession", "Author", "Observer", "Person", "Email", "Issuer")
TEXT_VRS = frozenset({"LO", "SH", "CS", "ST", "LT", "UT", "UC", "AE", "UR", "UI"})


def always_counts(kind: str) -> bool:
    """Whether a value of this kind ("dicom:<keyword>[:<entity>]") is identifying whatever else the release holds."""
    parts = kind.split(":")
    keyword = parts[1] if len(parts) > 1 else kind
    if len(parts) > 2:
        return True  # an entity the recognizers found inside a description
    if keyword in ("private", "overlay_or_curve"):
        return False
    from ..text.deidentify import IDENTIFYING_KEYWORDS

    if keyword.endswith(("UID", "UIDs")):
        return False  # instance UIDs are remapped (the original is then absent); a UID kept as it is is standard
    if keyword in IDENTIFYING_KEYWORDS or any(word in keyword for word in ALWAYS_WORDS):
        return True
    tag = tag_for_keyword(keyword)
    try:
        return tag is None or dictionary_VR(tag) in ALWAYS_VRS
    except KeyError:
        return True  # unknown attribute: it counts


def kept_values(datasets: Iterable[Dataset]) -> set[str]:
    """Text values the scrubbed datasets still hold in non-identifying attributes (case-folded)."""
    kept: set[str] = set()

    def walk(ds: Dataset) -> None:
        for elem in ds:
            if elem.VR == "SQ":
                for item in elem.value:
                    walk(item)
            elif elem.VR in TEXT_VRS and elem.value not in (None, "") and not always_counts(f"dicom:{elem.keyword}"):
                values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
                kept.update(str(v).strip().casefold() for v in values)

    for ds in datasets:
        walk(ds)
    return kept


def needles(found: Iterable[tuple[str, str]], kept: set[str]) -> set[tuple[str, str]]:
    """The (value, kind) pairs the leak scan must look for: what was removed, less the kept and generic values."""
    out = set()
    kept_text = "\n".join(sorted(kept))
    for value, kind in found:
        folded = value.strip().casefold()
        if not always_counts(kind) and (folded in kept_text or not vocabulary.unexplained(value)):
            continue  # equal to, or part of, a value kept on purpose; or a generic description
        if len(folded) >= 4 and folded in kept_text and not strictly_identifying(kind):
            continue  # an institution or station named like (part of) the kept manufacturer or model
        if placeholder_name(value, kind):
            continue
        out.add((value, kind))
    return out


def strictly_identifying(kind: str) -> bool:
    """Kinds that count even when the release keeps the very same value elsewhere: person names, IDs, dates."""
    keyword = kind.split(":")[1] if ":" in kind else kind
    if any(word in keyword for word in ("ID", "Birth", "Patient", "Accession")) or len(kind.split(":")) > 2:
        return True
    tag = tag_for_keyword(keyword)
    try:
        return tag is None or dictionary_VR(tag) in ALWAYS_VRS
    except KeyError:
        return True


def placeholder_name(value: str, kind: str) -> bool:
    """A one-word person-name value that is a plain role word, not a name ("Observer", "Physician")."""
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    keyword = kind.split(":")[1] if ":" in kind else kind
    tag = tag_for_keyword(keyword)
    words = value.replace("^", " ").split()
    return (tag is not None and dictionary_VR(tag) == "PN" and len(words) == 1 and words[0].isalpha()
            and words[0].lower() not in vocabulary.person_names() and not vocabulary.unexplained(words[0]))
