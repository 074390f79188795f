"""Convert one subject's DICOM series with dcm2niix and scrub its input NIfTI into the `nifti_pre` part."""

from deidflow.bidsname import name_scanner
from deidflow.dicom.convert import convert_part
from deidflow.dicom.steps import descriptor_cleaner, study_items
from deidflow.provenance import job
from deidflow.pseudonyms import load_key
from deidflow.subjects import read_subjects

with job(snakemake, extra_tools=["pydicom", "nibabel", "dcm2niix", "presidio_analyzer", "spacy"]) as log:
    record = read_subjects(snakemake.input.subjects)[snakemake.wildcards.subject]
    cfg = snakemake.config["dicom"]
    descriptors = descriptor_cleaner(record, cfg, load_key(snakemake.config), snakemake.config.get("text"),
                                     study_items(snakemake.input.identifiers, record))
    convert_part(
        snakemake.input.dicom,
        snakemake.input.nifti,
        snakemake.output[0],
        record,
        cfg,
        snakemake.config["bids_dir"],
        log=log,
        descriptors=descriptors,
        scanner=name_scanner(snakemake.input.identifiers),
    )
