# deidflow: de-identify a BIDS-like study into a shareable release, a secrets store, a risk report and provenance.
from snakemake.utils import min_version

min_version("9.0")


# The config a user passes (--configfile) is the whole config: the demo's settings apply only when none is given.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/ids.smk"
include: "workflow/rules/tabular.smk"
include: "workflow/rules/dicom.smk"
include: "workflow/rules/mri.smk"
include: "workflow/rules/media.smk"
include: "workflow/rules/audio.smk"
include: "workflow/rules/text.smk"
include: "workflow/rules/eeg.smk"
include: "workflow/rules/documents.smk"
include: "workflow/rules/scans.smk"
include: "workflow/rules/synth.smk"
include: "workflow/rules/risk.smk"
include: "workflow/rules/release.smk"


rule all:
    default_target: True
    input:
        RELEASE,
        f"{REPORTS}/risk.html",


onsuccess:
    drop_timestamp(RELEASE)
    print(run_summary(config, ok=True, snakemake_log=log))


onerror:
    print(run_summary(config, ok=False, snakemake_log=log))
