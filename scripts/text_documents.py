"""Adapter of the text_documents batch rules: each subject's documents de-identified into its document part
(`process_subject` per subject; `deidflow.batch.run_batch` loops over the batch, the recognizers load once)."""

from deidflow.batch import run_batch
from deidflow.documents.deidentify import DocumentsConfig
from deidflow.documents.deidentify import process_subject as deidentify_documents
from deidflow.parts import PartWriter
from deidflow.text.deidentify import subject_text


def process_subject(sm, log):
    """One subject's documents -> its document part."""
    job = subject_text(sm)
    with PartWriter(sm.output[0], "document", sm.wildcards.subject) as writer:
        deidentify_documents(sm.input.documents, sm.params.bids, job.record, job.identifiers, job.cfg,
                             DocumentsConfig.from_config(sm.params.documents), writer, log, salt=job.salt,
                             extra_items=job.extra_items, language=job.language)


run_batch(snakemake, process_subject, part="document", sources=("documents",),  # noqa: F821 - injected by `script:`
          extra_tools=("presidio_analyzer", "spacy", "python-docx", "odfpy", "pypdf", "striprtf"))
