"""Write the subject table (pseudonyms, session pseudonyms, date shifts) into the secrets store."""

from pathlib import Path

from deidflow.io import atomic_write_json
from deidflow.provenance import job
from deidflow.pseudonyms import pseudonymize_study
from deidflow.secrets import FILE_MODE, SecretStore
from deidflow.subjects import subjects_to_json

with job(snakemake) as log:
    records = pseudonymize_study(Path(snakemake.input[0]).parent, snakemake.config)
    SecretStore(snakemake.config["secrets_dir"]).ensure()
    atomic_write_json(snakemake.output[0], subjects_to_json(records), mode=FILE_MODE)
    log.info("pseudonyms and date shifts for %d subjects written to the secrets store", len(records))
