# Rules of the media step (see docs/contracts.md). One job per batch of subjects (`batch_size.media_photos`,
# `batch_size.media_videos`): the face detector loads once per batch.


for _batch, _members in part_batches("media_photos", "photo").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/photo/{{subject}}",
        f"{LOGS}/media_photos/{{subject}}.log",
        photos=subject_files("photo"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
    )

    rule:
        name:
            f"media_photos_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/media_photos/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/media.yaml"
        resources:
            mem_mb=1500,
            runtime=30 * len(_members),
        params:
            media=config["media"],
            bids=bids_dir,
            batch=_plan,
        script:
            "../../scripts/media_photos.py"


for _batch, _members in part_batches("media_videos", "video").items():
    _plan = batch_plan(
        _members,
        f"{WORK}/parts/video/{{subject}}",
        f"{LOGS}/media_videos/{{subject}}.log",
        videos=subject_files("video"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
    )

    rule:
        name:
            f"media_videos_b{_batch}"
        input:
            **batch_inputs(_plan),
        output:
            batch_outputs(_plan),
        log:
            batch_logs(_plan),
        benchmark:
            f"{BENCH}/media_videos/batch-{_batch}.tsv"
        group:
            "subject"
        conda:
            "../../envs/media.yaml"
        resources:
            mem_mb=2000,
            runtime=30 * len(_members),
        params:
            media=config["media"],
            bids=bids_dir,
            audio=config["audio"],
            batch=_plan,
        script:
            "../../scripts/media_videos.py"
