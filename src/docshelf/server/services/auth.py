"""Signing in with a password, device tokens, and slowing down password guessing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import BindParameter, Insert, bindparam, case, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor, normalize_login, parse_roles
from docshelf.domain.errors import InvalidInput, NotAuthenticated, TooManyRequests
from docshelf.domain.ids import new_id
from docshelf.i18n import N_, tr
from docshelf.server.db.engine import Database
from docshelf.server.db.models import Device, GroupMember, LoginThrottle, User, utcnow
from docshelf.server.services.passwords import Passwords, new_token, token_hash

WRONG_LOGIN = N_("Login or password is wrong.")
SIGNED_OUT = N_(
    "You are signed out: this device's sign-in is unknown or was revoked. Sign in again."
)
DEACTIVATED = N_("Your account is deactivated; ask your administrator.")
# Don't write "last seen" on every poll; once a minute is precise enough for the dashboard.
_SEEN_PRECISION = timedelta(seconds=60)

# What a device token was issued for: a sync client ("client", the API) or a browser
# session of the web dashboard ("dashboard", its cookie). A token serves only its own kind.
DeviceKind = Literal["client", "dashboard"]


@dataclass(frozen=True)
class Purpose:
    """What a token is being used for, and so which tokens may serve: their kind, and for
    dashboard sessions how long they last (``max_age``) and may sit unused (``max_idle``)."""

    kind: DeviceKind
    max_age: timedelta | None = None
    max_idle: timedelta | None = None

    @property
    def seen_precision(self) -> timedelta:
        # "Last seen" measures idleness: it must be written well within the idle timeout.
        if self.max_idle is None:
            return _SEEN_PRECISION
        return min(_SEEN_PRECISION, self.max_idle / 10)


# Every API path (routes, the quick poll and the quick download before routing).
API = Purpose("client")


def dashboard_purpose(session_hours: float, idle_minutes: float) -> Purpose:
    return Purpose(
        "dashboard",
        max_age=timedelta(hours=session_hours),
        max_idle=timedelta(minutes=idle_minutes),
    )


class LoginFailed(NotAuthenticated):
    code = "login_failed"
    default_title = N_("Sign-in failed")


class SessionExpired(NotAuthenticated):
    """A dashboard session past its lifetime or idle timeout; ``device_id`` to revoke it."""

    code = "session_expired"
    default_title = N_("Session expired")

    def __init__(self, device_id: str) -> None:
        super().__init__("Your sign-in has expired. Sign in again.")
        self.device_id = device_id


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
    # The device row's bookkeeping as this request read it, so that a request can tell
    # without reading the row again whether "last seen" or "last sync" are due.
    last_seen_at: datetime | None = None
    last_sync_at: datetime | None = None
    last_sync_seq: int | None = None
    kind: str = "client"
    created_at: datetime | None = None

    def seen_is_due(self, now: datetime, precision: timedelta = _SEEN_PRECISION) -> bool:
        return self.last_seen_at is None or now - self.last_seen_at > precision


def _throttle_key(login: str) -> str:
    return f"login:{login.strip().lower()[:180]}"


def _claim_attempt(db: Database, key: str, throttle: Throttle) -> None:
    """Count a sign-in attempt as failed before its password is checked, or refuse it while
    the login is locked out.

    Counted up front, in one transaction holding the login's row: simultaneous guesses (on
    this process or any other sharing the database) take their turns at the count, so no
    more than the free failures are ever checked before the lock-out, however many arrive
    at once. A success forgets the count.
    """
    now = utcnow()
    with db.write() as session:
        session.execute(_insert_new(db.dialect, key, now))
        row = session.scalars(
            select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
        ).one()
        if row.locked_until is not None and row.locked_until > now:
            wait = max(1, int((row.locked_until - now).total_seconds()) + 1)
            raise TooManyRequests(
                tr(
                    "Too many failed sign-ins for this login. Try again in {wait} seconds.",
                    wait=wait,
                ),
                retry_after=wait,
            )
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
        wait = throttle.lockout(row.failures)
        row.locked_until = now + timedelta(seconds=wait) if wait else None


def _insert_new(dialect: str, key: str, now: datetime) -> Insert:
    """The login's row with no failures yet, unless it has one already."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(LoginThrottle)
        .values(key=key, failures=0, last_failure_at=now)
        .on_conflict_do_nothing()
    )


def _unclaim(db: Database, key: str) -> None:
    """The attempt was refused before its password was checked: it doesn't count."""
    with db.write() as session:
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )


def login(
    db: Database,
    passwords: Passwords,
    throttle: Throttle,
    *,
    login_name: str,
    password: str,
    device_name: str,
    client_version: str | None = None,
    kind: DeviceKind = "client",
) -> tuple[str, Device, User]:
    """Check a password and register a device; returns the new token (shown only once)."""
    key = _throttle_key(login_name)
    _claim_attempt(db, key, throttle)
    with db.read() as session:
        try:
            user = session.scalar(select(User).where(User.login == normalize_login(login_name)))
        except InvalidInput:
            user = None
    # Verify even for an unknown login so that the answer takes as long either way.
    try:
        ok = passwords.verify(user.password_hash if user else None, password)
    except TooManyRequests:
        _unclaim(db, key)  # the server was busy, the password never looked at
        raise
    if not ok or user is None or not user.active:
        raise LoginFailed(tr(WRONG_LOGIN))
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
            kind=kind,
        )
        session.add(device)
    return token, device, user


