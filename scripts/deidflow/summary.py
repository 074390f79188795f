"""The lines every run ends with, success or failure: the gate's result, released and withheld counts (by reason),
where the release, the report and the logs are, and for a failed job the clear message from its own log."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Mapping

TIMESTAMP = ".snakemake_timestamp"


def drop_timestamp(release_dir: str | Path) -> None:
    """Remove the empty marker Snakemake leaves in a directory output: it is not part of the release."""
    (Path(release_dir) / TIMESTAMP).unlink(missing_ok=True)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def failed_jobs(snakemake_log: str | Path | list | None) -> list[tuple[str, str | None]]:
    """(rule, its log file) of every failed job in Snakemake's own log(s) of this run."""
    logs = snakemake_log if isinstance(snakemake_log, (list, tuple)) else [snakemake_log]
    text = "".join(Path(p).read_text(errors="replace") for p in logs if p and Path(p).is_file())
    out = []
    for match in re.finditer(r"Error in rule (\w+):\n((?:[ \t]+.*\n?)*)", text):
        log = re.search(r"^\s+log: (\S+)", match.group(2), re.M)
        out.append((match.group(1), log.group(1) if log else None))
    return out


def _last_error(log: str | None, limit: int = 6) -> list[str]:
    """The last lines of a job's log that say what went wrong (its exception message)."""
    if not log or not Path(log).is_file():
        return []
    lines = [line.rstrip() for line in Path(log).read_text(errors="replace").splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if re.match(r"^[\w.]*(Error|Exception|Failed|Exit)\w*: ", lines[i]) or "FAILED" in lines[i]:
            return lines[i:i + limit]
    return lines[-limit:]


def run_summary(config: Mapping[str, Any], ok: bool, snakemake_log: str | list | None = None) -> str:
    """The closing summary of a run."""
    release = Path(config["release_dir"])
    reports = Path(config["reports_dir"])
    work = Path(config["work_dir"])
    report = _read(reports / "risk.json")
    lines = ["", "deidflow " + ("finished" if ok else "stopped with an error")]
    if report:
        lines.append("  " + report["summary"]["line"])
        withheld = report.get("withheld", [])
    else:
        lines.append("  risk gate: not reached (the run stopped before the report)")
        withheld = (_read(work / "inventory.json") or {}).get("withheld", [])
    if ok and release.is_dir():
        files = [p for p in release.rglob("*") if p.is_file() and p.name != TIMESTAMP]
        lines.append(f"  released: {len(files)} files in {release}")
    else:
        lines.append("  released: nothing (a release is written only when the gate passes)")
    reasons = Counter(str(w.get("reason", "?")) for w in withheld)
    lines.append(f"  withheld: {len(withheld)} inputs" + (":" if reasons else ""))
    for reason, n in reasons.most_common(12):
        lines.append(f"    {n:4d}  {reason[:150]}")
    if len(reasons) > 12:
        lines.append(f"    ... {len(reasons) - 12} more reasons in the report")
    lines.append(f"  report: {reports / 'risk.html'} (and risk.json); logs: {config['logs_dir']}")
    for rule, log in failed_jobs(snakemake_log):
        lines.append(f"  failed: rule {rule}" + (f" (log {log})" if log else ""))
        lines += [f"    {line[:300]}" for line in _last_error(log)]
    return "\n".join(lines)
