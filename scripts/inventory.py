"""Record what the study holds and which inputs are withheld (no rule de-identifies them)."""

from deidflow.io import atomic_write_json
from deidflow.provenance import job
from deidflow.risk.report import inventory_section

with job(snakemake) as log:
    params = snakemake.params
    atomic_write_json(snakemake.output[0], {"counts": params.counts, "withheld": params.withheld})
    atomic_write_json(snakemake.output[1], inventory_section(params.counts, params.withheld, params.subjects,
                                                                   hidden=params.hidden))
    log.info("%d input files, %d withheld", sum(params.counts.values()), len(params.withheld))
