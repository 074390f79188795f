"""Pseudonyms: stable, keyed, collision-free; the random and table methods; date shifts; key errors."""

import os

import pytest

from deidflow.pseudonyms import (
    MAPPING_FILE,
    PseudonymError,
    build_subjects,
    date_shift,
    hmac_label,
    load_key,
    read_mapping_table,
)
from deidflow.secrets import SecretsError, SecretStore

KEY = bytes(range(32))
CFG = {"pseudonym": {"method": "hmac", "length": 10, "sessions": "pseudonym"},
       "dates": {"shift_days": [-30, 30], "whole_weeks": False}}


def test_hmac_labels_are_stable_keyed_and_alphanumeric():
    a = hmac_label(KEY, "subject", "CH1234", 10)
    assert a == hmac_label(KEY, "subject", "CH1234", 10)
    assert a != hmac_label(bytes(32), "subject", "CH1234", 10)
    assert a != hmac_label(KEY, "session", "CH1234", 10)
    assert a.isalnum() and a.islower() and len(a) == 10


def test_no_collisions_on_100k_ids():
    labels = {hmac_label(KEY, "subject", f"P{i:06d}", 10) for i in range(100_000)}
    assert len(labels) == 100_000


def test_build_subjects_hmac(tmp_path):
    store = SecretStore(tmp_path / "s")
    records = build_subjects({"CH1": {"01", "02"}, "CH2": set()}, CFG, KEY, store)
    assert len(records) == 2
    one = next(r for r in records.values() if r.original == "CH1")
    assert set(one.sessions) == {"01", "02"} and len(set(one.sessions.values())) == 2
    assert -30 <= one.date_shift_days <= 30 and one.date_shift_days != 0
    again = build_subjects({"CH1": {"01", "02"}, "CH2": set()}, CFG, KEY, store)
    assert again == records


def test_random_method_reuses_stored_mapping(tmp_path):
    store = SecretStore(tmp_path / "s")
    cfg = {**CFG, "pseudonym": {**CFG["pseudonym"], "method": "random"}}
    first = build_subjects({"A1": set(), "B2": set()}, cfg, KEY, store)
    assert store.exists(MAPPING_FILE)
    assert oct(store.file(MAPPING_FILE).stat().st_mode & 0o777) == "0o600"
    later = build_subjects({"A1": set(), "B2": set(), "C3": set()}, cfg, KEY, store)
    assert {r.original: r.pseudonym for r in first.values()}.items() <= {
        r.original: r.pseudonym for r in later.values()}.items()
    assert len(later) == 3


def test_table_method(tmp_path):
    table = tmp_path / "map.tsv"
    table.write_text("original\tpseudonym\nsub-A1\tX9\nB2\tY8\n")
    cfg = {**CFG, "pseudonym": {**CFG["pseudonym"], "method": "table", "mapping_table": str(table)}}
    records = build_subjects({"A1": set(), "B2": set()}, cfg, KEY, SecretStore(tmp_path / "s"))
    assert sorted(records) == ["X9", "Y8"]
    with pytest.raises(PseudonymError, match="no row for 1 subject"):
        build_subjects({"A1": set(), "Z3": set()}, cfg, KEY, SecretStore(tmp_path / "s"))
    bad = tmp_path / "bad.tsv"
    bad.write_text("original\tpseudonym\nA1\tnot-ok\n")
    with pytest.raises(PseudonymError, match="not alphanumeric"):
        read_mapping_table(bad)


def test_date_shift_window_and_weeks():
    shifts = {date_shift(KEY, f"S{i}", -14, 14, whole_weeks=True) for i in range(200)}
    assert shifts <= {-14, -7, 7, 14} and len(shifts) == 4


def test_missing_key_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("DEIDFLOW_KEY", raising=False)
    with pytest.raises(SecretsError, match="not found"):
        load_key({"pseudonym": {"key_file": str(tmp_path / "nope.key")}})
    with pytest.raises(SecretsError, match="no pseudonym key"):
        load_key({"pseudonym": {"key_file": None, "key_env": "DEIDFLOW_KEY"}})


