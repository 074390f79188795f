# Rules of the mri step (see docs/contracts.md).


RELEASE_DEFACED_DICOM = config.get("dicom", {}).get("release_defaced_dicom", False)


rule mri_deface:
    input:
        nifti_pre=f"{WORK}/parts/nifti_pre/{{subject}}",
        # dicom.release_defaced_dicom: the subject's date shift for the DICOM scrub
        subjects=SUBJECTS_JSON if RELEASE_DEFACED_DICOM else [],
    output:
        directory(f"{WORK}/parts/nifti/{{subject}}"),
    log:
        f"{LOGS}/mri_deface/{{subject}}.log",
    benchmark:
        f"{BENCH}/mri_deface/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/mri.yaml"
    threads: 2
    resources:
        mem_mb=2500,
    params:
        mri=config["mri"],
    script:
        "../../scripts/mri_deface.py"
