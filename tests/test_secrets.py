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


@pytest.mark.parametrize("loose", ["dir", "file"])
def test_a_store_others_can_read_is_refused_at_start_with_the_fix(tmp_path, loose):
    store = SecretStore(tmp_path / "secrets")
    store.write_json("subjects.json", {"a": 1})
    if loose == "dir":
        store.path.chmod(0o755)
        fix = f"chmod 700 {store.path}"
    else:
        store.file("subjects.json").chmod(0o644)
        fix = f"chmod 600 {store.file('subjects.json')}"
    with pytest.raises(SecretsError, match="readable by group or others") as err:
        store.check_private()
    assert fix in str(err.value) and "secrets_dir" in str(err.value)


def test_a_missing_store_is_created_private(tmp_path):
    store = SecretStore(tmp_path / "new" / "secrets")
    store.check_private()
    assert oct(store.path.stat().st_mode & 0o777) == "0o700"
