"""`deidflow init STUDY`: scan a study and write a complete, commented config of the user's own: every table column
with a suggested role and the reason, the identifier list for the leak scan, a section only for the modalities the
study has, the step switches, paths and key. The suggestion is a start: read it, change what is wrong, dry-run."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd
import yaml

from .discovery import discover, read_tsv
from .steps import STEP_KINDS

# The demo config holds the tested settings of each modality section; init copies the sections the study needs.
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"
PRESET_K = 5  # risk.reidentification preset "controlled"
SYNTH_MIN_ROWS = 100  # fewer rows than this give a DP twin too little signal at a sane epsilon

# (pattern over the column name's words, role or options, identifier kind or None, reason), first match wins
NAME_RULES: list[tuple[str, Any, str | None, str]] = [
    (r"e.?mail|mail", "drop", "email", "an e-mail address (direct identifier)"),
    (r"phone|tel|telephone|mobile|cell|fax", "drop", "phone", "a phone number (direct identifier)"),
    (r"ssn|nin|national.?id|social.?security|mrn|medical.?record|record.?number|nhs|passport|licen[cs]e|"
     r"insurance|patient.?id|hospital.?id|chart", "drop", "id", "an identification number (direct identifier)"),
    (r"birth|dob|born", "drop", "date", "a birth date (identifying; keep an age column instead)"),
    (r"street|address|addr|residence|home", "drop", "address", "a street address (direct identifier)"),
    (r"post.?code|postal|zip", {"role": "quasi", "hierarchy": {"type": "prefix"}}, None,
     "a postcode: quasi-identifier, generalized by dropping trailing characters"),
    (r"city|town|village|place|county|district|region|birthplace|hometown", "drop", "place",
     "a place name (small areas identify)"),
    (r"employer|company|organi[sz]ation|workplace|school|university|clinic|hospital|institution", "drop", "org",
     "an organisation (identifying together with other columns)"),
    (r"occupation|job|profession|title|position", "drop", None, "an occupation (free text, identifying)"),
    (r"note|notes|comment|comments|remark|remarks|description|text|free|narrative|summary|history", "drop", None,
     "free text (may name people and places; transcripts are the place for text)"),
    (r"name|names|surname|forename|initials|contact|relative|kin|guardian|spouse|partner|mother|"
     r"father|caregiver|carer|physician|doctor|gp|clinician|referrer|nurse|informant", "drop", "name",
     "a person's name (direct identifier)"),
    (r"diagnos\w*|condition|disease|disorder|icd\w*|medication|medicine|prescription|drug|treatment|therapy|"
     r"outcome|hiv|pregnan\w*|symptom", "sensitive", None,
     "health information: sensitive attribute (protected by l-diversity)"),
    (r"sex|gender", {"role": "quasi", "hierarchy": {"type": "suppress"}}, None,
     "demographics: quasi-identifier (generalized by suppression)"),
    (r"ethnicity|race|nationality|country|language|marital|religion|education|handedness|income",
     {"role": "quasi", "hierarchy": {"type": "suppress"}}, None,
     "demographics: quasi-identifier (generalized by suppression; write category groups for a finer hierarchy)"),
]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass
class Suggestion:
    """A column's suggested role (a string or {role, options}), the leak-scan kind and why."""

    column: str
    role: Any
    reason: str
    kind: str | None = None
    check: bool = False  # not recognised: the user should look


@dataclass
class TableScan:
    rel: str
    key: str  # config key: tables.participants or tables.phenotype.<name>
    rows: int
    suggestions: list[Suggestion] = field(default_factory=list)


