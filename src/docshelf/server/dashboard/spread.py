"""How far and how fast the newest change spread: the pure part of the summary's figure.

For one change: the client devices whose user may see it (the hints' own matching, so
the feed's permission rules), how many have synced past it, and how long it took half of
them and 95 % of them. A device's time is from the commit to when its completed sync
first reached the change number it is at now (``devices.reached_at``); for a device
that has since synced past later changes this is later than when it got this one, so
the figures err on the slow side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from docshelf.domain.accounts import Actor, parse_roles
from docshelf.server.hints.match import concerns

# The shares the summary shows, in percent.
SHARES = (50, 95)


@dataclass(frozen=True)
class CommitRow:
    seq: int
    committed_at: datetime
    audience: list[Any] | None


@dataclass(frozen=True)
class DeviceState:
    actor: Actor
    last_sync_seq: int | None  # None: never completed a sync
    reached_at: datetime | None  # None: unknown (synced before this was recorded)


@dataclass(frozen=True)
class Spread:
    seq: int
    committed_at: datetime
    have: int  # devices that synced past the change
    total: int  # devices whose user may see it
    # share in percent -> how long it took that share of ``total``; None: not yet
    took: dict[int, timedelta | None]

    @property
    def percent(self) -> int:
        # Rounded down: 100 % only when every device has it.
        return 100 * self.have // self.total if self.total else 0


def percentile(durations: Sequence[timedelta], total: int, share: int) -> timedelta | None:
    """How long it took ``share`` percent of ``total`` devices, from the durations of
    those that made it; None while fewer than that share made it."""
    if total <= 0:
        return None
    needed = max(1, (share * total + 99) // 100)
    if len(durations) < needed:
        return None
    return sorted(durations)[needed - 1]


def spread(commit: CommitRow, devices: Iterable[DeviceState]) -> Spread | None:
    """The figure for ``commit``; None when no device's user may see it."""
    may_see: dict[str, bool] = {}
    have = total = 0
    durations: list[timedelta] = []
    for device in devices:
        user_id = device.actor.user_id
        if user_id not in may_see:
            may_see[user_id] = concerns(device.actor, commit.audience)
        if not may_see[user_id]:
            continue
        total += 1
        if device.last_sync_seq is None or device.last_sync_seq < commit.seq:
            continue
        have += 1
        if device.reached_at is not None:
            # Clocks of several processes may differ a little: never a negative time.
            durations.append(max(timedelta(0), device.reached_at - commit.committed_at))
    if total == 0:
        return None
    took = {share: percentile(durations, total, share) for share in SHARES}
    return Spread(commit.seq, commit.committed_at, have, total, took)


def newest_spread(
    commits_newest_first: Iterable[CommitRow], devices: Sequence[DeviceState]
) -> Spread | None:
    """The figure of the newest change some device's user may see (None: none of them)."""
    for commit in commits_newest_first:
        found = spread(commit, devices)
        if found is not None:
            return found
    return None


def actors(
    users: Iterable[tuple[str, str, list[str]]],
    memberships: Iterable[tuple[str, str | None, str | None]],
) -> dict[str, Actor]:
    """Every user's actor from (id, login, roles) and the membership edges
    (group_id, user_id, member_group_id): direct groups and every group above them."""
    direct: dict[str, set[str]] = {}
    parents: dict[str, set[str]] = {}
    for group_id, user_id, member_group_id in memberships:
        if user_id is not None:
            direct.setdefault(user_id, set()).add(group_id)
        elif member_group_id is not None:
            parents.setdefault(member_group_id, set()).add(group_id)
    found: dict[str, Actor] = {}
    for user_id, login, roles in users:
        groups: set[str] = set()
        frontier = set(direct.get(user_id, ()))
        while frontier:  # the found set ends even a cycle
            groups |= frontier
            frontier = {p for g in frontier for p in parents.get(g, ())} - groups
        found[user_id] = Actor(
            user_id=user_id, login=login, roles=parse_roles(roles), groups=frozenset(groups)
        )
    return found
