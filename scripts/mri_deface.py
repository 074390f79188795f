"""Adapter of rule mri_deface: deface the anatomical images of one subject's nifti_pre part into the nifti part."""

from deidflow.mri.part import deface_part
from deidflow.provenance import job

with job(snakemake, extra_tools=("pydeface",)) as log:  # noqa: F821 - snakemake is injected by `script:`
    dicom_settings = None
    if snakemake.config.get("dicom", {}).get("release_defaced_dicom"):  # noqa: F821
        from deidflow.dicom.steps import settings_for
        from deidflow.pseudonyms import load_key
        from deidflow.subjects import read_subjects

        record = read_subjects(snakemake.input.subjects)[snakemake.wildcards.subject]  # noqa: F821
        dicom_settings = settings_for(record, snakemake.config["dicom"], load_key(snakemake.config))  # noqa: F821
    deface_part(snakemake.input.nifti_pre, snakemake.output[0], snakemake.wildcards.subject,  # noqa: F821
                snakemake.params.mri, threads=snakemake.threads, log=log,  # noqa: F821
                dicom_settings=dicom_settings)
