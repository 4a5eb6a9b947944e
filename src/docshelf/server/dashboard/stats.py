"""What the summary page shows: counts, storage, sync activity, clients and reach, and
how fast the newest change spread (computed in spread.py).

Reads only; every function takes an open session so the page is one snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

# The storage figures are the file store's own (blobstore/usage.py), shown here.
from docshelf.server.blobstore.usage import Storage as Storage
from docshelf.server.blobstore.usage import storage as storage
from docshelf.server.dashboard.spread import (
    CommitRow,
    DeviceState,
    Spread,
    actors,
    newest_spread,
)
from docshelf.server.dashboard.texts import localized
from docshelf.server.db.models import (
    Commit,
    Device,
    GroupMember,
    Snippet,
    Template,
    Unit,
    User,
)
from docshelf.server.packages.service import PACKAGE_COMMIT_PREFIX
from docshelf.server.services.accounts import actor_of
from docshelf.server.sync.view import View


@dataclass(frozen=True)
class Counts:
    users: int
    active_users: int
    templates: dict[str, int]  # released / in_test / deactivated
    snippets: int
    units: int


@dataclass(frozen=True)
class ClientRow:
    device: str
    user: str
    version: str | None
    last_sync_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    last_error_code: str | None
    behind: int | None  # changes not yet fetched; None before its first sync


@dataclass(frozen=True)
class Reach:
    what: str  # "template" or "package"
    title: str
    seq: int
    at: datetime | None
    have: int
    total: int


def counts(session: Session) -> Counts:
    users = session.execute(
        select(func.count(), func.count().filter(User.active.is_(True))).select_from(User)
    ).one()
    templates = {"released": 0, "in_test": 0, "deactivated": 0}
    for status, active, n in session.execute(
        select(Template.status, Template.active, func.count()).group_by(
            Template.status, Template.active
        )
    ):
        key = status if active else "deactivated"
        templates[key] = templates.get(key, 0) + n
    return Counts(
        users=users[0],
        active_users=users[1],
        templates=templates,
        snippets=session.scalar(select(func.count()).select_from(Snippet)) or 0,
        units=session.scalar(select(func.count()).select_from(Unit)) or 0,
    )


def newest_seq(session: Session) -> int:
    return session.scalar(select(func.max(Commit.seq))) or 0


def _behind(session: Session, last_seq: int | None, newest: int) -> int | None:
    if last_seq is None:
        return None
    if last_seq >= newest:
        return 0
    return session.scalar(select(func.count()).where(Commit.seq > last_seq)) or 0


def clients(session: Session) -> list[ClientRow]:
    """Signed-in sync clients (not dashboard sessions, not revoked), most recent first."""
    newest = newest_seq(session)
    rows = session.execute(
        select(Device, User.login)
        .join(User, User.id == Device.user_id)
        .where(Device.kind == "client", Device.revoked_at.is_(None))
        .order_by(Device.last_sync_at.desc().nulls_last(), Device.created_at.desc())
    ).all()
    return [
        ClientRow(
            device=device.name,
            user=login,
            version=device.client_version,
            last_sync_at=device.last_sync_at,
            last_error=device.last_error,
            last_error_at=device.last_error_at,
            last_error_code=device.last_error_code,
            behind=_behind(session, device.last_sync_seq, newest),
        )
        for device, login in rows
    ]


def reach(session: Session, language: str) -> Reach | None:
    """The newest package import or template change, and how many of the clients whose
    user may see it have synced past it."""
    template = session.scalar(
        select(Template).where(Template.active.is_(True)).order_by(Template.seq.desc()).limit(1)
    )
    package = session.execute(
        select(Commit.seq, Commit.actor, Commit.committed_at)
        .where(Commit.actor.startswith(PACKAGE_COMMIT_PREFIX))
        .order_by(Commit.seq.desc())
        .limit(1)
    ).first()
    if template is None and package is None:
        return None
    if package is not None and (template is None or package.seq >= template.seq):
        targets = list(session.scalars(select(Template).where(Template.seq == package.seq)))
        seq, at = package.seq, package.committed_at
        what, title = "package", package.actor.removeprefix(PACKAGE_COMMIT_PREFIX)
    else:
        assert template is not None
        targets, seq, at = [template], template.seq, template.updated_at
        what, title = "template", localized(template.titles, language, template.id)
    have, total = _clients_with(session, targets, seq)
    return Reach(what=what, title=title, seq=seq, at=at, have=have, total=total)


def _clients_with(session: Session, targets: list[Template], seq: int) -> tuple[int, int]:
    devices = session.execute(
        select(Device.user_id, Device.last_sync_seq).where(
            Device.kind == "client", Device.revoked_at.is_(None)
        )
    ).all()
    may_see: dict[str, bool] = {}
    have = total = 0
    for user_id, last_seq in devices:
        if user_id not in may_see:
            user = session.get(User, user_id)
            if user is None or not user.active:
                may_see[user_id] = False
            else:
                view = View(session, actor_of(session, user))
                may_see[user_id] = any(view.visible("template", t) for t in targets)
        if may_see[user_id]:
            total += 1
            have += int(last_seq is not None and last_seq >= seq)
    return have, total


# How far back the summary looks for a change some client may see.
RECENT_COMMITS = 50


def hint_spread(session: Session) -> Spread | None:
    """How far and how fast the newest change some client may see has spread: a few
    queries, the matching in memory (spread.py)."""
    commits = [
        CommitRow(seq, at, audience)
        for seq, at, audience in session.execute(
            select(Commit.seq, Commit.committed_at, Commit.audience)
            .order_by(Commit.seq.desc())
            .limit(RECENT_COMMITS)
        )
    ]
    if not commits:
        return None
    rows = session.execute(
        select(Device.user_id, Device.last_sync_seq, Device.reached_at)
        .join(User, User.id == Device.user_id)
        .where(Device.kind == "client", Device.revoked_at.is_(None), User.active.is_(True))
    ).all()
    if not rows:
        return None
    users = session.execute(select(User.id, User.login, User.roles).where(User.active.is_(True)))
    edges = session.execute(
        select(GroupMember.group_id, GroupMember.user_id, GroupMember.member_group_id)
    )
    actor_of_user = actors(
        ((ident, login, roles) for ident, login, roles in users),
        ((group, user, member) for group, user, member in edges),
    )
    devices = [
        DeviceState(actor_of_user[user_id], last_seq, reached_at)
        for user_id, last_seq, reached_at in rows
        if user_id in actor_of_user
    ]
    return newest_spread(commits, devices)
