# Rules of the eeg step: EEG, MEG and iEEG recordings, physio files and their sidecars (see docs/contracts.md).


rule eeg_recordings:
    input:
        recordings=subject_files("eeg"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
        dicom=subject_parts("dicom"),  # the subject's DICOM header values join its deny-list
    output:
        directory(f"{WORK}/parts/eeg/{{subject}}"),
    log:
        f"{LOGS}/eeg_recordings/{{subject}}.log",
    benchmark:
        f"{BENCH}/eeg_recordings/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/eeg.yaml"
    resources:
        mem_mb=2000,
    params:
        eeg=config["eeg"],
        text=config["text"],
        bids=BIDS,
    script:
        "../../scripts/eeg_recordings.py"
