# Rules of the documents step (see docs/contracts.md). One job per batch of subjects (`batch_size.text_documents`):
# Presidio and the spaCy model load once per batch.


for _batch, _members in part_batches("text_documents", "document").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/document/{{subject}}",
        f"{LOGS}/text_documents/{{subject}}.log",
        documents=subject_files("document"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
        # the subject's DICOM header values join its deny-list
        dicom=subject_parts("dicom"),
        # with text.language_column: the subject's language
        participants=text_participants(),
    )

    rule:
        name:
            f"text_documents_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/text_documents/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/documents.yaml"
        resources:
            mem_mb=1500,
            runtime=30 * len(_members),
        params:
            text=config["text"],
            documents=config["documents"],
            bids=bids_dir,
            batch=_plan,
        script:
            "../../scripts/text_documents.py"
