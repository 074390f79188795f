"""Adapter of the eeg_recordings batch rules: each subject's EEG/MEG/iEEG recordings and sidecars into its eeg part
(`process_subject` per subject; `deidflow.batch.run_batch` loops over the batch, the recognizers load once)."""

from deidflow.batch import run_batch
from deidflow.eeg.config import EegConfig
from deidflow.eeg.recordings import process_subject as deidentify_recordings
from deidflow.parts import PartWriter
from deidflow.text.deidentify import subject_text


def process_subject(sm, log):
    """One subject's recordings -> its eeg part."""
    job = subject_text(sm)
    with PartWriter(sm.output[0], "eeg", sm.wildcards.subject) as writer:
        deidentify_recordings(sm.input.recordings, sm.params.bids, job.record, job.identifiers,
                              EegConfig.from_config(sm.params.eeg), job.cfg, writer, log, salt=job.salt,
                              extra_items=job.extra_items, language=job.language)


run_batch(snakemake, process_subject, part="eeg", sources=("recordings",),  # noqa: F821 - injected by `script:`
          extra_tools=("mne", "eeglabio", "presidio_analyzer", "spacy"))
