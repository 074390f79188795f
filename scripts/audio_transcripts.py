"""Adapter of rule audio_transcripts: one subject's recordings transcribed offline (PocketSphinx) from the original
audio and de-identified by the transcript step into the audio_transcript part."""

from deidflow.audio.transcribe import transcribe_subject
from deidflow.io import read_json
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.pseudonyms import derive_key, load_key
from deidflow.subjects import read_subjects
from deidflow.text.deidentify import TextConfig

sm = snakemake  # noqa: F821 - injected by `script:`
with job(sm, extra_tools=("pocketsphinx", "presidio_analyzer", "spacy")) as log:
    subject = sm.wildcards.subject
    cfg = TextConfig.from_config(sm.params.text)
    salt = derive_key(load_key(sm.config), "text-surrogates").hex() if cfg.surrogates == "fake" else ""
    with PartWriter(sm.output[0], "audio_transcript", subject) as writer:
        transcribe_subject(sm.input.audio, sm.params.bids, read_subjects(sm.input.subjects)[subject],
                           read_json(sm.input.identifiers), cfg, writer, log, salt=salt)
