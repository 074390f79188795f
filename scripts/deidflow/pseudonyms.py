"""Pseudonymous subject and session labels (keyed HMAC, random with a stored mapping, or a user table) and date shifts."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import os
import secrets as pysecrets
from pathlib import Path
from typing import Iterable, Mapping

from .secrets import SecretsError, SecretStore, check_private
from .subjects import SubjectRecord

KEY_BYTES = 32  # a 256-bit key: 32 raw bytes or 64 hex characters, nothing else
KEY_HEX_CHARS = 2 * KEY_BYTES
MAPPING_FILE = "pseudonym_mapping.json"
SUBJECTS_FILE = "subjects.json"
_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"  # no 0/o, 1/l/i, u: labels survive reading aloud


class PseudonymError(ValueError):
    """The pseudonym configuration or mapping is inconsistent."""

    stops_the_step = True  # deidflow.batch: a failed step, not a withheld subject


def load_key(cfg: Mapping) -> bytes:
    """Return the study key from `pseudonym.key_file` or the environment variable `pseudonym.key_env`.

    A key is exactly 64 hex characters or exactly 32 raw bytes: anything else (a hex key with a character lost in
    copying, a pass phrase) is refused, because it would silently give every subject other pseudonyms.
    """
    pcfg = cfg["pseudonym"] if "pseudonym" in cfg else cfg
    key_file, key_env = pcfg.get("key_file"), pcfg.get("key_env")
    if key_file:
        path = Path(key_file)
        if path.exists() and not path.is_file():
            raise SecretsError(f"pseudonym key file {path} is not a regular file (a folder or device?)")
        if not path.is_file():
            raise SecretsError(
                f"pseudonym key file {path} not found: create one with `make key` "
                f"(or `python scripts/make_key.py {path}`) and keep it outside the release"
            )
        check_private(path)
        try:
            raw = path.read_bytes()
        except PermissionError:
            raise SecretsError(f"pseudonym key file {path} is not readable by this user") from None
        source = f"pseudonym.key_file ({path})"
    elif key_env and os.environ.get(key_env):
        raw, source = os.environ[key_env].encode(), f"${key_env} (pseudonym.key_env)"
    else:
        raise SecretsError(
            "no pseudonym key: set pseudonym.key_file in the config or export "
            f"{key_env or 'DEIDFLOW_KEY'} ({KEY_HEX_CHARS} hex characters, e.g. from `python scripts/make_key.py`)"
        )
    return _decode_key(raw, source)


def _decode_key(raw: bytes, source: str) -> bytes:
    """64 hex characters (surrounding whitespace ignored) or exactly 32 raw bytes; anything else is refused."""
    text = raw.strip()
    hexed = bool(text) and all(c in b"0123456789abcdefABCDEF" for c in text)
    if hexed and len(text) == KEY_HEX_CHARS:
        return bytes.fromhex(text.decode("ascii"))
    if len(raw) == KEY_BYTES and not hexed:  # 32 hex characters are a 128-bit hex key, not 32 raw bytes: refused
        return raw
    if hexed:
        raise SecretsError(f"pseudonym key from {source} has {len(text)} hex characters, not {KEY_HEX_CHARS}: a "
                           "character was lost or added (a different key would give every subject other pseudonyms); "
                           "restore the key or make a new one with `python scripts/make_key.py`")
    raise SecretsError(f"pseudonym key from {source} is {len(text)} bytes, too short or not a key: use exactly "
                       f"{KEY_HEX_CHARS} hex characters or {KEY_BYTES} raw bytes (`python scripts/make_key.py PATH` "
                       "writes one)")


def derive_key(key: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose (pseudonyms, date shifts, UIDs, table hashing), so no two uses share a key."""
    return hmac.new(key, f"deidflow/{purpose}".encode(), hashlib.sha256).digest()


def new_key() -> str:
    """A fresh 256-bit key as hex."""
    return pysecrets.token_hex(32)


def _encode(digest: bytes, length: int) -> str:
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[rem])
    return "".join(chars)


def hmac_label(key: bytes, namespace: str, value: str, length: int) -> str:
    """Keyed, deterministic label: the same key and value give the same label at every site."""
    digest = hmac.new(derive_key(key, namespace), value.encode("utf-8"), hashlib.sha256).digest()
    return _encode(digest, length)


def random_label(length: int) -> str:
    return "".join(pysecrets.choice(_ALPHABET) for _ in range(length))


def date_shift(key: bytes, original: str, low: int, high: int, whole_weeks: bool) -> int:
    """A per-subject shift in [low, high] days (never 0), derived from the key so reruns agree."""
    digest = hmac.new(derive_key(key, "date-shift"), original.encode("utf-8"), hashlib.sha256).digest()
    choices = [d for d in range(low, high + 1) if d != 0 and (not whole_weeks or d % 7 == 0)]
    if not choices:
        raise PseudonymError(f"dates.shift_days [{low}, {high}] leaves no non-zero shift (whole_weeks={whole_weeks})")
    return choices[int.from_bytes(digest[:8], "big") % len(choices)]


