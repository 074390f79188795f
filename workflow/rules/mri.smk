# Rules of the mri step (see docs/contracts.md). One job per batch of subjects (`batch_size.mri_deface`).


RELEASE_DEFACED_DICOM = config.get("dicom", {}).get("release_defaced_dicom", False)
MRI_DETERMINISTIC = config["mri"].get("registration", {}).get("deterministic", True)


for _batch, _members in part_batches("mri_deface", "nifti").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/nifti/{{subject}}",
        f"{LOGS}/mri_deface/{{subject}}.log",
        nifti_pre=f"{WORK}/parts/nifti_pre/{{subject}}",
        # dicom.release_defaced_dicom: the subject's date shift for the DICOM scrub
        subjects=SUBJECTS_JSON if RELEASE_DEFACED_DICOM else [],
    )

    rule:
        name:
            f"mri_deface_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/mri_deface/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/mri.yaml"
        # a deterministic registration runs on one ITK thread and the rest is single-threaded: one core
        threads: 1 if MRI_DETERMINISTIC else 2
        resources:
            mem_mb=3000,
            runtime=60 * len(_members),
        params:
            mri=config["mri"],
            batch=_plan,
        script:
            "../../scripts/mri_deface.py"
