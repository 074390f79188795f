# Rules of the synth step (see docs/contracts.md): the synthetic twin (twinify, in its own environment) and the
# re-identification risk of the released tables.
import json


rule synthesize:
    input:
        part=f"{WORK}/parts/tables/_global",
        summary=[] if config["synth"]["columns"] else f"{WORK}/tables/summary.json",
    output:
        part=directory(f"{WORK}/parts/synth/_global"),
        holdout=directory(f"{WORK}/synth/holdout"),
    log:
        f"{LOGS}/synthesize.log",
    benchmark:
        f"{BENCH}/synthesize.tsv"
    conda:
        "../../envs/synth.yaml"
    params:
        python=str(ROOT / config["synth"]["python"]),
        scripts=str(ROOT / "scripts"),
        work=lambda wildcards, output: str(Path(output.part).parents[2]),
        secrets=SECRETS,
        settings=json.dumps(
            {**config["synth"], "seed": config["synth"]["seed"] or config["seed"]}
        ),
        summary_arg=(
            ""
            if config["synth"]["columns"]
            else f"--summary {WORK}/tables/summary.json"
        ),
    shell:
        "PYTHONPATH={params.scripts:q} {params.python:q} {params.scripts:q}/synthesize.py"
        " --settings {params.settings:q} --input {input.part:q}/files/participants.tsv"
        " {params.summary_arg} --holdout {output.holdout:q} --output {output.part:q}"
        " --log {log:q} --work-dir {params.work:q} --secrets-dir {params.secrets:q}"


rule risk_synth:
    input:
        part=f"{WORK}/parts/synth/_global",
        holdout=f"{WORK}/synth/holdout",
    output:
        f"{WORK}/risk/synthetic.json",
    log:
        f"{LOGS}/risk_synth.log",
    benchmark:
        f"{BENCH}/risk_synth.tsv"
    conda:
        "../../envs/synth.yaml"
    params:
        python=str(ROOT / config["synth"]["python"]),
        scripts=str(ROOT / "scripts"),
        work=lambda wildcards, output: str(Path(output[0]).parents[1]),
        secrets=SECRETS,
        settings=json.dumps(
            {
                "seed": config["synth"]["seed"] or config["seed"],
                "budget": {
                    "epsilon": config["synth"]["epsilon"],
                    "delta": config["synth"]["delta"],
                },
                **config["risk"].get("synthetic", {}),
            }
        ),
    shell:
        "PYTHONPATH={params.scripts:q} {params.python:q} {params.scripts:q}/risk_synth.py"
        " --settings {params.settings:q} --holdout {input.holdout:q} --part {input.part:q}"
        " --output {output:q} --log {log:q} --work-dir {params.work:q} --secrets-dir {params.secrets:q}"


rule risk_tables:
    input:
        part=f"{WORK}/parts/tables/_global",
        summary=f"{WORK}/tables/summary.json",
        original=f"{BIDS}/participants.tsv",
    output:
        f"{WORK}/risk/tables.json",
    log:
        f"{LOGS}/risk_tables.log",
    benchmark:
        f"{BENCH}/risk_tables.tsv"
    conda:
        "../../envs/core.yaml"
    params:
        settings=config["risk"].get("reidentification", {}),
    script:
        "../../scripts/risk_tables.py"
