"""Adapter of rule text_transcripts: de-identify one subject's interview transcripts into the transcript part."""

from deidflow.io import read_json
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.pseudonyms import derive_key, load_key
from deidflow.subjects import read_subjects
from deidflow.text.deidentify import TextConfig, deidentify_subject

with job(snakemake, extra_tools=("presidio_analyzer", "spacy")) as log:  # noqa: F821 - injected by `script:`
    subject = snakemake.wildcards.subject  # noqa: F821
    cfg = TextConfig.from_config(snakemake.params.text)  # noqa: F821
    salt = derive_key(load_key(snakemake.config), "text-surrogates").hex() if cfg.surrogates == "fake" else ""  # noqa: F821
    with PartWriter(snakemake.output[0], "transcript", subject) as writer:  # noqa: F821
        deidentify_subject(snakemake.input.transcripts, snakemake.params.bids, read_subjects(snakemake.input.subjects)[subject],  # noqa: F821
                           read_json(snakemake.input.identifiers), cfg, writer, log, salt=salt)  # noqa: F821