def _words(column: str) -> str:
    return " ".join(w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", column).lower()) if w)


def _numeric(values: pd.Series) -> bool:
    return len(values) > 0 and pd.to_numeric(values, errors="coerce").notna().all()


def _age_like(column: str) -> bool:
    return bool(re.search(r"(^| )(age|ages|age years|age at \w+)( |$)", _words(column)))


def _intervals(values: pd.Series) -> dict[str, Any]:
    """An interval hierarchy spanning the values (widths growing by doubling, bottom/top coded at the range)."""
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    low, high = float(numbers.min()), float(numbers.max())
    span = max(high - low, 1.0)
    width = max(1, int(10 ** max(0, len(str(int(span))) - 2)) * 5)  # 5, 50, 500 ... about a tenth of the span
    if width * 2 > span:
        width = max(1, int(span // 4) or 1)
    bottom = int(low // width * width)
    top = int(-(-(high + 1e-9) // width) * width)
    if top <= high:
        top += width
    return {"type": "intervals", "widths": [width, width * 2, width * 4], "bottom": bottom, "top": top}


def suggest(column: str, values: pd.Series, table_rel: str) -> Suggestion:
    """The suggested role of one column, from its name and its values."""
    empty = values.astype(str).str.strip().isin(["", "n/a"])
    filled = values[~empty]
    if column == "participant_id":
        return Suggestion(column, "pseudonym", "the subject label: replaced by the pseudonym")
    words = _words(column)
    if _age_like(column) and _numeric(filled) and not empty.any():
        return Suggestion(column, {"role": "quasi", "hierarchy": _intervals(filled)},
                          "demographics (age): quasi-identifier, generalized into intervals")
    for pattern, role, kind, reason in NAME_RULES:
        if re.search(rf"(^| )({pattern})( |$)", words):
            if isinstance(role, dict) and role.get("role") == "quasi" and empty.any():
                return Suggestion(column, "drop", f"{reason.split(':')[0]}, but {int(empty.sum())} empty cell(s): "
                                  "fill them to keep it as a quasi-identifier", check=True)
            return Suggestion(column, role, reason, kind)
    text = filled.astype(str)
    if len(text) and text.str.match(EMAIL).all():
        return Suggestion(column, "drop", "values are e-mail addresses (direct identifier)", "email")
    if len(text) and text.str.match(ISO_DATE).all():
        return Suggestion(column, {"role": "date", "shift": True},
                          "dates: moved by the subject's date shift (stored in the secrets store)")
    if len(text) and not _numeric(filled) and text.str.match(PHONE).all() and text.str.count(r"\d").min() >= 7:
        return Suggestion(column, "drop", "values look like phone numbers (direct identifier)", "phone")
    if _numeric(filled):
        return Suggestion(column, "keep", "a number not recognised as identifying (a measurement?); check it",
                          check=True)
    if len(text) and (text.str.len().mean() > 40 or text.str.count(" ").mean() >= 4):
        return Suggestion(column, "drop", "free text (long values) may name people and places")
    if len(text) >= 5 and text.nunique() == len(text):
        return Suggestion(column, "drop", "a different value for every row, like an identifier: dropped to be safe")
    return Suggestion(column, "drop", "not recognised: dropped to be safe; give it a role if you need it",
                      check=True)


def scan_tables(study: Path, table_files: list[str]) -> list[TableScan]:
    """Every participants/phenotype table with a suggestion per column."""
    scans = []
    for rel in sorted(table_files, key=lambda r: (r != "participants.tsv", r)):
        if not rel.endswith(".tsv"):
            continue
        table = read_tsv(study / rel)
        key = "tables.participants" if rel == "participants.tsv" else f"tables.phenotype.{Path(rel).stem}"
        scan = TableScan(rel, key, len(table))
        for column in table.columns:
            scan.suggestions.append(suggest(column, table[column], rel))
        scans.append(scan)
    return scans


def _inline(value: Any) -> str:
    return yaml.safe_dump([value], default_flow_style=True, sort_keys=False, width=10_000).strip()[1:-1]


def _block(value: Any, indent: int = 0) -> str:
    text = yaml.safe_dump(value, default_flow_style=None, sort_keys=False, width=118).rstrip()
    return "\n".join(" " * indent + line for line in text.splitlines())


def build_config(study: str | Path, key_file: str, out_dir: str = "results", synth_python: Path | None = None
                 ) -> tuple[str, dict[str, Any]]:
    """The commented YAML text of a config for the study, and the same config as data."""
    study = Path(study).resolve()
    inventory = discover(study)
    counts = inventory.counts()
    has = {kind for kind, n in counts.items() if n}
    tables = scan_tables(study, [f.relpath for f in inventory.of_kind("table")])
    demo = yaml.safe_load(DEMO_CONFIG.read_text()) if DEMO_CONFIG.is_file() else {}
    rows = next((t.rows for t in tables if t.rel == "participants.tsv"), 0)
    participants = next((t for t in tables if t.rel == "participants.tsv"), None)
    quasi = [s.column for s in participants.suggestions if isinstance(s.role, dict) and s.role.get("role") == "quasi"
             ] if participants else []
    sensitive = [s.column for s in participants.suggestions if s.role == "sensitive"] if participants else []
    synth_ready = synth_python is not None and synth_python.is_file()
    synth_on = bool(participants) and rows >= SYNTH_MIN_ROWS and synth_ready and bool(quasi or sensitive)

    steps: dict[str, bool] = {}
    step_notes: dict[str, str] = {}
    for step, kinds in STEP_KINDS.items():
        if step == "mri":
            kinds = ("nifti", "dicom")  # converted DICOM is defaced too
        if kinds and not has & set(kinds):
            continue
        steps[step] = True
        step_notes[step] = ", ".join(f"{counts[k]} {k}" for k in kinds if counts.get(k))
    steps["synth"] = synth_on
    step_notes["synth"] = ("on" if synth_on else
                           f"off: {rows} participants" + (" (a DP twin needs about "
                                                          f"{SYNTH_MIN_ROWS}+)" if rows < SYNTH_MIN_ROWS else "")
                           + ("" if synth_ready else "; the twinify environment (.venv-synth) is not built"))
    steps["risk_tables"] = True
    steps["risk_synthetic"] = synth_on

    k = PRESET_K if rows >= PRESET_K else max(rows, 1)
    lines: list[str] = []
    add = lines.append
    add(f"# deidflow config for {study.name}, written by `deidflow init` from what the study holds:")
    add("#   " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) + f"; {len(inventory.participants)} "
        "participants.")
    add("# Read it before you run: every suggestion says why. Keys: config/README.md in the deidflow checkout.")
    add("# Then: snakemake -n --configfile THIS (checks it in seconds), and snakemake --configfile THIS.")
    add("")
    add("bids_dir: " + _inline(str(study)) + "   # the study (read-only)")
    add("# Everything below is written by the run. Keep work, secrets, reports and logs in the secure area;")
    add("# only the release is for sharing.")
    for name in ("release", "secrets", "reports", "work", "logs"):
        add(f"{name}_dir: {out_dir}/{name}")
    add("seed: 1   # seeds every random choice that is not a secret (same inputs + key + seed: same release)")
    add("")
    add("pseudonym:")
    add("  method: hmac   # keyed HMAC-SHA256 of each subject label: the same key gives the same pseudonyms")
    add(f"  key_file: {_inline(str(key_file))}   # THE ONE EDIT: your key, outside the release; create it with"
        " `python scripts/make_key.py PATH`")
    add("")
    add("dates:")
    add("  shift_days: [-365, 365]   # each subject's dates move by one secret offset from this window")
    add("")
    add("# Step switches: a step that is off needs no environment; its inputs are withheld with that reason.")
    add("steps:")
    for step, on in steps.items():
        note = step_notes.get(step)
        add(f"  {step}: {'true' if on else 'false'}" + (f"   # {note}" if note else ""))
    add("")

    identifiers = {s.column: s.kind for t in tables for s in t.suggestions if s.kind}
    add("identifiers:   # values of these columns are searched for in every released byte (the leak scan)")
    add("  columns:")
    for column, kind in identifiers.items():
        add(f"    {column}: {kind}")
    if not identifiers:
        lines[-1] = "  columns: {}"
    add("  extra: []   # more values to search for, e.g. the clinic's name")
    add("")

    add("risk:")
    add("  gate: true   # the run fails, and nothing is released, when a check fails")
    add("  leak_scan: true")
    add("  reidentification:")
    add("    preset: controlled   # prosecutor risk <= 0.2 and k >= 5 (public: 0.09 and 11)")
    if k != PRESET_K:
        add(f"    threshold: {round(1 / k + 0.01, 2)}   # only {rows} participants: one class of {rows} records")
        add(f"    k: {k}")
    if synth_on:
        add("  synthetic:")
        add(f"    secrets: {_inline(sensitive[:1] or quasi[-1:])}")
        add("    max_risk: {singling_out: 0.2, linkability: 0.2, inference: 0.2}")
    add("")
    add("release:")
    add(f"  name: {_inline(study.name + ' (de-identified)')}")
    add("  license: null   # e.g. CC-BY-4.0")
    add("  authors: []")
    add("")

    add("tables:")
    add("  search: optimal")
    add("  privacy:")
    add(f"    k: {k}   # every combination of quasi-identifiers shared by at least k participants "
        "(risk.reidentification.k follows it)")
    if sensitive:
        add("    l: 2   # each such group holds at least 2 different values of the sensitive column")
        add(f"    sensitive: {sensitive[0]}")
    add("    suppression: 0.1   # up to 10% of the rows may be suppressed to reach k")
    add("    suppressed_rows: drop")
    for scan in tables:
        indent = "  " if scan.rel == "participants.tsv" else "    "
        if scan.rel == "participants.tsv":
            add(f"  participants:   # {scan.rel}: {scan.rows} rows")
        else:
            if "  phenotype:" not in lines:
                add("  phenotype:")
            add(f"    {Path(scan.rel).stem}:   # {scan.rel}: {scan.rows} rows")
        for s in scan.suggestions:
            flag = "CHECK: " if s.check else ""
            add(f"{indent}  {_quote(s.column)}: {_inline(s.role)}   # {flag}{s.reason}")
    add("")

    for section, kinds in (("dicom", {"dicom"}), ("mri", {"nifti", "dicom"}), ("media", {"photo", "video"}),
                           ("text", {"transcript"}), ("audio", {"audio", "video"})):
        if has & kinds and section in demo:
            add(f"{section}:   # the tested settings (config/README.md, `{section}`)")
            add(_block(demo[section], 2))
            add("")
    if synth_on:
        synth = {**demo.get("synth", {}), "columns": None, "epsilon": 1.0}
        add("synth:   # the synthetic twin (twinify); the budget is spent once, the card states it")
        add(_block(synth, 2))
        add("")
    text = "\n".join(lines) + "\n"
    return text, yaml.safe_load(text)


def _quote(column: str) -> str:
    return column if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", column) else _inline(column)


def write_config(study: str | Path, output: str | Path, key_file: str, out_dir: str = "results",
                 synth_python: Path | None = None, force: bool = False) -> dict[str, Any]:
    """Write the config file (never over an existing one unless forced); returns the config."""
    output = Path(output)
    if output.exists() and not force:
        raise FileExistsError(f"{output} exists; pass --force to overwrite it, or choose another -o")
    text, cfg = build_config(study, key_file, out_dir, synth_python)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return cfg


def summary_lines(cfg: Mapping[str, Any]) -> list[str]:
    """What init decided, for the console."""
    tables = cfg.get("tables") or {}
    specs = {"participants.tsv": tables.get("participants") or {},
             **{f"phenotype/{k}.tsv": v for k, v in (tables.get("phenotype") or {}).items()}}
    out = []
    for rel, spec in specs.items():
        roles: dict[str, list[str]] = {}
        for column, value in spec.items():
            role = value if isinstance(value, str) else value.get("role")
            roles.setdefault(role, []).append(column)
        out.append(f"{rel}: " + "; ".join(f"{role} {', '.join(cols)}" for role, cols in roles.items()))
    steps = cfg.get("steps") or {}
    out.append("steps on: " + ", ".join(s for s, on in steps.items() if on) +
               ("; off: " + ", ".join(s for s, on in steps.items() if not on) if not all(steps.values()) else ""))
    return out
