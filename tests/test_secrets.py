"""The secrets store: owner-only modes, atomic writes, never inside the release."""

import pytest

from deidflow.secrets import SecretsError, SecretStore


def test_modes(tmp_path):
    store = SecretStore(tmp_path / "secrets")
    path = store.write_json("subjects.json", {"a": 1})
    assert oct(store.path.stat().st_mode & 0o777) == "0o700"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert store.read_json("subjects.json") == {"a": 1}
    assert not list(store.path.glob(".*tmp"))


def test_existing_directory_is_tightened(tmp_path):
    (tmp_path / "secrets").mkdir(mode=0o755)
    SecretStore(tmp_path / "secrets").ensure()
    assert oct((tmp_path / "secrets").stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("secrets, release", [("out/secrets", "out/secrets/release"), ("out/release/s", "out/release"),
                                              ("out/x", "out/x")])
def test_secrets_inside_release_is_refused(tmp_path, secrets, release):
    with pytest.raises(SecretsError, match="overlaps release_dir"):
        SecretStore(tmp_path / secrets, release_dir=tmp_path / release)


def test_missing_secret_names_the_file(tmp_path):
    with pytest.raises(SecretsError, match="subjects.json: secret file not found"):
        SecretStore(tmp_path).read_bytes("subjects.json")
