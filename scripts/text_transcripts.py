"""Adapter of the text_transcripts batch rules: de-identify each subject's interview transcripts into its transcript
part (`process_subject` per subject; `deidflow.batch.run_batch` loops, Presidio and spaCy load once per batch)."""

from deidflow.batch import run_batch
from deidflow.parts import PartWriter
from deidflow.text.deidentify import deidentify_subject, subject_text


def process_subject(sm, log):
    """One subject's transcripts -> its transcript part."""
    job = subject_text(sm)
    with PartWriter(sm.output[0], "transcript", sm.wildcards.subject) as writer:
        deidentify_subject(sm.input.transcripts, sm.params.bids, job.record, job.identifiers, job.cfg, writer, log,
                           salt=job.salt, extra_items=job.extra_items, language=job.language)


run_batch(snakemake, process_subject, part="transcript", sources=("transcripts",),  # noqa: F821 - `script:`
          extra_tools=("presidio_analyzer", "spacy"))
