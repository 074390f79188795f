# Rules of the text step (see docs/contracts.md). One job per batch of subjects (`batch_size.text_transcripts`):
# Presidio and the spaCy model load once per batch.


for _batch, _members in part_batches("text_transcripts", "transcript").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/transcript/{{subject}}",
        f"{LOGS}/text_transcripts/{{subject}}.log",
        transcripts=subject_files("transcript"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
        # the subject's DICOM header values join its deny-list
        dicom=subject_parts("dicom"),
        # with text.language_column: the subject's language
        participants=text_participants(),
    )

    rule:
        name:
            f"text_transcripts_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/text_transcripts/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/text.yaml"
        resources:
            mem_mb=1500,
            runtime=30 * len(_members),
        params:
            text=config["text"],
            bids=bids_dir,
            batch=_plan,
        script:
            "../../scripts/text_transcripts.py"
