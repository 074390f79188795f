"""Adapter of the text_transcripts batch rules: de-identify each subject's interview transcripts into its transcript
part (`process_subject` per subject; `deidflow.batch.run_batch` loops, Presidio and spaCy load once per batch)."""

from pathlib import Path

from deidflow.batch import run_batch
from deidflow.io import read_json
from deidflow.parts import PartWriter
from deidflow.pseudonyms import derive_key, load_key
from deidflow.subjects import read_subjects
from deidflow.text.deidentify import TextConfig, deidentify_subject, dicom_items, subject_language


def process_subject(sm, log):
    """One subject's transcripts -> its transcript part."""
    subject = sm.wildcards.subject
    cfg = TextConfig.from_config(sm.params.text)
    salt = derive_key(load_key(sm.config), "text-surrogates").hex() if cfg.surrogates == "fake" else ""
    record = read_subjects(sm.input.subjects)[subject]
    known = Path(sm.input.dicom[0]) / "identifiers.json" if sm.input.dicom else None
    extra = dicom_items(read_json(known)["values"]) if known and known.is_file() else []
    language = subject_language(sm.input.participants[0], record.original, cfg) if sm.input.participants else None
    with PartWriter(sm.output[0], "transcript", subject) as writer:
        deidentify_subject(sm.input.transcripts, sm.params.bids, record, read_json(sm.input.identifiers), cfg,
                           writer, log, salt=salt, extra_items=extra, language=language)


run_batch(snakemake, process_subject, part="transcript", sources=("transcripts",),  # noqa: F821 - `script:`
          extra_tools=("presidio_analyzer", "spacy"))
