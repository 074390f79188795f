"""Recognizers beyond Presidio's defaults: the study's own identifiers, postcodes, street addresses, national IDs."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from faker.providers.address.en_US import Provider as _UsAddress
from presidio_analyzer import Pattern, PatternRecognizer

from ..forms import base_kind, detected, forms
from .surrogates import WRITTEN_DATE

# Identifier kinds (workflow/schemas identifiers.columns) -> the entity type a match is replaced as.
KIND_ENTITY = {
    "name": "PERSON",
    "place": "LOCATION",
    "address": "STREET_ADDRESS",
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "date": "DATE_TIME",
    "id": "ID",
    "org": "ORGANIZATION",
    "institution": "ORGANIZATION",  # kept whole: "General" or "Hospital" alone is no identifier
    "subject_label": "ID",
    "other": "ID",
}
_NAME_STOP = {"dr", "mr", "mrs", "ms", "miss", "prof", "jr", "sr", "ii", "iii", "md", "phd", "the", "and", "of"}

_SUFFIXES = sorted({s for s in _UsAddress.street_suffixes} | {"St", "Ave", "Rd", "Ln", "Dr", "Blvd", "Ct", "Pl",
                                                               "Hwy", "Pkwy", "Sq", "Ter", "Cir", "Way"},
                   key=len, reverse=True)
STREET = (
    r"\b\d{1,6}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][a-z'\-]+\.?\s+){1,3}"
    rf"(?:{'|'.join(re.escape(s) for s in _SUFFIXES)})\b\.?"
    r"(?:,?\s+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|#)\s*[A-Za-z0-9\-]+)?"
)


def pattern_recognizers() -> list[PatternRecognizer]:
    """Postcode, street address, national-ID and written-date recognizers (scores are Presidio confidences; context
    raises them). A whole written date ("Monday the 4th of January 2021") is one span, so the day is shifted with
    the month and year (the model alone tags only "January 2021")."""
    return [
        PatternRecognizer(
            supported_entity="DATE_TIME",
            name="WrittenDateRecognizer",
            patterns=[Pattern("written_date", WRITTEN_DATE.pattern, 0.9)],
            global_regex_flags=re.MULTILINE,
        ),
        PatternRecognizer(
            supported_entity="STREET_ADDRESS",
            name="StreetAddressRecognizer",
            patterns=[Pattern("street", STREET, 0.75)],
            context=["live", "lives", "address", "street", "road", "moved", "house"],
            global_regex_flags=re.MULTILINE,
        ),
        PatternRecognizer(
            supported_entity="POSTCODE",
            name="PostcodeRecognizer",
            patterns=[
                Pattern("us_zip_plus4", r"\b\d{5}-\d{4}\b", 0.6),
                Pattern("us_zip", r"\b\d{5}\b", 0.3),
                Pattern("uk_postcode", r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b", 0.6),
                Pattern("ca_postcode", r"\b[ABCEGHJ-NPRSTVXY]\d[A-Z]\s?\d[A-Z]\d\b", 0.6),
            ],
            context=["zip", "zipcode", "postcode", "postal", "code", "address"],
            global_regex_flags=re.MULTILINE,
        ),
        PatternRecognizer(
            supported_entity="ID",
            name="NationalIdRecognizer",
            patterns=[
                Pattern("us_ssn", r"\b\d{3}-\d{2}-\d{4}\b", 0.65),
                Pattern("uk_nino", r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", 0.65),
                Pattern("ca_sin", r"\b\d{3}[- ]\d{3}[- ]\d{3}\b", 0.4),
                Pattern("mrn", r"\b(?:MRN|ID|No\.?|number)[:#\s]+[A-Z]{0,3}\d{5,10}\b", 0.6),
            ],
            context=["ssn", "social", "security", "national", "insurance", "id", "number", "sin", "record", "mrn"],
            global_regex_flags=re.MULTILINE,
        ),
    ]


# Forms of an address or a name that are replaced as another entity type than the value's own kind.
_FORM_ENTITY = {"town": "LOCATION", "postcode": "POSTCODE"}


class DigitTerm(str):
    """A deny-list digit sequence (a phone or ID number), matched with any separators between its digits (a key of
    its own beside the same digits as a literal term)."""

    def __hash__(self) -> int:
        return hash(("digits", str(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DigitTerm) and str.__eq__(self, other)


def deny_terms(values: Iterable[Mapping[str, str]], extra: Iterable[str] = (),
               allow: Iterable[str] = ()) -> dict[str, str]:
    """{term: entity} from study identifier items ({value, kind}) and a config list: every written form of every
    value (`deidflow.forms`, the leak scan's own forms) except allow-listed ones and common words that are only one
    word of a longer place or organisation name, plus each 3-letter name token (a first name alone is still the
    person). Terms are folded, plus the value's own diacritic spelling; the recognizer matches them in any case."""
    terms: dict[str, str] = {}
    allow = tuple(allow)
    for item in values:
        raw_kind = item.get("kind", "other")
        value, kind = str(item["value"]).strip(), base_kind(raw_kind)
        if not value:
            continue
        entity = KIND_ENTITY.get(kind, "ID")
        spellings = forms(value, kind, allow, found=detected(raw_kind))
        if not value.isascii():  # the value's own diacritics too (Bóthar), beside the folded spelling (Bothar)
            spellings += forms(value, kind, allow, found=detected(raw_kind), keep_diacritics=True)
        for form in spellings:
            if form.reason == "on text.allow_list" or form.form == "word" and not form.blocking:
                continue
            if len(form.text) < 2:
                continue
            term = DigitTerm(form.text) if form.digits else form.text
            terms.setdefault(term, _FORM_ENTITY.get(form.form, entity))
        if kind == "name":
            for token in re.split(r"[\s,^.]+", value):
                if len(token) == 3 and token.lower() not in _NAME_STOP and token.isalpha():
                    terms.setdefault(token.lower(), entity)
    for value in extra:
        if str(value).strip():
            terms.setdefault(str(value).strip(), "ID")
    return terms


def deny_recognizer(terms: Mapping[str, str]) -> list[PatternRecognizer]:
    """One whole-word recognizer per entity type for the study's terms (score 1.0; case-insensitive through
    Presidio's default regex flags)."""
    by_entity: dict[str, list[str]] = {}
    for term, entity in terms.items():
        by_entity.setdefault(entity, []).append(term)
    out = []
    for entity, words in sorted(by_entity.items()):
        words.sort(key=len, reverse=True)
        alternation = "|".join(_flexible(w) for w in words)
        out.append(
            PatternRecognizer(
                supported_entity=entity,
                name=f"StudyDenyList_{entity}",
                patterns=[Pattern(f"study_{entity.lower()}", rf"(?<![\w@])(?:{alternation})(?![\w@])", 1.0)],
            )
        )
    return out


def _flexible(term: str) -> str:
    """A regex for a term that tolerates any run of whitespace where the term has one; a digit term tolerates
    separators (spaces, dots, dashes, brackets) between its digits. (A class of every diacritic per letter made the
    patterns 3x slower to compile per transcript; the value's own spelling and the folded one are terms instead.)"""
    if isinstance(term, DigitTerm):
        return r"[\s.\-()/]{0,3}".join(term)
    return r"\s+".join(re.escape(part) for part in term.split())
