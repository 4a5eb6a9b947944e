"""Password hashing (argon2id) and device tokens."""

from __future__ import annotations

import hashlib
import random
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from docshelf.domain.errors import InvalidInput, TooManyRequests
from docshelf.i18n import N_, tr

BUSY = N_("The server is checking many sign-ins at the moment; try again in a few seconds.")


class Passwords:
    """argon2id hashing, with at most ``max_checks`` password checks at once per process.

    Each check costs ``memory_kib`` of memory and a core for a while; without a cap a flood
    of sign-ins (no account needed) would take every worker thread and a lot of memory,
    and every signed-in client's request would wait behind it. Beyond the cap a sign-in is
    refused at once with 429 and a Retry-After, holding nothing.
    """

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, max_checks: int = 4) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=2)
        # Verified against when the login is unknown so that both failures take as long.
        self._dummy = self._hasher.hash(secrets.token_hex(16))
        self._checks = threading.BoundedSemaphore(max_checks)

    def hash(self, password: str) -> str:
        if len(password) < 4:
            raise InvalidInput(tr("The password is too short; use at least 4 characters."))
        if len(password) > 1024:
            raise InvalidInput(tr("The password is too long; use at most 1024 characters."))
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if not self._checks.acquire(blocking=False):
            raise TooManyRequests(tr(BUSY), retry_after=random.randint(1, 5))
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerificationError, InvalidHashError):
            return False
        finally:
            self._checks.release()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
