# Rules of the mri step (see docs/contracts.md).


rule mri_deface:
    input:
        nifti_pre=f"{WORK}/parts/nifti_pre/{{subject}}",
    output:
        directory(f"{WORK}/parts/nifti/{{subject}}"),
    log:
        f"{LOGS}/mri_deface/{{subject}}.log",
    benchmark:
        f"{BENCH}/mri_deface/{{subject}}.tsv"
    group:
        "subject"
    conda:
        "../../envs/mri.yaml"
    threads: 2
    resources:
        mem_mb=2500,
    params:
        mri=config["mri"],
    script:
        "../../scripts/mri_deface.py"
