# Rules of the documents step (see docs/contracts.md).


rule text_documents:
    input:
        documents=subject_files("document"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
        dicom=subject_parts("dicom"),  # the subject's DICOM header values join its deny-list
    output:
        directory(f"{WORK}/parts/document/{{subject}}"),
    log:
        f"{LOGS}/text_documents/{{subject}}.log",
    benchmark:
        f"{BENCH}/text_documents/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/documents.yaml"
    resources:
        mem_mb=1500,
    params:
        text=config["text"],
        documents=config["documents"],
        bids=BIDS,
    script:
        "../../scripts/text_documents.py"
