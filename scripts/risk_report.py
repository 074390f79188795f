"""Merge every risk section into reports/risk.json, the private reports/risk.html and the public summary (scanned for
every identifier the leak scan knows before it is written)."""

from deidflow.provenance import job
from deidflow.risk.leaks import Scanner, build_needles
from deidflow.risk.leaks_section import collect_identifiers
from deidflow.risk.report import build_report, write_report

with job(snakemake) as log:
    report = build_report(snakemake.input.sections, snakemake.input.parts)
    scanner = Scanner(build_needles(collect_identifiers(snakemake.input.identifiers, snakemake.input.parts)))
    report = write_report(report, snakemake.output.json, snakemake.output.html, snakemake.output.summary, scanner)
    log.info("risk report: %s", report["summary"]["line"])
