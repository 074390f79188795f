"""Convert each subject's DICOM series with dcm2niix and scrub its input NIfTI into its `nifti_pre` part
(`process_subject` per subject; `deidflow.batch.run_batch` loops over the batch)."""

from deidflow.batch import run_batch
from deidflow.bidsname import name_scanner
from deidflow.dicom.convert import convert_part
from deidflow.dicom.steps import descriptor_cleaner, study_items
from deidflow.pseudonyms import load_key
from deidflow.subjects import read_subjects


def process_subject(sm, log):
    """One subject's DICOM series and NIfTI -> its nifti_pre part."""
    record = read_subjects(sm.input.subjects)[sm.wildcards.subject]
    cfg = sm.config["dicom"]
    descriptors = descriptor_cleaner(record, cfg, load_key(sm.config), sm.config.get("text"),
                                     study_items(sm.input.identifiers, record))
    convert_part(
        sm.input.dicom,
        sm.input.nifti,
        sm.output[0],
        record,
        cfg,
        sm.config["bids_dir"],
        log=log,
        descriptors=descriptors,
        scanner=name_scanner(sm.input.identifiers),
    )


run_batch(snakemake, process_subject, part="nifti_pre", sources=("dicom", "nifti"),  # noqa: F821 - `script:`
          extra_tools=["pydicom", "nibabel", "dcm2niix", "presidio_analyzer", "spacy"])
