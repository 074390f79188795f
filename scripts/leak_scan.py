"""Search every file the release will hold for every identifier value the study knows."""

from deidflow.io import atomic_write_json
from deidflow.provenance import job
from deidflow.risk.leaks_section import leak_scan_section

with job(snakemake) as log:
    section = leak_scan_section(snakemake.input.parts, snakemake.input.identifiers, snakemake.params.enabled,
                                snakemake.params.allow_list)
    atomic_write_json(snakemake.output[0], section)
    log.info("leak scan: %s", section["metrics"])
