"""Create a new pseudonym key file (mode 0600) if none exists: `python scripts/make_key.py PATH`."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deidflow.pseudonyms import new_key  # noqa: E402

path = Path(sys.argv[1])
if path.exists():
    print(f"key file {path} exists; keeping it")
else:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key() + "\n")
    print(f"new key written to {path} (keep it secret and outside the release)")
