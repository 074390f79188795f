"""Adapter of rule mri_deface: deface the anatomical images of one subject's nifti_pre part into the nifti part."""

from deidflow.mri.part import deface_part
from deidflow.provenance import job

with job(snakemake, extra_tools=("pydeface",)) as log:  # noqa: F821 - snakemake is injected by `script:`
    deface_part(snakemake.input.nifti_pre, snakemake.output[0], snakemake.wildcards.subject,  # noqa: F821
                snakemake.params.mri, threads=snakemake.threads, log=log)  # noqa: F821