def test_unsafe_or_short_key_is_refused(tmp_path, monkeypatch):
    key = tmp_path / "k.key"
    key.write_text("00" * 32)
    key.chmod(0o644)
    with pytest.raises(SecretsError, match="readable by group or others"):
        load_key({"pseudonym": {"key_file": str(key)}})
    monkeypatch.setenv("DEIDFLOW_KEY", "abcd")
    with pytest.raises(SecretsError, match="has 4 hex characters, not 64"):
        load_key({"pseudonym": {"key_file": None, "key_env": "DEIDFLOW_KEY"}})
    monkeypatch.setenv("DEIDFLOW_KEY", "ab" * 32)
    assert load_key({"pseudonym": {"key_file": None, "key_env": "DEIDFLOW_KEY"}}) == bytes([0xAB] * 32)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file; permission errors cannot be provoked")
def test_unreadable_key(tmp_path):
    key = tmp_path / "k.key"
    key.write_text("00" * 32)
    key.chmod(0o000)
    with pytest.raises(SecretsError, match="not readable"):
        load_key({"pseudonym": {"key_file": str(key)}})


def test_key_that_is_not_a_file_or_empty(tmp_path):
    (tmp_path / "dir.key").mkdir()
    with pytest.raises(SecretsError, match="not a regular file"):
        load_key({"pseudonym": {"key_file": str(tmp_path / "dir.key")}})
    empty = tmp_path / "empty.key"
    empty.write_bytes(b"")
    empty.chmod(0o600)
    with pytest.raises(SecretsError, match="too short"):
        load_key({"pseudonym": {"key_file": str(empty)}})


@pytest.mark.parametrize("text, message", [
    ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeef", "has 63 hex characters, not 64"),
    ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0", "has 65 hex characters, not 64"),
    ("0011223344556677", "has 16 hex characters, not 64"),
    ("00112233445566778899aabbccddeeff", "has 32 hex characters, not 64"),  # once read as a 128-bit key
    ("correct horse battery staple", "too short or not a key"),
])
def test_a_key_that_is_not_exactly_256_bits_is_refused(tmp_path, text, message):
    key = tmp_path / "k.key"
    key.write_text(text + ("\n" if len(text) != 32 else ""))  # 32 characters alone are 32 bytes
    key.chmod(0o600)
    with pytest.raises(SecretsError, match=message) as err:
        load_key({"pseudonym": {"key_file": str(key)}})
    assert "pseudonym.key_file" in str(err.value) and str(key) in str(err.value)
    assert text not in str(err.value)  # the key itself is never printed


def test_exact_keys_are_accepted(tmp_path):
    hexed, raw = tmp_path / "hex.key", tmp_path / "raw.key"
    hexed.write_text("AB" * 32 + "\n")
    raw.write_bytes(bytes(range(32)))
    for path in (hexed, raw):
        path.chmod(0o600)
    assert load_key({"pseudonym": {"key_file": str(hexed)}}) == bytes([0xAB] * 32)
    assert load_key({"pseudonym": {"key_file": str(raw)}}) == bytes(range(32))


def test_make_key_creates_a_private_folder_and_leaves_an_existing_one(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    script = str(ROOT / "scripts" / "make_key.py")
    subprocess.run([sys.executable, script, str(tmp_path / "new" / "k.key")], check=True, capture_output=True)
    assert oct((tmp_path / "new").stat().st_mode & 0o777) == "0o700"
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    out = subprocess.run([sys.executable, script, str(shared / "k.key")], check=True, capture_output=True, text=True)
    assert oct(shared.stat().st_mode & 0o777) == "0o755"  # never changed silently
    assert "can be listed by others" in out.stdout
    assert oct((shared / "k.key").stat().st_mode & 0o777) == "0o600"
    assert len(load_key({"pseudonym": {"key_file": str(shared / "k.key")}})) == 32
