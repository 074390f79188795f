# Rules of the tabular step (see docs/contracts.md): participants.tsv and phenotype/*.tsv through their column roles
# and the privacy models into the study-wide tables part.


rule tabular:
    input:
        tables=[f"{BIDS}/{f.relpath}" for f in INVENTORY.of_kind("table")],
        subjects=SUBJECTS_JSON,
    output:
        part=directory(f"{WORK}/parts/tables/_global"),
        summary=f"{WORK}/tables/summary.json",
    log:
        f"{LOGS}/tabular.log",
    benchmark:
        f"{BENCH}/tabular.tsv"
    conda:
        "../../envs/tabular.yaml"
    resources:
        mem_mb=4000,
    params:
        tables=config["tables"],
        text=config.get("text", {}),
        base_dir=str(ROOT),
    script:
        "../../scripts/tables.py"
