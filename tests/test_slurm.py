"""The workflow through workflow/profiles/slurm on a real one-node SLURM cluster (slurmctld + slurmd on localhost).

Skipped, with the reason, where the cluster cannot start (not root, no apt and no slurm, daemons refuse to run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_snakemake, share_noise_draws, write_config
from test_reproducible import comparable_release, frozen_commit

pytestmark = [pytest.mark.slurm, pytest.mark.workflow, pytest.mark.slow]

HELPERS = ROOT / "tests" / "slurm"
# Rules marked `localrule: True` run beside Snakemake, never through sbatch.
# "Job <id> has been submitted with SLURM jobid <n> (log: .../slurm_logs/rule_<rule>/... or .../group_<group>/...)";
# a long group name is cut short with "..." (subject_dicom_convert_dicom_scrub_..._mri_deface_...)
SUBMISSION = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: \S*/slurm_logs/(?:rule|group)_([^/\s]+)/")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A running one-node cluster; stopped (and /etc/slurm/slurm.conf put back) afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a one-node SLURM needs root (slurmd runs as root)")
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        pytest.skip("slurm-wlm is not installed and apt-get is not available to install it")
    state = tmp_path_factory.mktemp("slurm")
    try:
        proc = subprocess.run([str(HELPERS / "start.sh"), str(state)], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        subprocess.run([str(HELPERS / "stop.sh"), str(state)], capture_output=True)
        pytest.skip("slurmctld did not start within 5 minutes")
    if proc.returncode != 0:
        subprocess.run([str(HELPERS / "stop.sh"), str(state)], capture_output=True)
        pytest.skip(f"slurmctld could not start: {(proc.stdout + proc.stderr)[-1500:]}")
    yield state
    subprocess.run([str(HELPERS / "stop.sh"), str(state)], capture_output=True, timeout=60)


def test_workflow_runs_through_sbatch_and_matches_a_local_run(cluster, small_study, tmp_path):
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    with frozen_commit(tmp_path):
        run_snakemake(local, write_config(local, small_study))
        share_noise_draws(local, slurm)
        proc = run_snakemake(slurm, write_config(slurm, small_study),
                             "--profile", str(ROOT / "workflow" / "profiles" / "slurm"), "--slurm-no-account",
                             "--slurm-init-seconds-before-status-checks", "4")

    submissions = SUBMISSION.findall(proc.stdout)
    assert submissions, f"no job went through sbatch:\n{proc.stdout[-3000:]}"
    controller_log = (cluster / "slurmctld.log").read_text()
    for _, slurm_id, rule in submissions:
        assert re.search(rf"_job_complete: JobId={slurm_id} done", controller_log), (
            f"SLURM job {slurm_id} ({rule}) did not complete in slurmctld's log")
    submitted_rules = {rule for _, _, rule in submissions}
    assert not submitted_rules & {"pseudonymize", "gate", "release"}, "local rules must not be submitted"
    assert {"identifiers", "leak_scan"} <= submitted_rules, submitted_rules
    # Per-subject rules carry `group: "subject"`: they are submitted as group jobs, never one by one.
    subjects = {p.name for p in (slurm / "work" / "parts").glob("*/*") if p.name != "_global"}
    if subjects:  # Snakemake names a group job `subject` or `subject_<rules>` (one per connected component)
        groups = {r for r in submitted_rules if r == "subject" or r.startswith("subject_")}
        # batched steps are rules named <step>_b<batch> (one job per batch of subjects)
        alone = {r for r in submitted_rules if r == "scans" or re.fullmatch(
            r"(dicom_scrub|dicom_convert|mri_deface|media_photos|media_videos|text_transcripts)_b\d+", r)}
        assert groups and not alone, f"per-subject jobs were not submitted as groups: {submitted_rules}"

    local_release = comparable_release(local / "release", local)
    slurm_release = comparable_release(slurm / "release", slurm)
    differ = sorted(k for k in local_release.keys() | slurm_release.keys()
                    if local_release.get(k) != slurm_release.get(k))
    assert not differ, f"the SLURM release differs from the local one in {differ}"
