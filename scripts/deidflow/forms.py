"""Every known identifier in the forms people write it: the one source of truth for the leak scan and the transcript
(and DICOM descriptor) deny-list, so the two never disagree.

A form is case- and diacritic-folded (`fold`: José = jose, Bóthar = bothar). A form that is a common word of English
(wordfreq's Zipf frequency at least `COMMON_ZIPF`) or on the study's allow-list is still produced, but marked
*not blocking* with the reason: the scan reports it and the transcript step still replaces it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Collection, Iterator

COMMON_ZIPF = 5.0  # "john", "street", "london", "hospital" (>= 5.0) are common words; "smith" (4.9) is not
# A name a detector found (NER in a transcript or a DICOM description) may carry the words around it: there a token
# as frequent as "referred" (4.6) or "option" (4.8) is reported, not blocking.
DETECTED_ZIPF = 4.0
MIN_TOKEN = 4  # shortest name token that is a form of its own
MIN_DIGITS = 7  # shortest digit sequence (phone, ID) matched across separators
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
# Titles and the roles written before a name like one ("Patient Ryan Mendoza", "Nurse Jones"): not part of the name.
TITLES = {"dr", "mr", "mrs", "ms", "miss", "prof", "jr", "sr", "ii", "iii", "iv", "md", "phd", "the", "and", "of",
          "patient", "doctor", "nurse", "professor", "sister", "father", "mother", "rev", "sir", "dame", "mx"}
_UNIT = re.compile(r"\s+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|#)\s*.*$", re.I)
_HOUSE = re.compile(r"^(\d+[A-Za-z]?)\s+(.+)$|^(.+?)\s+(\d+[A-Za-z]?)$")
_POSTCODE = re.compile(r"^(?=.*\d)[A-Za-z0-9]{2,5}(?:[\s-][A-Za-z0-9]{2,4})?$")
# Part identifier kinds ("dicom:PatientAddress") whose values are addresses or record numbers.
_ADDRESS_KEYS = {"patientaddress", "institutionaddress", "street_address"}
_ID_KEYS = {"patientid", "otherpatientids", "accessionnumber", "medicalrecordlocator", "issuerofpatientid"}
_TRANSCRIPT = {"person": "name", "email_address": "email", "phone_number": "phone", "street_address": "address",
               "id": "id", "us_ssn": "id", "uk_nhs": "id", "location": "place", "organization": "org",
               "date_time": "date", "postcode": "postcode"}


@dataclass(frozen=True)
class Form:
    """One written form of an identifier value."""

    text: str  # folded text (or, when `digits`, the digit sequence matched across separators)
    form: str  # which form: as-is, token, joined, initial-surname, street, town, national, iso-date, ...
    blocking: bool = True
    reason: str = ""  # why it does not block ("common word", "on text.allow_list", ...)
    digits: bool = False  # matched as a digit sequence with any separators (phones, IDs)


_EXTRA_FOLD = {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
               "ŧ": "t", "ŋ": "n", "ſ": "s", "ß": "ss"}


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        base = _EXTRA_FOLD.get(char.lower(), base).lower()
        if base and base != char:
            table[code] = base
    for code in range(0x1E00, 0x1F00):  # Latin Extended Additional (Vietnamese, Welsh ŵ, ...)
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
        if base and base.isascii():
            table[code] = base
    return table


def fold(text: str) -> str:
    """Case- and diacritic-folded text (José -> jose, Bóthar -> bothar, Straße -> strasse)."""
    text = text.casefold()
    return text if text.isascii() else text.translate(_fold_table())


@functools.lru_cache(maxsize=65536)
def is_common(word: str, zipf: float = COMMON_ZIPF) -> bool:
    """A common English word (wordfreq Zipf frequency >= `zipf`): too frequent to mean this person alone."""
    from wordfreq import zipf_frequency

    return zipf_frequency(fold(word), "en") >= zipf


def detected(column: str) -> bool:
    """Whether an identifier kind/column names a detector's find ('transcript:PERSON', 'dicom:ImageComments:PERSON')
    rather than a value the study or a header holds."""
    return ":" in column and column.rsplit(":", 1)[-1].isupper()


def base_kind(kind: str) -> str:
    """The form family of an identifier kind: study kinds as they are, part kinds ('dicom:PatientName',
    'transcript:PHONE_NUMBER', 'study:address') by what they hold."""
    if ":" not in kind:
        return kind
    prefix, _, rest = kind.partition(":")
    base = rest.split(":")[-1].lower()
    if prefix == "study":
        return rest
    if prefix == "transcript" or base in _TRANSCRIPT:
        return _TRANSCRIPT.get(base, "other")
    if base in _ADDRESS_KEYS:
        return "address"
    if base in _ID_KEYS:
        return "id"
    if "name" in base and "institution" not in base and "station" not in base:
        return "name"
    if "date" in base and "time" not in base:
        return "date"
    if "phone" in base or "telephone" in base:
        return "phone"
    if "email" in base or "mail" == base:
        return "email"
    return "other"


def forms(value: str, kind: str, allow: Collection[str] = (), *, found: bool = False,
          keep_diacritics: bool = False) -> list[Form]:
    """The written forms of one identifier value of a kind (see KINDS in deidflow.identifiers), deduplicated; a
    common-word or allow-listed form comes back not blocking with its reason. `found`: the value is a detector's
    find (see `detected`), so a token as frequent as "patient" (DETECTED_ZIPF) does not block. `keep_diacritics`:
    case-folded only (josé bóthar), the spelling a deny-list regex needs beside the folded one."""
    value = " ".join(str(value).split())
    if not value:
        return []
    kind = base_kind(kind)
    threshold = DETECTED_ZIPF if found and kind == "name" else COMMON_ZIPF
    allowed = {fold(a).strip() for a in allow}
    out: dict[tuple[str, bool], Form] = {}
    for form, text, digits in _raw_forms(value, kind):
        text = text if digits else " ".join((text.casefold() if keep_diacritics else fold(text)).split())
        if not text or (text, digits) in out:
            continue
        if digits:
            out[(text, digits)] = Form(text, form, digits=True)
        elif fold(text) in allowed:
            out[(text, digits)] = Form(text, form, False, "on text.allow_list")
        elif form in _SINGLE_WORD_FORMS and _all_common(text, threshold):
            out[(text, digits)] = Form(text, form, False, "common word")
        else:
            out[(text, digits)] = Form(text, form)
    return list(out.values())


# Forms that may be one everyday word (a token, a town, an e-mail's local part, a one-word place or organisation).
_SINGLE_WORD_FORMS = {"token", "town", "email-local", "word", "street-name", "as-is", "address-part"}


def _all_common(text: str, zipf: float = COMMON_ZIPF) -> bool:
    words = re.findall(r"[^\W\d_]+", text)
    return bool(words) and not any(c.isdigit() for c in text) and all(is_common(w, zipf) for w in words)


def _raw_forms(value: str, kind: str) -> Iterator[tuple[str, str, bool]]:
    yield "as-is", value, False
    if kind == "name":
        yield from _name_forms(value)
    elif kind == "address":
        yield from _address_forms(value)
    elif kind == "phone":
        yield from _phone_forms(value)
    elif kind == "email":
        local = value.split("@")[0]
        if "@" in value and len(local) >= MIN_TOKEN:
            yield "email-local", local, False
    elif kind in ("id", "subject_label"):
        yield from _id_forms(value)
    elif kind == "postcode":
        yield from _postcode_forms(value)
    elif kind == "date":
        yield from _date_forms(value)
    elif kind in ("place", "org"):  # an institution is kept whole: "General" or "Hospital" alone is no identifier
        words = [w for w in re.split(r"[\s,]+", value) if len(w) >= MIN_TOKEN and w.lower() not in TITLES]
        if len(words) > 1:
            for word in words:
                yield "word", word, False


def name_parts(value: str) -> tuple[str, list[str], str] | None:
    """(first, middle names, last) of a written or DICOM (Last^First^Middle^Prefix^Suffix) person name."""
    if "^" in value:
        parts = [p.strip() for p in value.split("^")]
        if parts and parts[0].rstrip(".").lower() in TITLES:  # Dr.^First^Last: a prefix written first
            words = [w for p in parts for w in p.split() if w.rstrip(".").lower() not in TITLES]
            return (words[0], words[1:-1], words[-1]) if len(words) >= 2 else None
        last, given = parts[0], parts[1:3]
        given_words = [w for g in given for w in g.split() if w.rstrip(".").lower() not in TITLES]
        if not last or not given_words:
            return None
        return given_words[0], given_words[1:], last
    if value.count(",") == 1:
        last, given = (p.strip() for p in value.split(","))
        given_words = [w for w in given.split() if w.rstrip(".").lower() not in TITLES]
        if last and given_words and " " not in last:
            return given_words[0], given_words[1:], last
    words = [w for w in re.split(r"[\s,]+", value) if w and w.rstrip(".").lower() not in TITLES]
    return (words[0], words[1:-1], words[-1]) if len(words) >= 2 else None


def _name_forms(value: str) -> Iterator[tuple[str, str, bool]]:
    for token in re.split(r"[\s,^.]+", value):
        if len(token) >= MIN_TOKEN and token.lower() not in TITLES and not token.isdigit():
            yield "token", token, False
    parts = name_parts(value)
    if parts is None:
        return
    first, middle, last = parts
    yield "full", " ".join([first, *middle, last]), False
    yield "first-last", f"{first} {last}", False
    yield "dicom-name", f"{last}^{first}", False
    yield "dicom-name-full", "^".join([last, first, *middle]), False
    yield "dicom-name-full", "^".join([last, " ".join([first, *middle])]), False
    for sep in (", ", ","):
        yield "last-first", f"{last}{sep}{first}", False
    yield "last-first", f"{last} {first}", False
    for sep in ("", "_", "-", "."):
        yield "joined", f"{first}{sep}{last}", False
        yield "joined", f"{last}{sep}{first}", False
    initial = first[0]
    for text in (f"{initial}. {last}", f"{initial} {last}", f"{initial}{last}", f"{initial}.{last}",
                 f"{initial}_{last}", f"{last}, {initial}.", f"{last}, {initial}", f"{last}^{initial}"):
        yield "initial-surname", text, False
    if middle:
        yield "initials-surname", f"{initial}. {middle[0][0]}. {last}", False
        yield "initials-surname", f"{initial}{middle[0][0]}{last}", False


def _address_forms(value: str) -> Iterator[tuple[str, str, bool]]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    for part in parts:
        yield "address-part", part, False
    lines = re.split(r"\s*\n\s*", value)
    street = _UNIT.sub("", parts[0] if parts else lines[0]).strip()
    yield "street", street, False
    house = _HOUSE.match(street)
    if house:
        number, name = (house.group(1), house.group(2)) if house.group(1) else (house.group(4), house.group(3))
        yield "house-street", f"{number} {name}", False
        yield "house-street", f"{name} {number}", False
        yield "house-street", f"{name}, {number}", False
        yield "street-name", name, False
    for part in parts[1:]:
        words = part.split()
        codes = [w for w in words if any(c.isdigit() for c in w)]
        town = " ".join(w for w in words if not any(c.isdigit() for c in w) and len(w) > 2)
        if codes:
            yield from _postcode_forms(" ".join(codes))
        if town and len(town) >= MIN_TOKEN:
            yield "town", town, False


def _postcode_forms(value: str) -> Iterator[tuple[str, str, bool]]:
    value = value.strip()
    if not _POSTCODE.match(value):
        return
    yield "postcode", value, False
    compact = re.sub(r"[\s-]", "", value)
    if compact != value:
        yield "postcode", compact, False
    if compact.isdigit() and len(compact) >= MIN_DIGITS:
        yield "postcode", compact, True


def _phone_forms(value: str) -> Iterator[tuple[str, str, bool]]:
    import phonenumbers

    digits = re.sub(r"\D", "", value)
    if len(digits) < MIN_DIGITS:
        return
    yield "digits", digits, True
    try:
        number = phonenumbers.parse(value, None if value.lstrip().startswith("+") else "US")
        national, code = str(number.national_number), str(number.country_code)
    except phonenumbers.NumberParseException:
        national, code = digits, ""
    if len(national) >= MIN_DIGITS:
        yield "national", national, True
        yield "trunk-0", "0" + national, True
        if code:
            yield "international", code + national, True
            yield "international", "00" + code + national, True
    if len(national) == 10:  # the separators a raw byte search needs spelled out (NANP style)
        a, b, c = national[:3], national[3:6], national[6:]
        for sep in ("-", ".", " "):
            yield f"phone{sep!r}", f"{a}{sep}{b}{sep}{c}", False
        yield "phone-paren", f"({a}) {b}-{c}", False
        yield "e164", f"+{code or '1'}{national}", False


def _id_forms(value: str) -> Iterator[tuple[str, str, bool]]:
    compact = re.sub(r"[^0-9A-Za-z]", "", value)
    if compact != value and len(compact) >= MIN_TOKEN:
        yield "compact", compact, False
    digits = re.sub(r"\D", "", value)
    if len(digits) >= MIN_DIGITS and digits != value:
        yield "digits", digits, True


def parse_day(value: str) -> dt.date | None:
    """A stored date value (ISO date or datetime, DICOM DA/DT) as a date."""
    value = value.strip()
    for text, fmt in ((value[:10], "%Y-%m-%d"), (value[:8], "%Y%m%d"), (value[:10], "%Y/%m/%d")):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def ordinal(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _date_forms(value: str) -> Iterator[tuple[str, str, bool]]:
    day = parse_day(value)
    if day is None:
        return
    d, m, y = day.day, day.month, day.year
    month, mon, th = MONTHS[m - 1], MONTHS[m - 1][:3], f"{d}{ordinal(d)}"
    yield "iso", day.isoformat(), False
    yield "dicom-date", day.strftime("%Y%m%d"), False
    for sep in ("/", "-", "."):
        yield f"d{sep}m{sep}y", f"{d:02d}{sep}{m:02d}{sep}{y}", False
        yield f"d{sep}m{sep}y", f"{d}{sep}{m}{sep}{y}", False
        yield f"m{sep}d{sep}y", f"{m:02d}{sep}{d:02d}{sep}{y}", False
        yield f"m{sep}d{sep}y", f"{m}{sep}{d}{sep}{y}", False
    yield "y/m/d", f"{y}/{m:02d}/{d:02d}", False
    for name in (month, mon):
        yield "long-date-eu", f"{d} {name} {y}", False
        yield "long-date", f"{name} {d}, {y}", False
        yield "long-date", f"{name} {d} {y}", False
        yield "ordinal-date", f"{th} {name} {y}", False
        yield "ordinal-date", f"{th} of {name} {y}", False
        yield "ordinal-date", f"{th} of {name}, {y}", False
        yield "ordinal-date", f"{name} {th}, {y}", False
        yield "ordinal-date", f"{name} {th} {y}", False
        yield "ordinal-date", f"{th} {name} '{y % 100:02d}", False
        yield "ordinal-date", f"{d} {name} '{y % 100:02d}", False
        yield "dd-mon-yyyy", f"{d:02d}-{name}-{y}", False
    yield "dotted-date", f"{mon}. {d}, {y}", False
