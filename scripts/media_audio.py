"""Adapter of rule audio_voices: one subject's voice recordings, anonymized (McAdams) and rewritten without tags."""

from deidflow.audio.config import AudioConfig
from deidflow.audio.part import process_subject
from deidflow.bidsname import name_scanner
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.pseudonyms import load_key
from deidflow.subjects import read_subjects

sm = snakemake  # noqa: F821 - injected by `script:`
with job(sm, extra_tools=("soundfile", "scipy", "imageio-ffmpeg")) as log:
    subject = sm.wildcards.subject
    cfg = AudioConfig.from_config(sm.params.audio)
    with PartWriter(sm.output[0], "audio", subject) as writer:
        process_subject(sm.input.audio, sm.params.bids, read_subjects(sm.input.subjects)[subject], cfg,
                        load_key(sm.config), writer, log, scanner=name_scanner(sm.input.identifiers))
