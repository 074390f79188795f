# Dataset discovery, pseudonyms, input functions and wildcard constraints shared by every rule file.
import sys
from collections import defaultdict
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from deidflow.bidsname import report_path
from deidflow.discovery import discover
from deidflow.identifiers import check_columns
from deidflow.pseudonyms import build_subjects, load_key
from deidflow.secrets import SecretStore
from deidflow.subjects import pseudonymize_path

CONFIG_FILES = ", ".join(map(str, workflow.configfiles)) or "the config"
try:
    validate(config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml")
    for _section in ("tables", "dicom", "media", "text", "mri", "synth"):
        _schema = Path(workflow.basedir) / f"workflow/schemas/{_section}.schema.yaml"
        if _schema.is_file():
            validate(config[_section], _schema)
except WorkflowError as _err:
    raise WorkflowError(f"{CONFIG_FILES}: {_err}") from None

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

INVENTORY = discover(BIDS)
STORE = SecretStore(SECRETS, release_dir=RELEASE)
STORE.check_private()
check_columns(BIDS, config["identifiers"]["columns"], CONFIG_FILES)
RECORDS = build_subjects(INVENTORY.sessions, config, load_key(config), STORE)
BY_ORIGINAL = {record.original: record for record in RECORDS.values()}
SUBJECTS = sorted(RECORDS)

_FILES = defaultdict(list)
for _file in INVENTORY.files:
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
GLOBAL_PARTS = {
    "dataset": ("dataset_description",),
    "tables": ("table",),
    "synth": ("table",),
}
# Risk sections computed over the whole study (besides the risk.json inside each part).
RISK_SECTIONS = ["inventory", "leaks", "tables", "synthetic"]
# Every check the release step makes runs before the gate (rule release_check), so nothing fails after it passed.
RISK_SECTIONS.append("release")


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
            if has_inputs(wildcards.subject, _kinds(SUBJECT_PARTS[part]))
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
        reason = (
            item.reason
            if item.kind == "unknown"
            else f"no enabled rule de-identifies {item.kind} files"
        )
        withheld.append({"source": path, "kind": item.kind, "reason": reason})
    return withheld


def risk_sections():
    return [f"{WORK}/risk/{name}.json" for name in RISK_SECTIONS]


def pre_release_sections():
    """The risk sections rule release_check waits for (all but its own), so their jobs are in the crate it checks."""
    return [f"{WORK}/risk/{name}.json" for name in RISK_SECTIONS if name != "release"]
