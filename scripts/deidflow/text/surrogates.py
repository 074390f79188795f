"""Consistent replacements within a subject: the same value gets the same surrogate; dates are shifted."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from faker import Faker

# strptime formats for dates as people write them, most specific first; the same format renders the shifted date.
DATE_FORMATS = [
    "%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%B %d, %Y", "%B %d %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y",
    "%b. %d, %Y", "%B %Y", "%m/%d/%y", "%B %d", "%d %B",
]
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b")
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTH_RE = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|" \
            r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
# A whole written date: weekday, "the", ordinal day, "of", month, year ('21 too), in either order of day and month.
WRITTEN_DATE = re.compile(
    r"(?<![\w'])(?:(?P<wd>(?:Mon|Tues|Tue|Wednes|Wed|Thurs|Thu|Fri|Satur|Sat|Sun)(?:day)?)\.?(?P<wdsep>,?\s+))?"
    rf"(?:(?P<the1>[Tt]he\s+)?(?P<d1>\d{{1,2}})(?P<o1>st|nd|rd|th)?(?P<of>\s+of)?\s+(?P<m1>{_MONTH_RE})(?P<dot1>\.)?"
    rf"|(?P<m2>{_MONTH_RE})(?P<dot2>\.)?\s+(?P<the2>the\s+)?(?P<d2>\d{{1,2}})(?P<o2>st|nd|rd|th)?)"
    r"(?![\w])(?:(?P<comma>,)?\s+(?P<y>\d{4}|'\d{2})(?![\w]))?"
)
_OF = re.compile(r"\bthe\s+|\s+of\b", re.I)
_FAKE = {
    "PERSON": "name",
    "LOCATION": "city",
    "STREET_ADDRESS": "street_address",
    "POSTCODE": "postcode",
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone_number",
    "ORGANIZATION": "company",
    "ID": "ssn",
    "NRP": "country",
}


def normalize(value: str) -> str:
    """The key two mentions of the same value share (case and spacing ignored)."""
    return " ".join(value.casefold().split())


# Numeric formats read day first outside English (03/01/2021 is 3 January in French, Spanish, German, Finnish).
DAY_FIRST_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"]


def parse_date(text: str, language: str = "en") -> tuple[dt.date, str] | None:
    """(date, format) for a written date, or None when it is not a calendar date. Numeric dates are read month
    first in English, day first in every other language."""
    clean = _OF.sub(" ", _ORDINAL.sub("", text.strip().rstrip(".,"))).strip()
    clean = " ".join(clean.split())
    for fmt in DATE_FORMATS if language == "en" else DAY_FIRST_FORMATS:
        try:
            has_year = "%Y" in fmt or "%y" in fmt  # a date without a year is parsed in a leap year
            parsed = dt.datetime.strptime(clean if has_year else f"{clean} 2000", fmt if has_year else f"{fmt} %Y")
        except ValueError:
            continue
        return parsed.date(), fmt
    return None


def _ordinal(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def shift_written_date(text: str, days: int) -> str | None:
    """A whole written date ("Monday the 4th of January 2021", "4th Jan '21", "January 4th, 2021") moved by `days`
    and written back in its own style (weekday recomputed), or None when `text` is not exactly such a valid date."""
    m = WRITTEN_DATE.fullmatch(text.strip().rstrip(".,"))
    if m is None or not (m["d1"] or m["d2"]):
        return None
    month_word = m["m1"] or m["m2"]
    month = next(i for i, name in enumerate(_MONTHS, 1) if name.lower().startswith(month_word[:3].lower()))
    year_text = m["y"]
    if year_text is None:
        year = 2000  # a leap year: 29 February without a year stays valid
    elif year_text.startswith("'"):
        year = 2000 + int(year_text[1:]) if int(year_text[1:]) < 50 else 1900 + int(year_text[1:])
    else:
        year = int(year_text)
    try:
        day = dt.date(year, month, int(m["d1"] or m["d2"])) + dt.timedelta(days=days)
    except ValueError:
        return None
    full_month = len(month_word) > 4 or month_word in ("May", "June", "July")
    mname = _MONTHS[day.month - 1] if full_month else _MONTHS[day.month - 1][:3]
    mname += "." if m["dot1"] or m["dot2"] else ""
    dnum = f"{day.day}{_ordinal(day.day) if m['o1'] or m['o2'] else ''}"
    out = ""
    if m["wd"]:
        weekday = _WEEKDAYS[day.weekday()]
        out += (weekday if m["wd"].endswith("day") else weekday[:3]) + m["wdsep"]
    if m["d1"]:
        out += f"{m['the1'] or ''}{dnum}{' of' if m['of'] else ''} {mname}"
    else:
        out += f"{mname} {m['the2'] or ''}{dnum}"
    if year_text is not None:
        written = f"'{day.year % 100:02d}" if year_text.startswith("'") else str(day.year)
        out += f"{m['comma'] or ''} {written}"
    return out


def render_date(day: dt.date, fmt: str, like: str | None = None) -> str:
    """A date in the format it was written in (no zero padding for day-of-month words, nor for a numeric date
    written without it: 3.1.2021 stays unpadded)."""
    out = day.strftime(fmt)
    if "%B" in fmt or "%b" in fmt or like is not None and re.search(r"(?<!\d)\d(?!\d)", like):
        out = re.sub(r"\b0(\d)\b", r"\1", out)
    return out


class Surrogates:
    """Replacement text for one subject's entities, the same for the same value across all its transcripts."""

    def __init__(self, subject: str, *, style: str = "tag", date_mode: str = "shift", shift_days: int = 0,
                 salt: str = "", language: str = "en"):
        if style not in ("tag", "fake"):
            raise ValueError(f"text.surrogates must be 'tag' or 'fake', not {style!r}")
        if date_mode not in ("shift", "year", "tag"):
            raise ValueError(f"text.dates must be 'shift', 'year' or 'tag', not {date_mode!r}")
        self.subject, self.style, self.date_mode, self.shift = subject, style, date_mode, shift_days
        self.salt, self.language = salt, language
        self._table: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}
        self._given: dict[tuple[str, str], tuple[str, str]] = {}  # given name -> the one full name with it
        self._ambiguous: set[tuple[str, str]] = set()
        self._aliases: dict[tuple[str, str], str] = {}  # (entity, folded form) -> the value it is a form of

    def alias(self, entity: str, form: str, value: str) -> None:
        """Let a written form of a known value (JoseBothar, J. Bóthar for José Bóthar) get that value's surrogate."""
        from ..forms import fold

        key = (entity, " ".join(fold(form).split()))
        if key[1] != normalize(value):
            self._aliases.setdefault(key, value)

    def __call__(self, entity: str, value: str) -> str:
        """The surrogate for `value` of type `entity`."""
        if entity == "DATE_TIME":
            return self._date(value)
        if self._aliases:
            from ..forms import fold

            value = self._aliases.get((entity, " ".join(fold(value).split())), value)
        key = (entity, normalize(value))
        if key in self._table:
            return self._table[key]
        tokens = key[1].split()
        if entity == "PERSON" and len(tokens) == 1 and key in self._given:
            # A given name alone is the person whose full name starts with it (only one such person seen).
            full = self._table[self._given[key]]
            self._table[key] = full.split()[0] if self.style == "fake" else full
            return self._table[key]
        if entity == "PERSON" and len(tokens) > 1 and (entity, tokens[0]) in self._table:
            self._table[key] = self._new(entity, key[1], like=self._table[(entity, tokens[0])])
        else:
            self._table[key] = self._new(entity, key[1])
        if entity == "PERSON" and len(tokens) > 1:
            given = (entity, tokens[0])
            if given in self._given and self._given[given] != key:
                del self._given[given]  # two people share this given name: alone, it links to neither
                self._ambiguous.add(given)
            elif given not in self._ambiguous:
                self._given[given] = key
        return self._table[key]

    def _new(self, entity: str, normalized: str, like: str | None = None) -> str:
        if like is not None and self.style == "tag":
            return like
        self._counts[entity] = self._counts.get(entity, 0) + 1
        if self.style == "fake":
            fake = self._fake(entity, normalized)
            return f"{like} {fake.split()[-1]}" if like is not None else fake
        return f"[{entity}_{self._counts[entity]}]"

    def _date(self, value: str) -> str:
        from .languages import LANGUAGES, date_match, shift_date

        lang = LANGUAGES.get(self.language)
        if lang is not None and lang.months:  # a date written in the subject's language ("3. tammikuuta 2021")
            m = date_match(value, lang)
            if m is not None:
                if self.date_mode == "shift":
                    return shift_date(value, self.shift, lang) or "[DATE]"
                return m["y"] if self.date_mode == "year" and m["y"] else "[DATE]"
        if self.date_mode == "shift":
            written = shift_written_date(value, self.shift)
            if written is not None:
                return written
        parsed = parse_date(value, self.language)
        if parsed is None or self.date_mode == "tag":
            return "[DATE]"
        day, fmt = parsed
        if self.date_mode == "year":
            return str(day.year) if "%Y" in fmt or "%y" in fmt else "[DATE]"
        return render_date(day + dt.timedelta(days=self.shift), fmt, value.strip())

    def _fake(self, entity: str, normalized: str) -> str:
        seed = hashlib.sha256(f"{self.salt}\0{self.subject}\0{entity}\0{normalized}".encode()).digest()
        from .languages import LANGUAGES

        faker = Faker(LANGUAGES[self.language].faker_locale if self.language in LANGUAGES else "en_US")
        faker.seed_instance(int.from_bytes(seed[:8], "big"))
        method = "first_name" if entity == "PERSON" and " " not in normalized else _FAKE.get(entity)
        return getattr(faker, method)() if method else f"[{entity}]"
