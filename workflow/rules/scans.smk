# BIDS scans tables, released after the subject's data parts (only rows of released files stay).


rule scans:
    input:
        scans=subject_files("scans"),
        subjects=SUBJECTS_JSON,
        parts=subject_parts(
            "nifti", "photo", "video", "transcript", "eeg", "document", "audio"
        ),
    output:
        directory(f"{WORK}/parts/scans/{{subject}}"),
    log:
        f"{LOGS}/scans/{{subject}}.log",
    benchmark:
        f"{BENCH}/scans/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/core.yaml"
    script:
        "../../scripts/scans.py"
