"""Where the device token lives: the system keyring, else a file only the user can read.

The keyring is used when the ``keyring`` package finds a real backend (macOS
Keychain, Windows Credential Locker, Secret Service). Headless machines and tests
set ``DOCSHELF_KEYRING=0`` to use the file ``<home>/credentials`` instead: JSON
mapping ``"<login>@<server_url>"`` to the token, created 0600 and replaced
atomically, and refused when others can read it.

The backend is chosen on first use, not in the constructor: asking the keyring
which backend it has may talk to D-Bus.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from docshelf.client.errors import CredentialsError, InsecureCredentials
from docshelf.client.paths import Home
from docshelf.domain.json_text import parse_json
from docshelf.i18n import N_, tr

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

__all__ = ["KEYRING_ENV", "CredentialStore"]

KEYRING_ENV = "DOCSHELF_KEYRING"


class CredentialStore:
    def __init__(self, home: Home, service: str = "docshelf") -> None:
        self.home = home
        self.service = service
        self._resolved: KeyringBackend | None = None
        self._chosen = False

    @property
    def backend(self) -> str:
        keyring = self._keyring()
        if keyring is None:
            return tr("file {path}", path=self.home.credentials_file)
        return tr("system keyring ({name})", name=keyring.name)

    def save(self, server_url: str, login: str, token: str) -> None:
        key = _key(server_url, login)
        keyring = self._keyring()
        if keyring is not None:
            with _keyring_errors("save"):
                keyring.set_password(self.service, key, token)
            self._forget_in_file(key)  # the file is read first (load): no stale token there
            return
        tokens = self._read_for_update()
        tokens[key] = token
        self._write(tokens)

    def load(self, server_url: str, login: str) -> str | None:
        key = _key(server_url, login)
        # A token saved in the file is there because no keyring was at hand when it was
        # saved: taken without looking for one, which costs a command a fifth of a second
        # (keyring loads its backends' plugins).
        try:
            saved = self._read().get(key)
        except CredentialsError:
            saved = None  # reported below if the file is where the token must come from
        if saved is not None:
            return saved
        keyring = self._keyring()
        if keyring is not None:
            with _keyring_errors("read"):
                token: str | None = keyring.get_password(self.service, key)
            return token
        return self._read().get(key)

    def delete(self, server_url: str, login: str) -> None:
        key = _key(server_url, login)
        keyring = self._keyring()
        if keyring is not None:
            self._delete_from_keyring(keyring, key)
        self._forget_in_file(key)

    def _forget_in_file(self, key: str) -> None:
        if not self.home.credentials_file.exists():
            return
        tokens = self._read_for_update()
        if key not in tokens:
            return
        tokens.pop(key)
        if tokens:
            self._write(tokens)
        else:
            self.home.credentials_file.unlink(missing_ok=True)

    def _keyring(self) -> KeyringBackend | None:
        if not self._chosen:
            self._resolved = _system_keyring()
            self._chosen = True
        return self._resolved

    def _delete_from_keyring(self, keyring: KeyringBackend, key: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(self.service, key)
        except PasswordDeleteError:
            pass  # nothing saved: signing out twice is fine
        except Exception as exc:
            raise _keyring_failed("delete", exc) from exc

    def _read(self) -> dict[str, str]:
        path = self.home.credentials_file
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        with os.fdopen(fd, "rb") as file:
            # fstat, not stat: checks the very file we read, not one swapped in meanwhile.
            _check_private(path, os.fstat(fd).st_mode)
            raw = file.read()
        return _parse(path, raw)

    def _read_for_update(self) -> dict[str, str]:
        try:
            return self._read()
        except CredentialsError:
            # Signing in again is the documented fix: tokens from an exposed or damaged
            # file are dropped, and the rewrite makes the file private again.
            return {}

    def _write(self, tokens: dict[str, str]) -> None:
        path = self.home.credentials_file
        self.home.ensure()
        import secrets  # here: reading the token needs none of it

        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(tokens, file, indent=2, sort_keys=True)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CredentialsError(
                tr(
                    "Could not save the sign-in to {path}: {reason}. Check that the docshelf"
                    " folder belongs to you and the disk is not full.",
                    path=path,
                    reason=exc.strerror or exc,
                )
            ) from exc


def _key(server_url: str, login: str) -> str:
    # "https://x/" and "https://x" are one server.
    return f"{login}@{server_url.rstrip('/')}"


def _system_keyring() -> KeyringBackend | None:
    """The OS keyring if there is a real one, else None (use the file)."""
    if os.environ.get(KEYRING_ENV, "").strip() == "0":
        return None
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception:
        return None  # a broken keyring configuration must not stop signing in
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def _check_private(path: Path, mode: int) -> None:
    # Windows has no such mode bits; there the keyring is always available anyway.
    if os.name != "nt" and mode & 0o077:
        raise InsecureCredentials(
            tr(
                "{path} can be read by other users, so docshelf will not use it. Run"
                " `chmod 600 {path}` if only you ever had access, or sign in again.",
                path=path,
            )
        )


def _parse(path: Path, raw: bytes) -> dict[str, str]:
    try:
        tokens = parse_json(raw, str(path))
    except ValueError:  # not UTF-8, not JSON, or nested too deep: damaged all the same
        tokens = None
    if not isinstance(tokens, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tokens.items()
    ):
        raise CredentialsError(tr("{path} is damaged. Delete it and sign in again.", path=path))
    return tokens


@contextmanager
def _keyring_errors(action: str) -> Iterator[None]:
    """Turns the keyring's own errors into one that says what to do."""
    try:
        yield
    except Exception as exc:
        raise _keyring_failed(action, exc) from exc


# By action: one whole sentence each (word order differs by language).
_KEYRING_COULD_NOT = {
    "save": N_(
        "The system keyring could not save the docshelf sign-in: {error}. Unlock the keyring"
        " and try again, or set {variable}=0 to keep the sign-in in a private file instead,"
        " and sign in again."
    ),
    "read": N_(
        "The system keyring could not read the docshelf sign-in: {error}. Unlock the keyring"
        " and try again, or set {variable}=0 to keep the sign-in in a private file instead,"
        " and sign in again."
    ),
    "delete": N_(
        "The system keyring could not delete the docshelf sign-in: {error}. Unlock the"
        " keyring and try again, or set {variable}=0 to keep the sign-in in a private file"
        " instead, and sign in again."
    ),
}


def _keyring_failed(action: str, exc: Exception) -> CredentialsError:
    return CredentialsError(tr(_KEYRING_COULD_NOT[action], error=exc, variable=KEYRING_ENV))
