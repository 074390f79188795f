"""Merge every risk section into reports/risk.json and the self-contained reports/risk.html."""

from deidflow.provenance import job
from deidflow.risk.report import build_report, write_report

with job(snakemake) as log:
    report = build_report(snakemake.input.sections, snakemake.input.parts)
    write_report(report, snakemake.output.json, snakemake.output.html)
    log.info("risk report: %s", report["summary"]["line"])
