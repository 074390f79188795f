"""Fail the run when a risk check failed (the report says which record, file or value broke it)."""

from deidflow.provenance import job
from deidflow.risk.report import gate

with job(snakemake) as log:
    gate(snakemake.input[0], snakemake.output[0], enforce=snakemake.params.enforce, log=log)
