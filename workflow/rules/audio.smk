# Rules of the audio step (see docs/contracts.md).


rule audio_voices:
    input:
        audio=subject_files("audio"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
    output:
        directory(f"{WORK}/parts/audio/{{subject}}"),
    log:
        f"{LOGS}/audio_voices/{{subject}}.log",
    benchmark:
        f"{BENCH}/audio_voices/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/audio.yaml"
    resources:
        mem_mb=1500,
    params:
        audio=config["audio"],
        bids=BIDS,
    script:
        "../../scripts/media_audio.py"


rule audio_transcripts:
    input:
        audio=subject_files("audio"),
        subjects=SUBJECTS_JSON,
        identifiers=IDENTIFIERS_JSON,
    output:
        directory(f"{WORK}/parts/audio_transcript/{{subject}}"),
    log:
        f"{LOGS}/audio_transcripts/{{subject}}.log",
    benchmark:
        f"{BENCH}/audio_transcripts/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/text.yaml"
    resources:
        mem_mb=2000,
    params:
        text=config["text"],
        bids=BIDS,
    script:
        "../../scripts/audio_transcripts.py"
