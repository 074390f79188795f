"""Convert one subject's DICOM series with dcm2niix and scrub its input NIfTI into the `nifti_pre` part."""

from deidflow.dicom.convert import convert_part
from deidflow.provenance import job
from deidflow.subjects import read_subjects

with job(snakemake, extra_tools=["pydicom", "nibabel", "dcm2niix"]) as log:
    record = read_subjects(snakemake.input.subjects)[snakemake.wildcards.subject]
    convert_part(
        snakemake.input.dicom,
        snakemake.input.nifti,
        snakemake.output[0],
        record,
        snakemake.config["dicom"],
        snakemake.config["bids_dir"],
        log=log,
    )
