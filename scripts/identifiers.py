"""Collect the study's known identifier values (for the leak scan and the transcript step)."""

from pathlib import Path

from deidflow.identifiers import study_identifiers
from deidflow.io import atomic_write_json
from deidflow.provenance import job
from deidflow.subjects import read_subjects

with job(snakemake) as log:
    ids = study_identifiers(
        Path(snakemake.input.participants).parent,
        snakemake.params.columns,
        read_subjects(snakemake.input.subjects),
        snakemake.params.extra,
    )
    atomic_write_json(snakemake.output[0], ids)
    log.info("%d identifier values from %d subjects", sum(map(len, ids["subjects"].values())), len(ids["subjects"]))
