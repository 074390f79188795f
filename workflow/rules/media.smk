# Rules of the media step (see docs/contracts.md).


rule media_photos:
    input:
        photos=subject_files("photo"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
    output:
        directory(f"{WORK}/parts/photo/{{subject}}"),
    log:
        f"{LOGS}/media_photos/{{subject}}.log",
    benchmark:
        f"{BENCH}/media_photos/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/media.yaml"
    resources:
        mem_mb=1500,
    params:
        media=config["media"],
        bids=BIDS,
    script:
        "../../scripts/media_photos.py"


rule media_videos:
    input:
        videos=subject_files("video"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
    output:
        directory(f"{WORK}/parts/video/{{subject}}"),
    log:
        f"{LOGS}/media_videos/{{subject}}.log",
    benchmark:
        f"{BENCH}/media_videos/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/media.yaml"
    resources:
        mem_mb=2000,
    params:
        media=config["media"],
        bids=BIDS,
        audio=config["audio"],
    script:
        "../../scripts/media_videos.py"