# Every request reads this, so it is a plain Core statement built once: the ORM would
# build, cache-key and load entities anew each time, several times the cost of the query.
_devices = Device.__table__
_users = User.__table__
_members = GroupMember.__table__
_TOKEN: BindParameter[str] = bindparam("token_hash")
_KIND: BindParameter[str] = bindparam("kind")
# The caller's groups, direct and every group above them (groups nest), walked by the
# database itself: one round trip however deep the nesting. UNION, not UNION ALL, so that
# even a cycle (which group edits refuse) would end.
_direct_groups = select(_members.c.group_id).where(
    _members.c.user_id
    == select(_devices.c.user_id).where(_devices.c.token_hash == _TOKEN).scalar_subquery()
)
_ancestry = _direct_groups.cte("ancestry", recursive=True)
_ancestry = _ancestry.union(
    select(_members.c.group_id).join(_ancestry, _members.c.member_group_id == _ancestry.c.group_id)
)
_SIGNED_IN = (
    select(
        _devices.c.id,
        _devices.c.revoked_at,
        _devices.c.last_seen_at,
        _devices.c.last_sync_at,
        _devices.c.last_sync_seq,
        _devices.c.kind,
        _devices.c.created_at,
        _users.c.id.label("user_id"),
        _users.c.login,
        _users.c.roles,
        _users.c.active,
        _ancestry.c.group_id,  # one row per group; one with NULL for none
    )
    .join_from(_devices, _users, _users.c.id == _devices.c.user_id)
    .outerjoin(_ancestry, true())
    # A token of another kind is not found at all: refused exactly like an unknown one.
    .where(_devices.c.token_hash == _TOKEN, _devices.c.kind == _KIND)
)


def signed_in(
    session: Session, token: str, purpose: Purpose, now: datetime | None = None
) -> Caller:
    """The caller a device token stands for, read in the caller's transaction, if the token
    may serve ``purpose``: the one place that decides it, for every path.

    Read from the database on every request, never cached: a revoked token or a deactivated
    account fails at once, in every server process sharing the database. A session past
    its lifetime or idle timeout raises SessionExpired (the caller revokes it).
    """
    params = {"token_hash": token_hash(token), "kind": purpose.kind}
    rows = session.execute(_SIGNED_IN, params).all()
    if not rows or rows[0].revoked_at is not None:
        raise NotAuthenticated(tr(SIGNED_OUT))
    row = rows[0]
    if not row.active:
        raise NotAuthenticated(tr(DEACTIVATED))
    now = now or utcnow()
    if purpose.max_age is not None and now - row.created_at > purpose.max_age:
        raise SessionExpired(row.id)
    last_used = row.last_seen_at or row.created_at
    if purpose.max_idle is not None and now - last_used > purpose.max_idle:
        raise SessionExpired(row.id)
    actor = Actor(
        user_id=row.user_id,
        login=row.login,
        roles=parse_roles(row.roles),
        groups=frozenset(r.group_id for r in rows if r.group_id is not None),
    )
    return Caller(
        actor,
        row.id,
        row.last_seen_at,
        row.last_sync_at,
        row.last_sync_seq,
        row.kind,
        row.created_at,
    )


@contextmanager
def authenticated(db: Database, token: str, purpose: Purpose) -> Iterator[tuple[Session, Caller]]:
    """A read transaction that starts by authenticating the caller, so that a request's
    reads share one transaction (and one worker-thread call); "last seen" is written
    after it, when due. An expired session is revoked on the way out."""
    now = utcnow()
    try:
        with db.read() as session:
            caller = signed_in(session, token, purpose, now)
            yield session, caller
    except SessionExpired as exc:
        revoke_device(db, exc.device_id)
        raise
    if caller.seen_is_due(now, purpose.seen_precision):
        note_device(db, caller.device_id, seen_at=now)


def authenticate(db: Database, token: str, purpose: Purpose) -> Caller:
    with authenticated(db, token, purpose) as (_session, caller):
        return caller


def note_device(
    db: Database,
    device_id: str,
    *,
    seen_at: datetime,
    synced_seq: int | None = None,
    error: tuple[datetime, str, str | None] | None = None,
) -> None:
    """Write a device's bookkeeping: when it was last seen, after a completed sync how far
    it got (and when it first got there), and the failure it reported. One statement, in
    a transaction of its own (no content is touched)."""
    values: dict[str, object] = {"last_seen_at": seen_at}
    if synced_seq is not None:
        # Decided by the row itself, not by what this request read: a concurrent sync of
        # the same device can't make it forget when the number was first reached.
        first_reached = case(
            (Device.last_sync_seq.is_distinct_from(synced_seq), seen_at),
            else_=Device.reached_at,
        )
        values.update(last_sync_at=seen_at, last_sync_seq=synced_seq, reached_at=first_reached)
    if error is not None:
        values.update(last_error_at=error[0], last_error=error[1], last_error_code=error[2])
    with db.write() as session:
        session.execute(update(Device).where(Device.id == device_id).values(**values))


def revoke(session: Session, device: Device) -> None:
    if device.revoked_at is None:
        device.revoked_at = utcnow()


def revoke_device(db: Database, device_id: str) -> None:
    """Revoke a device by its id, in a transaction of its own (a no-op if it already is)."""
    with db.write() as session:
        session.execute(
            update(Device)
            .where(Device.id == device_id, Device.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
