"""Write the release's dataset_description.json (BIDS) with GeneratedBy naming this deidflow."""

from deidflow.bids import write_release_docs
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.release import write_dataset_description

with job(snakemake) as log:
    with PartWriter(snakemake.output[0], "dataset", None) as part:
        write_dataset_description(snakemake.input.description, snakemake.params.release, part)
        write_release_docs(part, snakemake.params.release, snakemake.input.tables)
    log.info("dataset_description.json, README.md, CHANGES and .bidsignore written")
