"""Scrub each subject's DICOM with the PS3.15 confidentiality profile into its `dicom` part (`process_subject` per
subject; `deidflow.batch.run_batch` loops over the batch)."""

from deidflow.batch import run_batch
from deidflow.dicom.steps import descriptor_cleaner, scrub_part, study_items
from deidflow.pseudonyms import load_key
from deidflow.secrets import SecretStore
from deidflow.subjects import read_subjects


def process_subject(sm, log):
    """One subject's DICOM files -> its dicom part."""
    record = read_subjects(sm.input.subjects)[sm.wildcards.subject]
    key = load_key(sm.config)
    cfg = sm.config["dicom"]
    items = study_items(sm.input.identifiers, record)
    descriptors = descriptor_cleaner(record, cfg, key, sm.config.get("text"), items)
    scrub_part(
        sm.input.dicom,
        sm.output[0],
        record,
        cfg,
        key,
        sm.config["bids_dir"],
        log=log,
        secrets=SecretStore(sm.config["secrets_dir"]),
        descriptors=descriptors,
        items=items,
    )


run_batch(snakemake, process_subject, part="dicom", sources=("dicom",),  # noqa: F821 - injected by `script:`
          extra_tools=["pydicom", "deid", "presidio_analyzer", "spacy", "rapidocr_onnxruntime", "onnxruntime"])
