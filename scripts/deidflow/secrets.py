"""The secrets store: a directory outside the release (mode 0700, files 0600) for keys, mappings and date shifts."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from .io import atomic_write_bytes, atomic_write_json, read_json

DIR_MODE = 0o700
FILE_MODE = 0o600


class SecretsError(RuntimeError):
    """The secrets store is missing, unsafe or unreadable."""

    stops_the_step = True  # deidflow.batch: a failed step, not a withheld subject


class SecretStore:
    """A directory of secret files with owner-only permissions."""

    def __init__(self, path: str | os.PathLike, release_dir: str | os.PathLike | None = None):
        self.path = Path(path)
        if release_dir is not None:
            release = Path(release_dir).resolve()
            mine = self.path.resolve()
            if mine == release or release in mine.parents or mine in release.parents:
                raise SecretsError(
                    f"secrets_dir {self.path} overlaps release_dir {release_dir}: keep the secrets store outside the "
                    "release (set secrets_dir to a separate folder)"
                )

    def check_private(self) -> None:
        """Refuse a store that group or others can read (at start, before anything is read or written): an existing
        folder with a loose mode, or a file in it, names itself and the fix. A missing store is created 0700."""
        if not self.path.exists():
            self.ensure()
            return
        if not self.path.is_dir():
            raise SecretsError(f"secrets_dir {self.path} is not a folder; point secrets_dir at a folder")
        loose = [self.path] if _loose(self.path) else []
        loose += [p for p in sorted(self.path.iterdir()) if _loose(p)]
        if loose:
            first = loose[0]
            mode = oct(first.stat().st_mode & 0o777)
            fix = f"chmod 700 {self.path}" if first == self.path else f"chmod 600 {first}"
            more = f" (and {len(loose) - 1} more)" if len(loose) > 1 else ""
            raise SecretsError(
                f"secrets_dir {self.path}: {first} is readable by group or others (mode {mode}){more}; the store "
                f"holds the pseudonym mapping and date shifts: `{fix}`"
                + (f" and `chmod 600 {self.path}/*`" if first == self.path and len(loose) > 1 else "")
                + " before running again"
            )

    def ensure(self) -> Path:
        """Create the store with mode 0700 (tightening an existing directory's mode)."""
        self.path.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path, DIR_MODE)
        return self.path

    def file(self, name: str) -> Path:
        return self.path / name

    def exists(self, name: str) -> bool:
        return self.file(name).is_file()

    def write_bytes(self, name: str, data: bytes) -> Path:
        self.ensure()
        return atomic_write_bytes(self.file(name), data, mode=FILE_MODE)

    def write_json(self, name: str, obj: Any) -> Path:
        self.ensure()
        return atomic_write_json(self.file(name), obj, mode=FILE_MODE)

    def read_bytes(self, name: str) -> bytes:
        path = self.file(name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise SecretsError(f"{path}: secret file not found") from None
        except PermissionError:
            raise SecretsError(f"{path}: secret file not readable (check its owner and permissions)") from None

    def read_json(self, name: str) -> Any:
        return read_json(self.file(name))


def _loose(path: Path) -> bool:
    return bool(path.lstat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)) and not path.is_symlink()


def check_private(path: str | os.PathLike) -> None:
    """Refuse a key file that others can read (like ssh does)."""
    mode = Path(path).stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretsError(f"{path}: key file is readable by group or others (mode {oct(mode & 0o777)}); chmod 600 it")
