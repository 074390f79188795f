# Rules of the eeg step: EEG, MEG and iEEG recordings, physio files and their sidecars (see docs/contracts.md). One
# job per batch of subjects (`batch_size.eeg_recordings`): MNE and the transcript recognizers load once per batch.


for _batch, _members in part_batches("eeg_recordings", "eeg").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/eeg/{{subject}}",
        f"{LOGS}/eeg_recordings/{{subject}}.log",
        recordings=subject_files("eeg"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
        # the subject's DICOM header values join its deny-list
        dicom=subject_parts("dicom"),
        # with text.language_column: the subject's language
        participants=text_participants(),
    )

    rule:
        name:
            f"eeg_recordings_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/eeg_recordings/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/eeg.yaml"
        resources:
            mem_mb=2000,
            runtime=30 * len(_members),
        params:
            eeg=config["eeg"],
            text=config["text"],
            bids=bids_dir,
            batch=_plan,
        script:
            "../../scripts/eeg_recordings.py"
