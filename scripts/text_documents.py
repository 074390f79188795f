"""Adapter of rule text_documents: de-identify one subject's documents into the document part."""

from pathlib import Path

from deidflow.documents.deidentify import DocumentsConfig, process_subject
from deidflow.io import read_json
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.pseudonyms import derive_key, load_key
from deidflow.subjects import read_subjects
from deidflow.text.deidentify import TextConfig, dicom_items

sm = snakemake  # noqa: F821 - injected by `script:`
with job(sm, extra_tools=("presidio_analyzer", "spacy", "python-docx", "odfpy", "pypdf", "striprtf")) as log:
    subject = sm.wildcards.subject
    text_cfg = TextConfig.from_config(sm.params.text)
    salt = derive_key(load_key(sm.config), "text-surrogates").hex() if text_cfg.surrogates == "fake" else ""
    record = read_subjects(sm.input.subjects)[subject]
    known = Path(sm.input.dicom[0]) / "identifiers.json" if sm.input.dicom else None
    extra = dicom_items(read_json(known)["values"]) if known and known.is_file() else []
    with PartWriter(sm.output[0], "document", subject) as writer:
        process_subject(sm.input.documents, sm.params.bids, record, read_json(sm.input.identifiers), text_cfg,
                        DocumentsConfig.from_config(sm.params.documents), writer, log, salt=salt, extra_items=extra)
