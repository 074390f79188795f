"""De-identify a subject's documents with the transcript step's machinery (same recognizers, deny-list, surrogates
and date shift) and release each as a fresh file built from the cleaned text, or withhold it with a reason."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Mapping

from ..sections import known_keys
from .model import Document, DocumentError

EXTENSIONS = (".docx", ".odt", ".rtf", ".pdf")
DEFAULT_SUFFIX = "document"


@dataclass
class DocumentsConfig:
    """The `documents:` config section (defaults match workflow/schemas/documents.schema.yaml)."""

    formats: list[str] = field(default_factory=lambda: ["docx", "odt", "rtf", "pdf"])
    notes: bool = True  # keep footnotes and endnotes (de-identified) as a Notes section at the end

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> "DocumentsConfig":
        cfg = cls(**known_keys(cls, section, "documents"))
        bad = sorted(set(cfg.formats) - {e[1:] for e in EXTENSIONS})
        if bad:
            raise ValueError(f"documents.formats: unknown format(s) {bad}; the formats are docx, odt, rtf, pdf")
        return cfg


def handlers() -> dict[str, tuple[Callable[[Path], Document], Callable[[Document], bytes], str]]:
    """extension -> (reader, writer, released extension)."""
    from .docx import read_docx, write_docx
    from .odt import read_odt, write_odt
    from .pdf import read_pdf, write_text
    from .rtf import read_rtf, write_rtf

    return {".docx": (read_docx, write_docx, ".docx"), ".odt": (read_odt, write_odt, ".odt"),
            ".rtf": (read_rtf, write_rtf, ".rtf"), ".pdf": (read_pdf, write_text, ".txt")}


@dataclass
class DocResult:
    """What happened to one document's text."""

    document: Document | None
    entities: Counter = field(default_factory=Counter)
    leak_values: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def deidentify_document(doc: Document, name: str, engine, deny: list, check, surrogates, cfg) -> DocResult:
    """Every text of the document analysed as one text (so context helps the recognizers), each entity replaced in
    the segment it falls in; the result re-checked against the subject's identifiers."""
    from presidio_analyzer import RecognizerResult

    from ..text.deidentify import LEAK_ENTITIES, find_entities, replace

    segments = doc.segments()
    text = "\n".join(segments)
    results = find_entities(text, "txt", engine, deny, cfg) if text.strip() else []
    out, offset = [], 0
    for segment in segments:
        end = offset + len(segment)
        mine = [RecognizerResult(r.entity_type, max(r.start, offset) - offset, min(r.end, end) - offset, r.score)
                for r in results if max(r.start, offset) < min(r.end, end)]
        out.append(replace(segment, mine, surrogates))
        offset = end + 1
    cleaned = doc.with_segments(out)
    if check is not None:
        left = check.search(cleaned.text())
        if left is not None:
            return DocResult(None, error=f"{name}: a study identifier is still present after replacement "
                                         f"(at character {left.start()})")
    leaks = [(text[r.start:r.end], f"document:{r.entity_type}") for r in results
             if r.entity_type in LEAK_ENTITIES or (r.entity_type == "PERSON" and len(text[r.start:r.end].split()) > 1)]
    return DocResult(cleaned, Counter(r.entity_type for r in results), leaks)


def verify_output(data: bytes, extension: str, check) -> str | None:
    """Re-read what is about to be released (every XML member of a package, the text of an RTF or text file) and
    return where a study identifier is still found, or None."""
    from .package import package_texts

    if check is None:
        return None
    if extension in (".docx", ".odt"):
        views = package_texts(data)
    else:
        views = [("text", data.decode("utf-8" if extension == ".txt" else "latin-1"))]
    for member, text in views:
        left = check.search(text)
        if left is not None:
            return f"a study identifier is in the written {member} (at character {left.start()})"
    return None


def release_name(target: str, extension: str) -> str:
    """The planned release name with the released extension (a PDF is released as text)."""
    path = PurePosixPath(target)
    return str(path.with_suffix(extension)) if path.suffix.lower() != extension else target


