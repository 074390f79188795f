# Rules of the dicom step (see docs/contracts.md).


CLEAN_DESCRIPTORS = config["dicom"]["clean_descriptors"] == "clean"


rule dicom_scrub:
    input:
        dicom=subject_files("dicom"),
        subjects=SUBJECTS_JSON,
        # the study's identifiers: burned-in text is checked against their written forms (and with
        # clean_descriptors: clean, they join the descriptor cleaner's deny-list)
        identifiers=IDENTIFIERS_JSON,
    output:
        directory(f"{WORK}/parts/dicom/{{subject}}"),
    log:
        f"{LOGS}/dicom_scrub/{{subject}}.log",
    benchmark:
        f"{BENCH}/dicom_scrub/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/dicom.yaml"
    params:
        options=config["dicom"]["options"],
        uid_root=config["dicom"]["uid_root"],
    script:
        "../../scripts/dicom_scrub.py"


rule dicom_convert:
    input:
        dicom=subject_files("dicom"),
        nifti=subject_files("nifti"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON if CLEAN_DESCRIPTORS else [],
    output:
        directory(f"{WORK}/parts/nifti_pre/{{subject}}"),
    log:
        f"{LOGS}/dicom_convert/{{subject}}.log",
    benchmark:
        f"{BENCH}/dicom_convert/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/dicom.yaml"
    params:
        bids_mapping=config["dicom"]["bids_mapping"],
    script:
        "../../scripts/dicom_convert.py"
