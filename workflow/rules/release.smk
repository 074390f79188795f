# Assemble the release from the parts (only after the gate passed) and describe it as an RO-Crate.


rule release:
    input:
        gate=f"{WORK}/gate.passed",
        parts=part_dirs(),
        identifiers=IDENTIFIERS_JSON,
    output:
        directory(RELEASE),
    log:
        f"{LOGS}/release.log",
    benchmark:
        f"{BENCH}/release.tsv"
    localrule: True
    conda:
        "../../envs/core.yaml"
    params:
        provenance=f"{WORK}/provenance",
        release=config["release"],
    script:
        "../../scripts/release.py"


rule release_check:
    input:
        parts=part_dirs(),
        identifiers=IDENTIFIERS_JSON,
        sections=pre_release_sections(),
    output:
        f"{WORK}/risk/release.json",
    log:
        f"{LOGS}/release_check.log",
    benchmark:
        f"{BENCH}/release_check.tsv"
    conda:
        "../../envs/core.yaml"
    params:
        provenance=f"{WORK}/provenance",
        release=config["release"],
    script:
        "../../scripts/release_check.py"
