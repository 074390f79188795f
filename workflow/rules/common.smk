# Dataset discovery, pseudonyms, input functions and wildcard constraints shared by every rule file.
import sys
from collections import defaultdict
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

# The deidflow checkout, from this file's place (so the workflow also works as a Snakemake `module`).
ROOT = Path(workflow.current_basedir).parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from deidflow.bidsname import report_path
from deidflow.checks import (
    check_interpreters,
    check_paths,
    check_tables,
    check_text_languages,
    raise_problems,
    resolve_k,
)
from deidflow.discovery import discover
from deidflow.identifiers import check_columns
from deidflow.fixture import fresh_clone_config, use_test_key
from deidflow.pseudonyms import build_subjects, load_key
from deidflow.secrets import SecretStore
from deidflow.steps import (
    enabled_parts,
    enabled_sections,
    enabled_steps,
    withheld_kinds,
)
from deidflow.summary import drop_timestamp, run_summary

if not workflow.overwrite_configfiles:
    # No --configfile and no demo study yet (a fresh clone): lint and dry-run on the tiny .test study.
    _fallback = fresh_clone_config(config, ROOT)
    if _fallback is not None:
        config.clear()
        config.update(_fallback)
use_test_key(config)

CONFIGFILES = [str(f) for f in workflow.overwrite_configfiles] or [
    str(f) for f in workflow.configfiles
]
CONFIG_FILES = ", ".join(CONFIGFILES) or "the config"
try:
    validate(config, ROOT / "workflow/schemas/config.schema.yaml")
    for _section in ("tables", "dicom", "media", "text", "mri", "synth", "audio"):
        _schema = ROOT / f"workflow/schemas/{_section}.schema.yaml"
        if _schema.is_file():
            validate(config[_section], _schema)
    validate(config.setdefault("eeg", {}), ROOT / "workflow/schemas/eeg.schema.yaml")
except WorkflowError as _err:
    raise WorkflowError(f"{CONFIG_FILES}: {_err}") from None
try:
    validate(config["documents"], ROOT / "workflow/schemas/documents.schema.yaml")
except WorkflowError as _err:
    raise WorkflowError(f"{CONFIG_FILES}: documents: {_err}") from None
resolve_k(config)
STEPS = enabled_steps(config)
OFF_KINDS = withheld_kinds(config)
raise_problems(check_paths(config), CONFIGFILES)

BIDS = config["bids_dir"]
WORK = config["work_dir"]
SECRETS = config["secrets_dir"]
RELEASE = config["release_dir"]
REPORTS = config["reports_dir"]
LOGS = config["logs_dir"]
BENCH = f"{LOGS}/benchmarks"
SUBJECTS_JSON = f"{SECRETS}/subjects.json"
IDENTIFIERS_JSON = f"{WORK}/identifiers/study.json"
INVENTORY_JSON = f"{WORK}/inventory.json"

# The study walk comes from the work folder's cache while no folder of the study changed (deidflow.inventory_cache).
INVENTORY = discover(BIDS, cache=f"{WORK}/cache/inventory.json")
STORE = SecretStore(SECRETS, release_dir=RELEASE)
STORE.check_private()
check_columns(BIDS, config["identifiers"]["columns"], CONFIG_FILES)
RECORDS = build_subjects(INVENTORY.sessions, config, load_key(config), STORE)
BY_ORIGINAL = {record.original: record for record in RECORDS.values()}
SUBJECTS = sorted(RECORDS)

_FILES = defaultdict(list)
for _file in INVENTORY.files:
    if _file.kind not in OFF_KINDS:  # a step that is off: its inputs are withheld
        _FILES[(_file.kind, _file.subject)].append(f"{BIDS}/{_file.relpath}")

# Parts that reach the release: subject parts (part name -> the input kinds it consumes) and global ones.
SUBJECT_PARTS = {
    "dicom": ("dicom",),
    # mri_deface over dicom_convert's nifti_pre (converted DICOM and input NIfTI)
    "nifti": ("nifti", "dicom"),
    "transcript": ("transcript",),
    "photo": ("photo",),
    "video": ("video",),
    "scans": ("scans",),
}
# EEG/MEG/iEEG recordings, their sidecars and physio files (rule eeg_recordings).
SUBJECT_PARTS["eeg"] = ("eeg",)
SUBJECT_PARTS["audio"] = ("audio",)  # voice recordings, anonymized (rule audio_voices)
# offline machine transcripts of the recordings (rule audio_transcripts), when asked and the transcript step is on
if config["audio"].get("transcribe") and STEPS["transcript"]:
    SUBJECT_PARTS["audio_transcript"] = ("audio",)
