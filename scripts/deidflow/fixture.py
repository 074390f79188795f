"""The tiny `.test/` study that ships with the workflow: what `snakemake --lint` and a dry run use on a fresh clone
(no `--configfile` given and the demo study not generated yet), as the Snakemake workflow catalog expects."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Mapping

import yaml

PATH_KEYS = ("bids_dir", "release_dir", "secrets_dir", "reports_dir", "work_dir", "logs_dir")
# The .test study's key is public (it is in the repository): it pseudonymizes fake people only, never real data.
TEST_KEY_ENV = "DEIDFLOW_TEST_KEY"
TEST_KEY = hashlib.sha256(b"deidflow .test study key: public, never for real data").hexdigest()


def fresh_clone_config(config: Mapping[str, Any], root: str | Path) -> dict[str, Any] | None:
    """`.test/config/config.yaml` with its paths made absolute, when the loaded config's study is missing and the
    fixture is there; None otherwise (the loaded config is used, and a missing study is reported as usual)."""
    root = Path(root)
    fixture = root / ".test" / "config" / "config.yaml"
    bids = config.get("bids_dir")
    if not fixture.is_file() or (bids and Path(bids).is_dir()):
        return None
    cfg = yaml.safe_load(fixture.read_text())
    for key in PATH_KEYS:
        if cfg.get(key) and not os.path.isabs(cfg[key]):
            path = fixture.parent.parent / cfg[key]
            # relative to where Snakemake runs when inside it (no absolute prefix shared with the workflow's own paths)
            inside = Path.cwd() in path.parents
            cfg[key] = os.path.relpath(path) if inside else str(path)
    print(f"deidflow: no --configfile and the demo study {bids or '(none)'} is not there (make demo makes it); "
          f"using the tiny .test study ({fixture.relative_to(root)}) for lint and dry runs", file=sys.stderr)
    return cfg


def use_test_key(config: Mapping[str, Any]) -> None:
    """Provide the .test study's public key when the config asks for it by its variable (never a real study's)."""
    if (config.get("pseudonym") or {}).get("key_env") == TEST_KEY_ENV and not (config.get("pseudonym") or {}).get(
            "key_file"):
        os.environ.setdefault(TEST_KEY_ENV, TEST_KEY)
