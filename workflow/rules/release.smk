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
    params:
        provenance=f"{WORK}/provenance",
        release=config["release"],
    conda:
        "../../envs/core.yaml"
    localrule: True
    script:
        "../../scripts/release.py"
