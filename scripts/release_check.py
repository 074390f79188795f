"""Run every check the release step makes before the gate decides (part clashes, the provenance crate)."""

from deidflow.io import atomic_write_json
from deidflow.provenance import job
from deidflow.release import crate_context, release_check_section

with job(snakemake) as log:
    section = release_check_section(snakemake.input.parts, snakemake.params.provenance,
                                    snakemake.input.identifiers, snakemake.params.release,
                                    crate_context(snakemake.config))
    atomic_write_json(snakemake.output[0], section)
    log.info("release checks: %d of %d passed", sum(c["passed"] for c in section["checks"]), len(section["checks"]))