GLOBAL_PARTS = {
    "dataset": ("dataset_description",),
    "tables": ("table",),
    "synth": ("table",),
}
# Documents (.docx, .odt, .rtf, .pdf) de-identified into fresh files (rule text_documents).
SUBJECT_PARTS["document"] = ("document",)
# Risk sections computed over the whole study (besides the risk.json inside each part).
RISK_SECTIONS = ["inventory", "leaks", "tables", "synthetic"]
# Every check the release step makes runs before the gate (rule release_check), so nothing fails after it passed.
RISK_SECTIONS.append("release")
# Only the parts and sections of the steps that are on (`steps:`).
SUBJECT_PARTS = enabled_parts(SUBJECT_PARTS, config)
GLOBAL_PARTS = enabled_parts(GLOBAL_PARTS, config)
RISK_SECTIONS = enabled_sections(RISK_SECTIONS, config)
# Everything checkable before work starts fails now, naming the config key and the file.
raise_problems(
    (
        check_tables(
            config, [f"{BIDS}/{f.relpath}" for f in INVENTORY.of_kind("table")], ROOT
        )
        if STEPS["tables"]
        else []
    )
    + (
        []
        if "conda"
        in {str(m).lower() for m in workflow.deployment_settings.deployment_method}
        else check_interpreters(
            config,
            STEPS,
            ROOT,
            needs_mri=any(
                f.kind in SUBJECT_PARTS.get("nifti", ()) for f in INVENTORY.files
            ),
            needs_synth="synth" in GLOBAL_PARTS,
        )
    ),
    CONFIGFILES,
)
# Transcript languages: text.language and each code in the text.language_column of participants.tsv.
raise_problems(check_text_languages(config, f"{BIDS}/participants.tsv"), CONFIGFILES)
# Every check passed: keep a fresh walk of the study for the next run (a million files take half a minute to list).
INVENTORY.save_cache()


wildcard_constraints:
    subject="[A-Za-z0-9]+",


def _kinds(value):
    return (value,) if isinstance(value, str) else tuple(value)


def subject_files(*kinds):
    """Input function: the current subject's input files of the given kinds."""

    def files(wildcards):
        original = RECORDS[wildcards.subject].original
        return [path for kind in kinds for path in _FILES[(kind, original)]]

    return files


def has_inputs(subject, kinds):
    """Whether the subject (a pseudonym) has input files of any of the given kinds."""
    return any(_FILES[(kind, RECORDS[subject].original)] for kind in kinds)


def subjects_with(*kinds):
    """Pseudonyms of subjects that have input files of any of the given kinds."""
    return [s for s in SUBJECTS if has_inputs(s, kinds)]


def subject_parts(*parts):
    """Input function: the current subject's directories of the given parts (those it has inputs for)."""

    def dirs(wildcards):
        return [
            f"{WORK}/parts/{part}/{wildcards.subject}"
            for part in parts
            if part in SUBJECT_PARTS
            and has_inputs(wildcards.subject, _kinds(SUBJECT_PARTS[part]))
        ]

    return dirs


def part_dirs():
    """Every part directory the release is assembled from."""
    dirs = [
        f"{WORK}/parts/{part}/{subject}"
        for part, kinds in SUBJECT_PARTS.items()
        for subject in subjects_with(*_kinds(kinds))
    ]
    return dirs + [f"{WORK}/parts/{part}/_global" for part in GLOBAL_PARTS]


def consumed_kinds():
    kinds = set()
    for value in [*SUBJECT_PARTS.values(), *GLOBAL_PARTS.values()]:
        kinds.update(_kinds(value))
    return kinds


def withheld_inputs():
    """Input files no enabled part consumes, with pseudonymized paths and a reason (for the report)."""
    consumed = consumed_kinds()
    withheld = []
    for item in INVENTORY.files:
        if item.kind in consumed:
            continue
        # entities and pseudonyms only: a typed file name or a folder named by PatientID never reaches the report
        path = report_path(item.relpath, BY_ORIGINAL.get(item.subject))
        if item.kind in OFF_KINDS:
            reason = OFF_KINDS[item.kind]
        elif item.kind == "unknown":
            reason = item.reason
        else:
            reason = f"no enabled rule de-identifies {item.kind} files"
        withheld.append({"source": path, "kind": item.kind, "reason": reason})
    return withheld


def risk_sections():
    return [f"{WORK}/risk/{name}.json" for name in RISK_SECTIONS]


def pre_release_sections():
    """The risk sections rule release_check waits for (all but its own), so their jobs are in the crate it checks."""
    return [f"{WORK}/risk/{name}.json" for name in RISK_SECTIONS if name != "release"]


# Batches (docs/contracts.md, "Batches"): a step that loads a model or a heavy library runs one job per batch of
# subjects; each job still writes one part directory, one log and one provenance record per subject.
from deidflow.batch import batch_inputs, batch_plan, plan_batches


def batch_size(step):
    """Subjects per job of a batched step: `batch_size.<step>`, else `batch_size.default`."""
    sizes = config.get("batch_size", {})
    return int(sizes.get(step, sizes.get("default", 1)))


def part_batches(step, part):
    """{batch id: pseudonyms} of a step making subject part `part` (none when the part is off). Every step cuts its
    batches from the same sorted list of all subjects and keeps those with inputs of its kind, so batch n of any two
    steps (of one batch size) holds the same subjects: a `subject` group job spans one batch of subjects, never a
    chain of batches that missing modalities would shift against each other."""
    if part not in SUBJECT_PARTS:
        return {}
    having = set(subjects_with(*_kinds(SUBJECT_PARTS[part])))
    batches = plan_batches(SUBJECTS, batch_size(step)).items()
    return {
        batch: kept
        for batch, members in batches
        if (kept := [s for s in members if s in having])
    }


def batch_outputs(plan):
    """The part directories a batch job declares (one per subject)."""
    return [directory(item["output"]) for item in plan.values()]


def batch_logs(plan):
    """The log files a batch job declares (one per subject, where a one-subject job wrote it)."""
    return [item["log"] for item in plan.values()]


def bids_dir(wildcards):
    """Param function: the input study (a function, so the linter does not take it for a hard-coded file prefix)."""
    return BIDS


def text_participants():
    """participants.tsv as an input of the text rules when it names each subject's language (text.language_column)."""
    return (
        [f"{BIDS}/participants.tsv"]
        if (config.get("text") or {}).get("language_column")
        else []
    )
