"""Adapter of rule tabular: participants.tsv and phenotype/*.tsv through their column roles and the privacy search
into the tables part, plus the summary the risk and synth steps read."""

from pathlib import Path

from deidflow.io import atomic_write_json
from deidflow.parts import PartWriter
from deidflow.provenance import job
from deidflow.pseudonyms import derive_key, load_key
from deidflow.secrets import SecretStore
from deidflow.subjects import read_subjects
from deidflow.tabular.noise import NoiseStore
from deidflow.tabular.release import release_study

sm = snakemake  # noqa: F821 - injected by `script:`
with job(sm, extra_tools=("opendp",)) as log:
    cfg = sm.params.tables
    key = derive_key(load_key(sm.config), "tables")
    records = read_subjects(sm.input.subjects)
    store = NoiseStore(SecretStore(sm.config["secrets_dir"], sm.config["release_dir"]))
    with PartWriter(sm.output.part, "tables", None) as writer:
        summary = release_study(list(sm.input.tables), sm.config["bids_dir"], cfg, records, key, writer,
                                base_dir=sm.params.base_dir, noise_store=store, text_cfg=sm.params.text)
    atomic_write_json(sm.output.summary, summary)
    for name, info in summary["tables"].items():
        achieved = info.get("achieved", {})
        log.info("%s: %d rows in, %d out%s", name, info["rows_in"], info["rows_out"],
                 f", k={achieved.get('k')}, levels {info.get('levels')}" if achieved else "")
    log.info("epsilon spent on noise: %g", summary["epsilon_spent"])
