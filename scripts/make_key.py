"""Create a new pseudonym key file (mode 0600) if none exists: `python scripts/make_key.py PATH`.

A missing parent folder is created with mode 0700; an existing one is never changed (it may be shared), but a folder
that others can list is reported, so the user decides.
"""

import os
import stat
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deidflow.pseudonyms import new_key  # noqa: E402

path = Path(sys.argv[1])
if path.exists():
    print(f"key file {path} exists; keeping it")
else:
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
        print(f"created {path.parent} (mode 0700) for the key")
    elif path.parent.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = oct(path.parent.stat().st_mode & 0o777)
        print(f"note: {path.parent} (mode {mode}) can be listed by others; the key file itself is 0600. "
              f"Run `chmod 700 {path.parent}` if the folder holds only secrets.")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key() + "\n")
    print(f"new key written to {path} (keep it secret and outside the release)")
