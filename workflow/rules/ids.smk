# Pseudonyms, date shifts, the study's identifier list and the input inventory.


rule pseudonymize:
    input:
        f"{BIDS}/participants.tsv",
    output:
        SUBJECTS_JSON,
    log:
        f"{LOGS}/pseudonymize.log",
    conda:
        "../../envs/core.yaml"
    localrule: True
    script:
        "../../scripts/pseudonymize.py"


rule identifiers:
    input:
        participants=f"{BIDS}/participants.tsv",
        tables=[f"{BIDS}/{f.relpath}" for f in INVENTORY.of_kind("table") if f.relpath.endswith(".tsv")],
        subjects=SUBJECTS_JSON,
    output:
        IDENTIFIERS_JSON,
    log:
        f"{LOGS}/identifiers.log",
    params:
        columns=config["identifiers"]["columns"],
        extra=config["identifiers"]["extra"],
    conda:
        "../../envs/core.yaml"
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
    params:
        counts=dict(INVENTORY.counts()),
        withheld=withheld_inputs(),
        subjects=len(SUBJECTS),
    conda:
        "../../envs/core.yaml"
    script:
        "../../scripts/inventory.py"


rule dataset_description:
    input:
        [f"{BIDS}/{f.relpath}" for f in INVENTORY.of_kind("dataset_description")],
    output:
        directory(f"{WORK}/parts/dataset/_global"),
    log:
        f"{LOGS}/dataset_description.log",
    params:
        release=config["release"],
    conda:
        "../../envs/core.yaml"
    script:
        "../../scripts/dataset_description.py"
