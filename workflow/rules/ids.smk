# Pseudonyms, date shifts, the study's identifier list and the input inventory.


rule pseudonymize:
    input:
        f"{BIDS}/participants.tsv",
    output:
        SUBJECTS_JSON,
    log:
        f"{LOGS}/pseudonymize.log",
    benchmark:
        f"{BENCH}/pseudonymize.tsv"
    localrule: True
    conda:
        "../../envs/core.yaml"
    script:
        "../../scripts/pseudonymize.py"


rule identifiers:
    input:
        participants=f"{BIDS}/participants.tsv",
        tables=[
            f"{BIDS}/{f.relpath}"
            for f in INVENTORY.of_kind("table")
            if f.relpath.endswith(".tsv")
        ],
        subjects=SUBJECTS_JSON,
    output:
        IDENTIFIERS_JSON,
    log:
        f"{LOGS}/identifiers.log",
    benchmark:
        f"{BENCH}/identifiers.tsv"
    conda:
        "../../envs/core.yaml"
    params:
        columns=config["identifiers"]["columns"],
        extra=config["identifiers"]["extra"],
    script:
        "../../scripts/identifiers.py"


rule inventory:
    input:
        f"{BIDS}/participants.tsv",
    output:
        INVENTORY_JSON,
        f"{WORK}/risk/inventory.json",
    log:
        f"{LOGS}/inventory.log",
    benchmark:
        f"{BENCH}/inventory.tsv"
    conda:
        "../../envs/core.yaml"
    params:
        counts=dict(INVENTORY.counts()),
        withheld=withheld_inputs(),
        subjects=len(SUBJECTS),
        hidden=dict(INVENTORY.hidden),
    script:
        "../../scripts/inventory.py"


rule dataset_description:
    input:
        description=[
            f"{BIDS}/{f.relpath}" for f in INVENTORY.of_kind("dataset_description")
        ],
        # phenotype tables with repeated participant_id go into .bidsignore
        tables=(
            [f"{BIDS}/{f.relpath}" for f in INVENTORY.of_kind("table")]
            if "tables" in GLOBAL_PARTS
            else []
        ),
    output:
        directory(f"{WORK}/parts/dataset/_global"),
    log:
        f"{LOGS}/dataset_description.log",
    benchmark:
        f"{BENCH}/dataset_description.tsv"
    conda:
        "../../envs/core.yaml"
    params:
        release=config["release"],
    script:
        "../../scripts/dataset_description.py"
