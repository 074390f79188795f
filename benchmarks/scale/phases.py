"""Time the parse-time phases of common.smk on one run folder, each on its own (prints one JSON object).

    .venv/bin/python benchmarks/scale/phases.py RUN_DIR/config.yaml

Discovery without the cache (a cold walk of the whole study), discovery from the cache the dry runs left in
work_dir, the subject table (pseudonyms and date shifts from the secrets store the first dry run created), and the
parse-time table checks. Peak memory of this process is reported too.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from deidflow.checks import check_tables, resolve_k  # noqa: E402
from deidflow.discovery import discover  # noqa: E402
from deidflow.pseudonyms import build_subjects, load_key  # noqa: E402
from deidflow.secrets import SecretStore  # noqa: E402


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - start, 3)


def main() -> None:
    cfg = yaml.safe_load(Path(sys.argv[1]).read_text())
    bids, work = cfg["bids_dir"], cfg["work_dir"]
    out: dict = {}
    inventory, out["discover_walk_s"] = _timed(lambda: discover(bids))
    cached, out["discover_cached_s"] = _timed(lambda: discover(bids, cache=f"{work}/cache/inventory.json"))
    out["discover_cache_hit"] = bool(cached.walk_cache.hit)
    out["input_files"] = len(inventory.files)
    out["input_kinds"] = dict(sorted(inventory.counts().items()))
    store = SecretStore(cfg["secrets_dir"], release_dir=cfg["release_dir"])
    records, out["build_subjects_s"] = _timed(lambda: build_subjects(inventory.sessions, cfg, load_key(cfg), store))
    out["subjects"] = len(records)
    resolve_k(cfg)
    tables = [f"{bids}/{f.relpath}" for f in inventory.of_kind("table")]
    _, out["check_tables_s"] = _timed(lambda: check_tables(cfg, tables, ROOT))
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
