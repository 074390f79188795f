"""Adapter of rule scans: release one subject's BIDS scans tables into the scans part."""

from deidflow.parts import PartWriter, read_manifest
from deidflow.provenance import job
from deidflow.scans import scans_part
from deidflow.subjects import read_subjects

sm = snakemake  # noqa: F821 - injected by `script:`
with job(sm) as log:
    subject = sm.wildcards.subject
    record = read_subjects(sm.input.subjects)[subject]
    released = [rel for part in sm.input.parts for rel in read_manifest(part)["produced"]]
    with PartWriter(sm.output[0], "scans", subject) as writer:
        scans_part(sm.input.scans, sm.config["bids_dir"], record, released, writer, log)
