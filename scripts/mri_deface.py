"""Adapter of the mri_deface batch rules: deface the anatomical images of each subject's nifti_pre part into its
nifti part (one subject at a time, `process_subject`; `deidflow.batch.run_batch` loops over the batch)."""

from deidflow.batch import run_batch
from deidflow.mri.part import deface_part


def process_subject(sm, log):
    """One subject's nifti_pre part -> its nifti part."""
    dicom_settings = None
    if sm.config.get("dicom", {}).get("release_defaced_dicom"):
        from deidflow.dicom.steps import settings_for
        from deidflow.pseudonyms import load_key
        from deidflow.subjects import read_subjects

        record = read_subjects(sm.input.subjects)[sm.wildcards.subject]
        dicom_settings = settings_for(record, sm.config["dicom"], load_key(sm.config))
    deface_part(sm.input.nifti_pre, sm.output[0], sm.wildcards.subject, sm.params.mri, threads=sm.threads, log=log,
                dicom_settings=dicom_settings)


run_batch(snakemake, process_subject, part="nifti", sources=("nifti_pre",),  # noqa: F821 - injected by `script:`
          extra_tools=("pydeface",))
