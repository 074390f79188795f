"""Adapter of the text_documents batch rules: each subject's documents de-identified into its document part
(`process_subject` per subject; `deidflow.batch.run_batch` loops over the batch, the recognizers load once)."""

from pathlib import Path

from deidflow.batch import run_batch
from deidflow.documents.deidentify import DocumentsConfig
from deidflow.documents.deidentify import process_subject as deidentify_documents
from deidflow.io import read_json
from deidflow.parts import PartWriter
from deidflow.pseudonyms import derive_key, load_key
from deidflow.subjects import read_subjects
from deidflow.text.deidentify import TextConfig, dicom_items, subject_language


def process_subject(sm, log):
    """One subject's documents -> its document part."""
    subject = sm.wildcards.subject
    text_cfg = TextConfig.from_config(sm.params.text)
    salt = derive_key(load_key(sm.config), "text-surrogates").hex() if text_cfg.surrogates == "fake" else ""
    record = read_subjects(sm.input.subjects)[subject]
    known = Path(sm.input.dicom[0]) / "identifiers.json" if sm.input.dicom else None
    extra = dicom_items(read_json(known)["values"]) if known and known.is_file() else []
    language = subject_language(sm.input.participants[0], record.original, text_cfg) if sm.input.participants else None
    with PartWriter(sm.output[0], "document", subject) as writer:
        deidentify_documents(sm.input.documents, sm.params.bids, record, read_json(sm.input.identifiers), text_cfg,
                             DocumentsConfig.from_config(sm.params.documents), writer, log, salt=salt,
                             extra_items=extra, language=language)


run_batch(snakemake, process_subject, part="document", sources=("documents",),  # noqa: F821 - injected by `script:`
          extra_tools=("presidio_analyzer", "spacy", "python-docx", "odfpy", "pypdf", "striprtf"))
