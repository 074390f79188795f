"""Adapter of rule eeg_recordings: one subject's EEG/MEG/iEEG recordings and sidecars into the eeg part."""

from pathlib import Path

from deidflow.eeg.config import EegConfig
from deidflow.eeg.recordings import process_subject
from deidflow.io import read_json
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.pseudonyms import derive_key, load_key
from deidflow.subjects import read_subjects
from deidflow.text.deidentify import TextConfig, dicom_items

sm = snakemake  # noqa: F821 - injected by `script:`
with job(sm, extra_tools=("mne", "eeglabio", "presidio_analyzer", "spacy")) as log:
    subject = sm.wildcards.subject
    text_cfg = TextConfig.from_config(sm.params.text)
    salt = derive_key(load_key(sm.config), "text-surrogates").hex() if text_cfg.surrogates == "fake" else ""
    known = Path(sm.input.dicom[0]) / "identifiers.json" if sm.input.dicom else None
    extra = dicom_items(read_json(known)["values"]) if known and known.is_file() else []
    with PartWriter(sm.output[0], "eeg", subject) as writer:
        process_subject(sm.input.recordings, sm.params.bids, read_subjects(sm.input.subjects)[subject],
                        read_json(sm.input.identifiers), EegConfig.from_config(sm.params.eeg), text_cfg, writer,
                        log, salt=salt, extra_items=extra)
