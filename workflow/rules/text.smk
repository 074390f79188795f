# Rules of the text step (see docs/contracts.md).


rule text_transcripts:
    input:
        transcripts=subject_files("transcript"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
        dicom=subject_parts("dicom"),  # the subject's DICOM header values join its deny-list
        participants=text_participants(),  # with text.language_column: the subject's language
    output:
        directory(f"{WORK}/parts/transcript/{{subject}}"),
    log:
        f"{LOGS}/text_transcripts/{{subject}}.log",
    benchmark:
        f"{BENCH}/text_transcripts/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/text.yaml"
    resources:
        mem_mb=1500,
    params:
        text=config["text"],
        bids=BIDS,
    script:
        "../../scripts/text_transcripts.py"
