"""Assemble the release from the parts and describe it with an RO-Crate."""

from deidflow.provenance import job
from deidflow.release import assemble_release, crate_context

with job(snakemake) as log:
    summary = assemble_release(
        snakemake.input.parts,
        snakemake.output[0],
        provenance_dir=snakemake.params.provenance,
        identifiers=snakemake.input.identifiers,
        release_cfg=snakemake.params.release,
        context=crate_context(snakemake.config),
    )
    log.info("release: %d files, %d bytes", summary["files"], summary["bytes"])
