"""Scrub one subject's DICOM with the PS3.15 confidentiality profile into the `dicom` part."""

from deidflow.dicom.steps import scrub_part
from deidflow.provenance import job
from deidflow.pseudonyms import load_key
from deidflow.secrets import SecretStore
from deidflow.subjects import read_subjects

with job(snakemake, extra_tools=["pydicom", "deid"]) as log:
    record = read_subjects(snakemake.input.subjects)[snakemake.wildcards.subject]
    scrub_part(
        snakemake.input.dicom,
        snakemake.output[0],
        record,
        snakemake.config["dicom"],
        load_key(snakemake.config),
        snakemake.config["bids_dir"],
        log=log,
        secrets=SecretStore(snakemake.config["secrets_dir"]),
    )