def read_mapping_table(path: str | os.PathLike) -> dict[str, str]:
    """A user mapping table (TSV or CSV with columns original, pseudonym)."""
    path = Path(path)
    if not path.is_file():
        raise PseudonymError(f"pseudonym.mapping_table {path} not found")
    delimiter = "\t" if path.suffix in (".tsv", ".txt") else ","
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter=delimiter))
    if not rows or not {"original", "pseudonym"} <= set(rows[0]):
        raise PseudonymError(f"{path}: needs the columns 'original' and 'pseudonym'")
    mapping = {_strip(r["original"], "sub-"): _strip(r["pseudonym"], "sub-") for r in rows}
    for pseudo in mapping.values():
        if not pseudo.isalnum():
            raise PseudonymError(f"{path}: pseudonym {pseudo!r} is not alphanumeric (BIDS labels must be)")
    return mapping


def _strip(label: str, prefix: str) -> str:
    label = label.strip()
    return label[len(prefix):] if label.startswith(prefix) else label


def build_subjects(
    subjects: Mapping[str, Iterable[str]],
    cfg: Mapping,
    key: bytes,
    store: SecretStore,
) -> dict[str, SubjectRecord]:
    """Assign pseudonyms, session pseudonyms and date shifts to {original label: session labels}.

    The random method keeps its mapping in the secrets store and extends it for new subjects, so reruns and later
    batches reuse every earlier pseudonym.
    """
    pcfg, dcfg = cfg["pseudonym"], cfg["dates"]
    method, length = pcfg["method"], int(pcfg["length"])
    low, high = dcfg["shift_days"]
    stored = store.read_json(MAPPING_FILE) if store.exists(MAPPING_FILE) else {"subjects": {}, "sessions": {}, "shifts": {}}
    if method == "table":
        table = read_mapping_table(pcfg["mapping_table"])
        missing = sorted(set(subjects) - set(table))
        if missing:
            raise PseudonymError(
                f"pseudonym.mapping_table {pcfg['mapping_table']} has no row for {len(missing)} subject(s); "
                "add them (labels not shown here to keep logs free of identifiers)"
            )
    changed = False
    records: dict[str, SubjectRecord] = {}
    for original in sorted(subjects):
        if method == "hmac":
            pseudo = hmac_label(key, "subject", original, length)
        elif method == "random":
            pseudo = stored["subjects"].get(original)
            if pseudo is None:
                pseudo = random_label(length)
                stored["subjects"][original] = pseudo
                changed = True
        elif method == "table":
            pseudo = table[original]
        else:
            raise PseudonymError(f"pseudonym.method {method!r}: use hmac, random or table")
        sessions = {}
        for ses in sorted(subjects[original]):
            if pcfg.get("sessions", "pseudonym") == "keep":
                sessions[ses] = ses
            elif method == "random":
                skey = f"{original}/{ses}"
                if skey not in stored["sessions"]:
                    stored["sessions"][skey] = random_label(max(4, length // 2))
                    changed = True
                sessions[ses] = stored["sessions"][skey]
            else:
                sessions[ses] = hmac_label(key, "session", f"{original}/{ses}", max(4, length // 2))
        if original in stored["shifts"]:
            shift = int(stored["shifts"][original])
        else:
            shift = date_shift(key, original, int(low), int(high), bool(dcfg.get("whole_weeks", False)))
            if method != "hmac":  # hmac shifts are re-derivable from the key; others must be stored
                stored["shifts"][original] = shift
                changed = True
        records[pseudo] = SubjectRecord(original, pseudo, shift, sessions)
    _check_unique(records, subjects)
    if changed:
        store.write_json(MAPPING_FILE, stored)
    return records


def _check_unique(records: Mapping[str, SubjectRecord], subjects: Mapping[str, Iterable[str]]) -> None:
    if len(records) != len(subjects):
        raise PseudonymError(
            "two subjects received the same pseudonym: raise pseudonym.length (collisions are detected, never merged)"
        )
    originals = set(subjects)
    for record in records.values():
        if record.pseudonym in originals:
            raise PseudonymError("a pseudonym equals an original subject label: change pseudonym.length or the key")
        if len(set(record.sessions.values())) != len(record.sessions):
            raise PseudonymError("two sessions of one subject received the same pseudonym: raise pseudonym.length")


def pseudonymize_study(bids_dir: str | os.PathLike, cfg: Mapping) -> dict[str, SubjectRecord]:
    """Discover the study's subjects and sessions and assign their pseudonyms and date shifts."""
    from .discovery import discover

    store = SecretStore(cfg["secrets_dir"], release_dir=cfg["release_dir"])
    return build_subjects(discover(bids_dir).sessions, cfg, load_key(cfg), store)
