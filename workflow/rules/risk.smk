# The leak scan over every released byte, the risk report and the gate that fails a run.


rule leak_scan:
    input:
        parts=part_dirs(),
        identifiers=IDENTIFIERS_JSON,
    output:
        f"{WORK}/risk/leaks.json",
    log:
        f"{LOGS}/leak_scan.log",
    benchmark:
        f"{BENCH}/leak_scan.tsv"
    conda:
        "../../envs/core.yaml"
    params:
        enabled=config["risk"]["leak_scan"],
        allow_list=config["text"]["allow_list"],
    script:
        "../../scripts/leak_scan.py"


rule risk_report:
    input:
        sections=risk_sections(),
        parts=part_dirs(),
        identifiers=IDENTIFIERS_JSON,
    output:
        json=f"{REPORTS}/risk.json",
        html=f"{REPORTS}/risk.html",
        summary=f"{REPORTS}/risk_summary.html",
    log:
        f"{LOGS}/risk_report.log",
    benchmark:
        f"{BENCH}/risk_report.tsv"
    conda:
        "../../envs/core.yaml"
    script:
        "../../scripts/risk_report.py"


rule gate:
    input:
        f"{REPORTS}/risk.json",
    output:
        f"{WORK}/gate.passed",
    log:
        f"{LOGS}/gate.log",
    benchmark:
        f"{BENCH}/gate.tsv"
    localrule: True
    conda:
        "../../envs/core.yaml"
    params:
        enforce=config["risk"]["gate"],
    script:
        "../../scripts/gate.py"
