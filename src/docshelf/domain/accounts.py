"""Users, roles and groups, and the principals (domain/principals.py) each user holds.

Groups nest: a member group's members are members too, so a user holds every right
granted to any group above them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from docshelf.domain.errors import InvalidInput
from docshelf.domain.principals import EVERYONE, group_principal, user_principal
from docshelf.i18n import tr

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_LOGIN_RE = re.compile(LOGIN_PATTERN)


class Role(StrEnum):
    USER = "user"
    LAYOUTER = "layouter"  # edits templates and snippets
    ORG = "org"  # manages organisational units
    SYS = "sys"  # everything, including the dashboard


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Parse role names; every account is at least a plain user."""
    roles = {Role.USER}
    for value in values:
        name = value.strip().lower()
        try:
            roles.add(Role(name))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise InvalidInput(
                tr("Unknown role {value!r}; known roles are {known}.", value=value, known=known)
            ) from None
    return frozenset(roles)


def normalize_login(login: str) -> str:
    value = login.strip().lower()
    if not _LOGIN_RE.match(value):
        raise InvalidInput(
            tr(
                "{login!r} is not a valid login: use 1-64 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter or digit.",
                login=login,
            )
        )
    return value


@dataclass(frozen=True)
class Membership:
    """One edge of the group graph: ``member`` (a user or a group) belongs to ``group_id``."""

    group_id: str
    user_id: str | None = None
    member_group_id: str | None = None


def effective_groups(user_id: str, memberships: Iterable[Membership]) -> frozenset[str]:
    """Every group the user belongs to, directly or through nested groups."""
    parents_of_group: dict[str, set[str]] = {}
    direct: set[str] = set()
    for m in memberships:
        if m.user_id == user_id:
            direct.add(m.group_id)
        elif m.member_group_id is not None:
            parents_of_group.setdefault(m.member_group_id, set()).add(m.group_id)
    seen: set[str] = set()
    todo = list(direct)
    while todo:
        group = todo.pop()
        if group in seen:
            continue
        seen.add(group)
        todo.extend(parents_of_group.get(group, ()))
    return frozenset(seen)


def group_path(
    user_id: str, group_id: str, memberships: Iterable[Membership]
) -> tuple[str, ...] | None:
    """The shortest chain of groups through which the user belongs to ``group_id``: from
    a group the user is a direct member of up to ``group_id``; None if they don't."""
    parents_of_group: dict[str, list[str]] = {}
    direct: list[str] = []
    for m in memberships:
        if m.user_id == user_id:
            direct.append(m.group_id)
        elif m.member_group_id is not None:
            parents_of_group.setdefault(m.member_group_id, []).append(m.group_id)
    came_from: dict[str, str | None] = {g: None for g in sorted(direct)}
    queue = list(came_from)
    while queue:  # breadth first: the first path found is a shortest one
        group = queue.pop(0)
        if group == group_id:
            path = [group]
            while (previous := came_from[path[-1]]) is not None:
                path.append(previous)
            return tuple(reversed(path))
        for parent in sorted(parents_of_group.get(group, ())):
            if parent not in came_from:
                came_from[parent] = group
                queue.append(parent)
    return None


def creates_group_cycle(
    group_id: str, member_group_id: str, memberships: Iterable[Membership]
) -> bool:
    """Would making ``member_group_id`` a member of ``group_id`` close a loop?"""
    if group_id == member_group_id:
        return True
    children: dict[str, set[str]] = {}
    for m in memberships:
        if m.member_group_id is not None:
            children.setdefault(m.group_id, set()).add(m.member_group_id)
    # A loop appears when group_id is already reachable downwards from the new member.
    seen: set[str] = set()
    todo = [member_group_id]
    while todo:
        current = todo.pop()
        if current == group_id:
            return True
        if current in seen:
            continue
        seen.add(current)
        todo.extend(children.get(current, ()))
    return False


@dataclass(frozen=True)
class Actor:
    """Who is asking: a signed-in user with their roles and effective groups."""

    user_id: str
    login: str
    roles: frozenset[Role] = field(default_factory=lambda: frozenset({Role.USER}))
    groups: frozenset[str] = frozenset()

    @cached_property
    def principals(self) -> frozenset[str]:
        # Cached: the change feed asks once per row it checks.
        return frozenset(
            {EVERYONE, user_principal(self.user_id)} | {group_principal(g) for g in self.groups}
        )

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_sys(self) -> bool:
        return Role.SYS in self.roles

    def holds(self, rights: Iterable[str]) -> bool:
        """Is any principal of this actor named in ``rights``?"""
        mine = self.principals
        return any(r in mine for r in rights)

    def through(self, rights: Iterable[str]) -> str | None:
        """The first of ``rights`` this actor holds (the fact a decision rests on), or None."""
        mine = self.principals
        return next((r for r in rights if r in mine), None)


def system_actor() -> Actor:
    """The actor of administrative commands run on the server machine itself."""
    return Actor(user_id="system", login="system", roles=frozenset(Role))


def actor_for(
    user_id: str, login: str, roles: Iterable[str], memberships: Iterable[Membership]
) -> Actor:
    return Actor(
        user_id=user_id,
        login=login,
        roles=parse_roles(roles),
        groups=effective_groups(user_id, memberships),
    )


def scope_of(actor: Actor) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What decides the actor's view besides the rows themselves: roles and groups."""
    return (tuple(sorted(r.value for r in actor.roles)), tuple(sorted(actor.groups)))
