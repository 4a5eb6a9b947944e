"""The device token: in the system keyring when there is one, else in a private file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import keyring
import keyring.core
import pytest
from jaraco.classes.properties import classproperty
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked, PasswordDeleteError

from docshelf.client.credentials import KEYRING_ENV, CredentialStore
from docshelf.client.errors import CredentialsError, InsecureCredentials
from docshelf.client.paths import Home

SERVER = "https://docs.example.org"


class InMemoryKeyring(KeyringBackend):
    @classproperty
    def priority(cls) -> float:
        # Not viable for keyring's own detection: every subclass is registered globally,
        # and only the tests that set it on purpose may get it.
        raise RuntimeError("test backend, set explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class LockedKeyring(InMemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the keyring is locked")


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


@pytest.fixture
def system_keyring(monkeypatch: pytest.MonkeyPatch) -> InMemoryKeyring:
    monkeypatch.delenv(KEYRING_ENV, raising=False)
    # monkeypatch restores keyring's global choice after the test.
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def file_store(home: Home, monkeypatch: pytest.MonkeyPatch) -> CredentialStore:
    monkeypatch.setenv(KEYRING_ENV, "0")
    return CredentialStore(home)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- the file backend -------------------------------------------------------------------


def test_file_round_trip(file_store: CredentialStore, home: Home) -> None:
    assert file_store.load(SERVER, "anna") is None
    file_store.save(SERVER, "anna", "token-a")
    file_store.save(SERVER, "ben", "token-b")
    assert file_store.load(SERVER, "anna") == "token-a"
    assert CredentialStore(home).load(SERVER + "/", "ben") == "token-b"
    assert json.loads(home.credentials_file.read_text()) == {
        f"anna@{SERVER}": "token-a",
        f"ben@{SERVER}": "token-b",
    }


def test_the_file_is_private_from_the_start(file_store: CredentialStore, home: Home) -> None:
    file_store.save(SERVER, "anna", "token-a")
    assert mode(home.credentials_file) == 0o600
    assert mode(home.root) == 0o700
    assert [p.name for p in home.root.iterdir() if p.name.endswith(".tmp")] == []
    assert file_store.backend == f"file {home.credentials_file}"


def test_a_file_others_can_read_is_refused(file_store: CredentialStore, home: Home) -> None:
    file_store.save(SERVER, "anna", "token-a")
    home.credentials_file.chmod(0o644)
    with pytest.raises(InsecureCredentials, match="chmod 600") as refused:
        file_store.load(SERVER, "anna")
    assert "sign in again" in refused.value.message

    home.credentials_file.chmod(0o600)
    assert file_store.load(SERVER, "anna") == "token-a"


def test_signing_in_again_replaces_an_exposed_file(file_store: CredentialStore, home: Home) -> None:
    file_store.save(SERVER, "anna", "token-a")
    home.credentials_file.chmod(0o640)
    file_store.save(SERVER, "ben", "token-b")
    assert mode(home.credentials_file) == 0o600
    assert file_store.load(SERVER, "ben") == "token-b"
    assert file_store.load(SERVER, "anna") is None  # it sat in a readable file


def test_delete_removes_one_token_and_the_file_with_the_last(
    file_store: CredentialStore, home: Home
) -> None:
    file_store.save(SERVER, "anna", "token-a")
    file_store.save(SERVER, "ben", "token-b")
    file_store.delete(SERVER, "anna")
    assert file_store.load(SERVER, "anna") is None
    assert file_store.load(SERVER, "ben") == "token-b"
    file_store.delete(SERVER, "ben")
    assert not home.credentials_file.exists()
    file_store.delete(SERVER, "ben")  # signing out twice is fine


def test_a_damaged_file_says_what_to_do(file_store: CredentialStore, home: Home) -> None:
    home.ensure()
    home.credentials_file.write_text("{not json")
    home.credentials_file.chmod(0o600)
    with pytest.raises(CredentialsError, match="sign in again"):
        file_store.load(SERVER, "anna")


def test_a_deeply_nested_file_is_damaged_too(file_store: CredentialStore, home: Home) -> None:
    home.ensure()
    home.credentials_file.write_text("{" + '"a": {' * 100_000)
    home.credentials_file.chmod(0o600)
    with pytest.raises(CredentialsError, match=r"is damaged\. Delete it and sign in again"):
        file_store.load(SERVER, "anna")


# --- choosing the backend ---------------------------------------------------------------


def test_a_real_keyring_keeps_the_token_out_of_the_home(
    system_keyring: InMemoryKeyring, home: Home
) -> None:
    store = CredentialStore(home)
    store.save(SERVER, "anna", "token-a")
    assert system_keyring.secrets == {("docshelf", f"anna@{SERVER}"): "token-a"}
    assert store.load(SERVER, "anna") == "token-a"
    assert not home.credentials_file.exists()
    assert store.backend == f"system keyring ({InMemoryKeyring.name})"

    store.delete(SERVER, "anna")
    assert system_keyring.secrets == {}
    store.delete(SERVER, "anna")


def test_the_environment_switch_forces_the_file(
    system_keyring: InMemoryKeyring, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYRING_ENV, "0")
    store = CredentialStore(home)
    store.save(SERVER, "anna", "token-a")
    assert system_keyring.secrets == {}
    assert home.credentials_file.exists()
    assert store.backend.startswith("file ")


@pytest.mark.parametrize("unusable", [fail.Keyring, null.Keyring])
def test_without_a_real_keyring_the_file_is_used(
    unusable: type[KeyringBackend], home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYRING_ENV, raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    keyring.set_keyring(unusable())
    store = CredentialStore(home)
    store.save(SERVER, "anna", "token-a")
    assert store.backend == f"file {home.credentials_file}"
    assert store.load(SERVER, "anna") == "token-a"


def test_a_chainer_with_nothing_to_chain_means_the_file(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYRING_ENV, raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(chainer.ChainerBackend())
    assert CredentialStore(home).backend == f"file {home.credentials_file}"


def test_test_backends_are_never_picked_by_keyring_itself() -> None:
    detected = {type(backend) for backend in keyring.backend.get_all_keyring()}
    assert not detected & {InMemoryKeyring, LockedKeyring}


def test_a_locked_keyring_says_what_to_do(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEYRING_ENV, raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(CredentialsError, match=f"Unlock the keyring.*{KEYRING_ENV}=0"):
        CredentialStore(home).save(SERVER, "anna", "token-a")


def test_a_token_in_the_file_is_read_without_looking_for_a_keyring(
    file_store: CredentialStore, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    file_store.save(SERVER, "anna", "token-a")
    # A command that finds its token in the file does not pay for keyring's detection.
    monkeypatch.delenv(KEYRING_ENV, raising=False)
    store = CredentialStore(home)

    def no_keyring() -> None:
        raise AssertionError("looked for a keyring")

    monkeypatch.setattr(store, "_keyring", no_keyring)
    assert store.load(SERVER, "anna") == "token-a"


def test_a_keyring_found_later_takes_the_token_out_of_the_file(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYRING_ENV, "0")
    CredentialStore(home).save(SERVER, "anna", "old-token")
    CredentialStore(home).save(SERVER, "ben", "ben-token")
    monkeypatch.delenv(KEYRING_ENV)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    store = CredentialStore(home)
    store.save(SERVER, "anna", "new-token")
    # The file is read first: a stale token left there would win over the keyring's.
    assert store.load(SERVER, "anna") == "new-token"
    assert json.loads(home.credentials_file.read_text()) == {f"ben@{SERVER}": "ben-token"}
    store.delete(SERVER, "ben")
    assert not home.credentials_file.exists()
    assert store.load(SERVER, "ben") is None
