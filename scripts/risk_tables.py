"""Re-identification risk of the released tables over the tabular step's quasi-identifiers."""

from pathlib import Path

import pandas as pd

from deidflow.io import atomic_write_json, read_json
from deidflow.provenance import job
from deidflow.risk.reidentification import tables_section

with job(snakemake) as log:
    summary = read_json(snakemake.input.summary)
    files = Path(snakemake.input.part) / "files"
    tables = {str(p.relative_to(files)): pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False, na_values=[""])
              for p in sorted(files.rglob("*.tsv"))}
    cfg = dict(snakemake.params.settings)
    population = cfg.get("population_table")
    # The input participants.tsv (secure area) gives the before-de-identification figures; only counts leave it.
    originals = {"participants.tsv": pd.read_csv(snakemake.input.original, sep="\t", dtype=str,
                                                 keep_default_na=False, na_values=[""])} \
        if "original" in snakemake.input.keys() else None
    section = tables_section(tables, list(summary.get("quasi_identifiers", [])), list(summary.get("sensitive", [])),
                             cfg, pd.read_csv(population, sep="\t", dtype=str) if population else None, originals)
    atomic_write_json(snakemake.output[0], section)
    log.info("re-identification risk: %d checks, %d failed", len(section["checks"]),
             sum(not c["passed"] for c in section["checks"]))
