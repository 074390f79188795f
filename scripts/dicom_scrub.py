"""Scrub one subject's DICOM with the PS3.15 confidentiality profile into the `dicom` part."""

from deidflow.dicom.steps import descriptor_cleaner, scrub_part, study_items
from deidflow.provenance import job
from deidflow.pseudonyms import load_key
from deidflow.secrets import SecretStore
from deidflow.subjects import read_subjects

with job(snakemake, extra_tools=["pydicom", "deid", "presidio_analyzer", "spacy", "rapidocr_onnxruntime", "onnxruntime"]) as log:
    record = read_subjects(snakemake.input.subjects)[snakemake.wildcards.subject]
    key = load_key(snakemake.config)
    cfg = snakemake.config["dicom"]
    items = study_items(snakemake.input.identifiers, record)
    descriptors = descriptor_cleaner(record, cfg, key, snakemake.config.get("text"), items)
    scrub_part(
        snakemake.input.dicom,
        snakemake.output[0],
        record,
        cfg,
        key,
        snakemake.config["bids_dir"],
        log=log,
        secrets=SecretStore(snakemake.config["secrets_dir"]),
        descriptors=descriptors,
        items=items,
    )
