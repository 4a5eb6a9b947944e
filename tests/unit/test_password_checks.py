"""Password checks are capped per process: a flood of sign-ins holds no worker thread."""

from __future__ import annotations

import threading

import pytest

from docshelf.domain.errors import TooManyRequests
from docshelf.server.services.passwords import Passwords


class _HeldHasher:
    """Stands in for argon2 so the test decides when a check ends."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def verify(self, _stored: str, _password: str) -> bool:
        self.entered.set()
        assert self.release.wait(60), "the test never let the check end"
        return True


def test_a_check_beyond_the_cap_is_refused_at_once_and_the_slot_comes_back() -> None:
    passwords = Passwords(time_cost=1, memory_kib=1024, max_checks=1)
    stored = passwords.hash("secret")
    held = _HeldHasher()
    real = passwords._hasher
    passwords._hasher = held  # type: ignore[assignment]
    results: list[bool] = []
    first = threading.Thread(target=lambda: results.append(passwords.verify(stored, "secret")))
    first.start()
    assert held.entered.wait(60)
    with pytest.raises(TooManyRequests) as refused:
        passwords.verify(stored, "secret")
    assert refused.value.retry_after is not None and 1 <= refused.value.retry_after <= 5
    assert "many sign-ins" in refused.value.message
    held.release.set()
    first.join(60)
    assert results == [True]
    passwords._hasher = real
    assert passwords.verify(stored, "secret")
    assert not passwords.verify(stored, "wrong")


def test_a_failing_check_gives_its_slot_back() -> None:
    passwords = Passwords(time_cost=1, memory_kib=1024, max_checks=1)
    for _ in range(3):
        assert not passwords.verify("not a hash", "x")
    assert passwords.verify(passwords.hash("secret"), "secret")
