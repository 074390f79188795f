# Rules of the dicom step (see docs/contracts.md). One job per batch of subjects (`batch_size.dicom_scrub`,
# `batch_size.dicom_convert`): pydicom, the descriptor cleaner's models and dcm2niix start once per batch.


CLEAN_DESCRIPTORS = config["dicom"]["clean_descriptors"] == "clean"


for _batch, _members in part_batches("dicom_scrub", "dicom").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/dicom/{{subject}}",
        f"{LOGS}/dicom_scrub/{{subject}}.log",
        dicom=subject_files("dicom"),
        subjects=SUBJECTS_JSON,
        # the study's identifiers: burned-in text is checked against their written forms (and with
        # clean_descriptors: clean, they join the descriptor cleaner's deny-list)
        identifiers=IDENTIFIERS_JSON,
    )

    rule:
        name:
            f"dicom_scrub_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/dicom_scrub/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/dicom.yaml"
        resources:
            runtime=60 * len(_members),
        params:
            options=config["dicom"]["options"],
            uid_root=config["dicom"]["uid_root"],
            batch=_plan,
        script:
            "../../scripts/dicom_scrub.py"


# nifti_pre feeds the nifti part (mri_deface): same subjects, dicom_convert's own batch size.
for _batch, _members in part_batches("dicom_convert", "nifti").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/nifti_pre/{{subject}}",
        f"{LOGS}/dicom_convert/{{subject}}.log",
        dicom=subject_files("dicom"),
        nifti=subject_files("nifti"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON if CLEAN_DESCRIPTORS else [],
    )

    rule:
        name:
            f"dicom_convert_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/dicom_convert/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/dicom.yaml"
        resources:
            runtime=30 * len(_members),
        params:
            bids_mapping=config["dicom"]["bids_mapping"],
            batch=_plan,
        script:
            "../../scripts/dicom_convert.py"