def process_subject(inputs: Iterable[str], bids_dir: str, record, identifiers: Mapping[str, Any], text_cfg,
                    cfg: DocumentsConfig, writer, log, *, salt: str = "",
                    extra_items: Iterable[Mapping[str, str]] = (), engine=None, language: str | None = None) -> None:
    """De-identify one subject's documents into a PartWriter: each released as a fresh file under a pseudonymized
    name, or withheld with a reason naming the file. `engine` is a loaded Presidio analyzer (loaded here if None, for
    `language`: the subject's, default `text.language`)."""
    from ..bidsname import BidsNameError, plan_names, report_path
    from ..risk.leaks import Scanner, build_needles
    from ..text.deidentify import seed_names, study_deny, subject_items
    from ..text.engine import analyzer, model_for
    from ..text.languages import get
    from ..text.surrogates import Surrogates

    language = get(language or text_cfg.language).code
    engine = engine if engine is not None else analyzer(model_for(language, text_cfg.model), language=language)
    items = [*subject_items(identifiers, record.pseudonym), *extra_items]
    deny, check = study_deny(items, text_cfg)
    surrogates = Surrogates(record.pseudonym, style=text_cfg.surrogates, date_mode=text_cfg.dates,
                            shift_days=record.date_shift_days, salt=salt, language=language)
    seed_names(surrogates, items)
    formats = handlers()
    sources = {Path(os.path.relpath(p, bids_dir)).as_posix(): p for p in inputs}
    names = plan_names(sources, record, default_suffix=DEFAULT_SUFFIX, scanner=Scanner(build_needles(identifiers)))
    totals: Counter = Counter()
    removed_all: Counter = Counter()
    released, withheld, by_format = 0, 0, Counter()

    def withhold(label: str, reason: str) -> None:
        nonlocal withheld
        log.warning("withheld %s: %s", label, reason)
        writer.withhold(label, reason)
        withheld += 1

    for relpath, path in sorted(sources.items()):
        target = names[relpath]
        if isinstance(target, BidsNameError):
            withhold(report_path(relpath, record), f"file name: {target}")
            continue
        extension = PurePosixPath(relpath).suffix.lower()
        if extension not in formats or extension[1:] not in cfg.formats:
            withhold(target, f"{extension or 'extensionless'} documents are not released (documents.formats)")
            continue
        reader, write, out_ext = formats[extension]
        rel = release_name(target, out_ext)
        try:
            doc = reader(Path(path))
        except DocumentError as err:
            name = PurePosixPath(target).name  # the error names the file by its release name, never a typed one
            withhold(target, str(err).replace(str(path), name).replace(Path(path).name, name))
            continue
        if not cfg.notes and doc.notes:
            doc.removed["footnotes and endnotes (dropped: documents.notes is off)"] += len(doc.notes)
            doc.notes = []
        result = deidentify_document(doc, PurePosixPath(target).name, engine, deny, check, surrogates, text_cfg)
        if result.error is not None:
            withhold(target, result.error)
            continue
        data = write(result.document)
        problem = verify_output(data, out_ext, check)
        if problem is not None:
            withhold(target, f"{PurePosixPath(target).name}: {problem}")
            continue
        writer.path(rel).write_bytes(data)
        removed = {k: v for k, v in sorted(doc.removed.items()) if v}
        if removed:
            writer.note(f"{rel}: removed " + ", ".join(f"{k} ({v})" for k, v in removed.items()))
        if out_ext != extension:
            writer.note(f"{rel}: {extension} released as text (its text layer only)")
        writer.add_identifiers(result.leak_values)
        totals.update(result.entities)
        removed_all.update(removed)
        by_format[extension[1:]] += 1
        released += 1
        log.info("%s: %d entities replaced (%s)", rel, sum(result.entities.values()), dict(sorted(result.entities.items())))
    writer.add_identifiers((i["value"], f"study:{i.get('kind', 'other')}") for i in items)
    writer.risk({
        "section": f"document:{record.pseudonym}",
        "title": f"Documents of sub-{record.pseudonym}",
        "metrics": {"released": released, "withheld": withheld, "by_format": dict(sorted(by_format.items())),
                    "entities_replaced": dict(sorted(totals.items())), "removed": dict(sorted(removed_all.items()))},
        "checks": [{
            "name": "documents: no study identifier left after replacement", "passed": True,
            "detail": f"{released} released, {withheld} withheld (every written part re-checked against the "
                      "study's identifiers)",
        }],
    })
