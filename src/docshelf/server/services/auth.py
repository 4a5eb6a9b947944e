"""Signing in with a password, device tokens, and slowing down password guessing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor, normalize_login
from docshelf.domain.errors import InvalidInput, NotAuthenticated, TooManyRequests
from docshelf.domain.ids import new_id
from docshelf.server.db.engine import Database
from docshelf.server.db.models import Device, LoginThrottle, User, utcnow
from docshelf.server.services.accounts import actor_of
from docshelf.server.services.passwords import Passwords, new_token, token_hash

WRONG_LOGIN = "Login or password is wrong."
SIGNED_OUT = "You are signed out: this device's sign-in is unknown or was revoked. Sign in again."
# Don't write "last seen" on every poll; once a minute is precise enough for the dashboard.
_SEEN_PRECISION = timedelta(seconds=60)


class LoginFailed(NotAuthenticated):
    code = "login_failed"
    default_title = "Sign-in failed"


@dataclass(frozen=True)
class Throttle:
    free_failures: int
    max_lockout_seconds: int

    def lockout(self, failures: int) -> int:
        """Seconds to wait after ``failures`` consecutive failures: doubling, capped."""
        over = failures - self.free_failures
        if over < 0:
            return 0
        return int(min(2**over, self.max_lockout_seconds))


@dataclass(frozen=True)
class Caller:
    actor: Actor
    device_id: str


def _throttle_key(login: str) -> str:
    return f"login:{login.strip().lower()[:180]}"


def _check_throttle(session: Session, key: str, now: datetime) -> None:
    row = session.get(LoginThrottle, key)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        wait = max(1, int((row.locked_until - now).total_seconds()) + 1)
        raise TooManyRequests(
            f"Too many failed sign-ins for this login. Try again in {wait} seconds.",
            retry_after=wait,
        )


def _record_failure(db: Database, key: str, throttle: Throttle) -> None:
    now = utcnow()
    with db.write() as session:
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0)
            session.add(row)
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
        wait = throttle.lockout(row.failures)
        row.locked_until = now + timedelta(seconds=wait) if wait else None


def login(
    db: Database,
    passwords: Passwords,
    throttle: Throttle,
    *,
    login_name: str,
    password: str,
    device_name: str,
    client_version: str | None = None,
) -> tuple[str, Device, User]:
    """Check a password and register a device; returns the new token (shown only once)."""
    key = _throttle_key(login_name)
    with db.read() as session:
        _check_throttle(session, key, utcnow())
        try:
            user = session.scalar(select(User).where(User.login == normalize_login(login_name)))
        except InvalidInput:
            user = None
    # Verify even for an unknown login so that the answer takes as long either way.
    ok = passwords.verify(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        _record_failure(db, key, throttle)
        raise LoginFailed(WRONG_LOGIN)
    token = new_token()
    with db.write() as session:
        throttled = session.get(LoginThrottle, key)
        if throttled is not None:
            session.delete(throttled)
        device = Device(
            id=new_id(),
            user_id=user.id,
            name=device_name,
            token_hash=token_hash(token),
            client_version=client_version,
            last_seen_at=utcnow(),
        )
        session.add(device)
    return token, device, user


def authenticate(db: Database, token: str) -> tuple[Caller, User]:
    now = utcnow()
    with db.read() as session:
        device = session.scalar(select(Device).where(Device.token_hash == token_hash(token)))
        if device is None or device.revoked_at is not None:
            raise NotAuthenticated(SIGNED_OUT)
        user = session.get(User, device.user_id)
        if user is None or not user.active:
            raise NotAuthenticated("Your account is deactivated; ask your administrator.")
        caller = Caller(actor=actor_of(session, user), device_id=device.id)
        stale = device.last_seen_at is None or now - device.last_seen_at > _SEEN_PRECISION
    if stale:
        with db.write() as session:
            row = session.get(Device, caller.device_id)
            if row is not None:
                row.last_seen_at = now
    return caller, user


def revoke(session: Session, device: Device) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
