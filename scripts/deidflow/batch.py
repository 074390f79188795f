"""Batches: one job runs a per-subject step for several subjects, so Python, the libraries and the models start once.

The workflow side (`workflow/rules/common.smk`) splits a step's subjects into batches at parse time (`plan_batches`)
and gives each batch job a plan, {pseudonym: {"input": {name: value}, "output": part dir, "log": log file}}, in
`params.batch`. The adapter script calls `run_batch(snakemake, process_subject, ...)`, which calls
`process_subject(job, log)` once per subject with a per-subject view shaped like Snakemake's `snakemake` object (the
subject's own inputs, output, log, wildcards and the rule's name without the batch suffix), inside
`provenance.job`, so every subject keeps its part directory, its log file and its provenance record exactly as a
one-subject job would write them: the outputs do not depend on the batch size.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Mapping, Sequence

from .parts import PartWriter, read_manifest

PLAN = "batch"


def plan_batches(subjects: Iterable[str], size: int) -> dict[str, list[str]]:
    """Consecutive runs of `size` sorted pseudonyms, named by their position ("0000", "0001", ...)."""
    ordered = sorted(set(subjects))
    size = max(1, int(size))
    return {f"{n:04d}": ordered[start:start + size] for n, start in enumerate(range(0, len(ordered), size))}


def _for_subject(value: Any, subject: str) -> Any:
    """An input function evaluated, or `{subject}` in a path pattern filled in, for one subject."""
    if callable(value):
        return value(SimpleNamespace(subject=subject))
    if isinstance(value, str):
        return value.replace("{subject}", subject)
    return value


def batch_plan(members: Iterable[str], output: str, log: str, **inputs: Any) -> dict[str, dict[str, Any]]:
    """Per subject of a batch: its inputs, output and log (input functions evaluated with the subject's wildcards,
    `{subject}` in path patterns filled in); the batch rule's `params.batch`."""
    return {subject: {"input": {name: _for_subject(value, subject) for name, value in inputs.items()},
                      "output": _for_subject(output, subject), "log": _for_subject(log, subject)}
            for subject in members}


def batch_inputs(plan: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """The named inputs of a batch job: each name's files over all its subjects (sorted, no repeats)."""
    merged: dict[str, set[str]] = {}
    for item in plan.values():
        for name, value in item["input"].items():
            merged.setdefault(name, set()).update([value] if isinstance(value, str) else value)
    return {name: sorted(files) for name, files in sorted(merged.items())}


class Named(list):
    """A list with named entries as attributes (like Snakemake's Namedlist) for a per-subject view."""

    def __init__(self, items: Sequence[Any] = (), names: Mapping[str, Any] | None = None):
        super().__init__(items)
        self._names = dict(names or {})
        for name, value in self._names.items():
            setattr(self, name, value)

    def items(self):
        return self._names.items()

    def keys(self):
        return self._names.keys()

    def get(self, name: str, default: Any = None) -> Any:
        return self._names.get(name, default)


def _flatten(inputs: Mapping[str, Any]) -> list[str]:
    files: list[str] = []
    for value in inputs.values():
        files.extend([value] if isinstance(value, str) else list(value))
    return files


class SubjectJob:
    """One subject's share of a batch job, with the attributes adapters read from `snakemake`."""

    def __init__(self, snakemake: Any, subject: str, plan: Mapping[str, Any]):
        self.rule = base_rule(snakemake.rule)
        self.subject = subject
        self.input = Named(_flatten(plan["input"]), plan["input"])
        self.output = Named([plan["output"]])
        self.log = Named([plan["log"]] if plan.get("log") else [])
        self.wildcards = Named([subject], {"subject": subject})
        params = {k: v for k, v in snakemake.params.items() if k != PLAN}
        self.params = Named(list(params.values()), params)
        self.config = snakemake.config
        self.threads = snakemake.threads
        self.resources = getattr(snakemake, "resources", None)


def base_rule(rule: str) -> str:
    """The step's rule name without the batch suffix (`mri_deface_b0003` -> `mri_deface`)."""
    head, sep, tail = rule.rpartition("_b")
    return head if sep and tail.isdigit() else rule


def subject_jobs(snakemake: Any) -> list[SubjectJob]:
    plan = snakemake.params[PLAN] if isinstance(snakemake.params, dict) else getattr(snakemake.params, PLAN)
    return [SubjectJob(snakemake, subject, plan[subject]) for subject in sorted(plan)]


def withheld_sources(job: SubjectJob, sources: Iterable[str]) -> list[str]:
    """Labels (pseudonymized, entity-only) of a subject's source inputs, for a part that withholds them all."""
    from .bidsname import report_path
    from .subjects import read_subjects

    bids = Path(job.config.get("bids_dir", ""))
    table = Path(job.config.get("secrets_dir", "")) / "subjects.json"
    record = read_subjects(table).get(job.subject) if table.is_file() else None
    labels = []
    for name in sources:
        value = job.input.get(name, [])
        for item in [value] if isinstance(value, str) else value:
            path = Path(item)
            if path.is_dir() and (path / "manifest.json").is_file():  # an upstream part: its released names
                labels.extend(read_manifest(path)["produced"])
                continue
            try:
                rel = path.resolve().relative_to(bids.resolve()).as_posix()
            except ValueError:
                labels.append(path.name if record is None else f"sub-{job.subject}/…")
                continue
            labels.append(report_path(rel, record) if record is not None else f"sub-{job.subject}/…")
    return sorted(set(labels))


def stops_the_step(err: BaseException) -> bool:
    """An error no subject can be withheld for: the step itself cannot work (a missing package, model or tool, a bad
    key or config). It fails the job with its message, as it did before batches, instead of withholding every subject's
    files one by one. Such error classes say so with a class attribute `stops_the_step = True`."""
    return isinstance(err, (ImportError, MemoryError)) or bool(getattr(err, "stops_the_step", False))


def run_batch(snakemake: Any, process_subject: Callable[[SubjectJob, logging.Logger], None], *, part: str,
              sources: Iterable[str], extra_tools: Iterable[str] = ()) -> list[str]:
    """Run `process_subject` for every subject of the batch; returns the subjects whose work failed.

    A subject whose work raises gets a part that withholds all of its source inputs with the error's kind as the
    reason (its log holds the message), and the other subjects of the batch go on: the part directory of every
    subject exists when the job ends, so no subject is lost with another's failure.
    """
    from .provenance import job as provenance_job

    failed = []
    stderr = sys.stderr
    for sub in subject_jobs(snakemake):
        try:
            with provenance_job(sub, extra_tools=extra_tools) as log:
                process_subject(sub, log)
        except Exception as err:  # isolation: one subject's crash never fails the others of its batch
            if stops_the_step(err):
                raise
            failed.append(sub.subject)
            reason = (f"{sub.rule} failed on this subject ({type(err).__name__}); withheld, see "
                      f"{Path(sub.log[0]).name if sub.log else 'the log'}")
            with PartWriter(sub.output[0], part, sub.subject) as writer:
                for label in withheld_sources(sub, sources):
                    writer.withhold(label, reason)
                writer.note(reason)
        finally:
            if sys.stderr is not stderr:  # provenance.job sends stderr to the subject's log
                sys.stderr.close()
                sys.stderr = stderr
    return failed
