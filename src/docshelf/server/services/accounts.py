"""Users, groups and group membership."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import (
    Actor,
    Membership,
    Role,
    creates_group_cycle,
    normalize_login,
    parse_roles,
)
from docshelf.domain.errors import Conflict, InvalidInput, NotFound
from docshelf.domain.fields import FieldScope, check_field_values
from docshelf.domain.ids import new_id
from docshelf.domain.patches import (
    REGISTRY,
    GroupPatch,
    UserPatch,
    check_value,
    checked,
    checked_new,
)
from docshelf.domain.permissions import can_manage_accounts, require
from docshelf.domain.principals import group_principal, user_principal
from docshelf.i18n import tr
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Group, GroupMember, Profile, Snippet, Template, Unit, User
from docshelf.server.services.common import Applier, Writer, apply_new, apply_patch, check_version
from docshelf.server.services.fields import definitions

USER = "user"
GROUP = "group"


def memberships(session: Session) -> list[Membership]:
    return [
        Membership(group_id=g, user_id=u, member_group_id=mg)
        for g, u, mg in session.execute(
            select(GroupMember.group_id, GroupMember.user_id, GroupMember.member_group_id)
        )
    ]


def groups_of(session: Session, user_id: str) -> frozenset[str]:
    """The user's groups, direct and through nesting: a few indexed lookups per level,
    so authenticating a request doesn't read the whole membership table."""
    found: set[str] = set()
    frontier = set(
        session.scalars(select(GroupMember.group_id).where(GroupMember.user_id == user_id))
    )
    while frontier:
        found |= frontier
        parents = session.scalars(
            select(GroupMember.group_id).where(GroupMember.member_group_id.in_(sorted(frontier)))
        )
        frontier = set(parents) - found
    return frozenset(found)


def actor_of(session: Session, user: User) -> Actor:
    return Actor(
        user_id=user.id,
        login=user.login,
        roles=parse_roles(user.roles),
        groups=groups_of(session, user.id),
    )


def find_user(session: Session, login_or_id: str) -> User:
    try:
        login = normalize_login(login_or_id)
    except InvalidInput:
        login = None
    user = session.scalar(select(User).where(User.login == login)) if login else None
    user = user or session.get(User, login_or_id)
    if user is None:
        raise NotFound(tr("There is no user {login_or_id!r}.", login_or_id=login_or_id))
    return user


def find_group(session: Session, name_or_id: str) -> Group:
    group = session.scalar(select(Group).where(Group.name == name_or_id))
    group = group or session.get(Group, name_or_id)
    if group is None:
        raise NotFound(tr("There is no group {name_or_id!r}.", name_or_id=name_or_id))
    return group


def _check_user_fields(session: Session, fields: dict[str, str]) -> dict[str, str]:
    return check_field_values(fields, definitions(session), FieldScope.USER)


def create_user(
    change: Change,
    actor: Actor,
    patch: UserPatch,
    *,
    password_hash: str | None = None,
    user_id: str | None = None,
) -> User:
    require(can_manage_accounts(actor), tr("Only a system administrator may create users."))
    patch = checked_new(patch)
    login = patch.login
    assert isinstance(login, str)
    session = change.session
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise Conflict(tr("A user with the login {login!r} exists already.", login=login))
    user = User(
        id=user_id or new_id(),
        login=login,
        display_name=check_value(REGISTRY[USER], "display_name", login),
        roles=sorted(r.value for r in parse_roles(())),
        fields={},
        password_hash=password_hash,
        active=True,
    )
    apply_new(Writer(change, actor), user, patch, USER_APPLIERS)
    return change.add(user, USER)


def update_user(
    change: Change,
    actor: Actor,
    user: User,
    patch: UserPatch,
    *,
    expected_version: int | None = None,
) -> User:
    require(can_manage_accounts(actor), tr("Only a system administrator may change users."))
    check_version(user, expected_version, "user")
    apply_patch(Writer(change, actor), user, checked(patch), USER_APPLIERS)
    return change.touch(user)


def _display_name(writer: Writer, user: User, name: str) -> None:
    user.display_name = name


def _roles(writer: Writer, user: User, roles: tuple[str, ...]) -> None:
    if user.id == writer.actor.user_id and Role.SYS not in roles:
        # Else the last administrator could lock everyone out of administration.
        raise InvalidInput(
            tr(
                "You cannot remove the system administrator role from your own "
                "account; another system administrator can.",
            )
        )
    user.roles = list(roles)


def _fields(writer: Writer, user: User, values: dict[str, str]) -> None:
    user.fields = _check_user_fields(writer.change.session, values)


USER_APPLIERS: dict[str, Applier[User]] = {
    "display_name": _display_name,
    "roles": _roles,
    "fields": _fields,
}


def set_active(change: Change, actor: Actor, user: User, active: bool) -> User:
    require(can_manage_accounts(actor), tr("Only a system administrator may (de)activate users."))
    if user.id == actor.user_id and not active:
        raise InvalidInput(tr("You cannot deactivate your own account."))
    user.active = active
    return change.touch(user)


def purge_user(change: Change, actor: Actor, user: User) -> None:
    """Delete a deactivated user and what only they had (personal snippets, profiles)."""
    require(can_manage_accounts(actor), tr("Only a system administrator may delete users."))
    if user.active:
        raise Conflict(
            tr(
                "Deactivate {login!r} first; only deactivated users can be deleted.",
                login=user.login,
            )
        )
    session = change.session
    for profile in session.scalars(select(Profile).where(Profile.owner_id == user.id)):
        change.delete(profile, "profile")
    for snippet in session.scalars(select(Snippet).where(Snippet.owner_id == user.id)):
        change.delete(snippet, "snippet")
    for profile in session.scalars(select(Profile)):
        if user.id in profile.shared_with:
            profile.shared_with = [u for u in profile.shared_with if u != user.id]
            change.touch(profile)
    _drop_principal(change, user_principal(user.id))
    change.delete(user, USER)


def _drop_principal(change: Change, principal: str) -> None:
    """Remove a deleted user or group from every grant so a later id can't inherit it."""
    for model, columns in (
        (Template, ("use_rights", "change_rights")),
        (Snippet, ("read_rights", "write_rights")),
        (Unit, ("assignable_by",)),
    ):
        for row in change.session.scalars(select(model)):
            touched = False
            for column in columns:
                rights = getattr(row, column)
                if rights and principal in rights:
                    setattr(row, column, [p for p in rights if p != principal])
                    touched = True
            if touched:
                change.touch(row)


def create_group(
    change: Change, actor: Actor, patch: GroupPatch, *, group_id: str | None = None
) -> Group:
    require(can_manage_accounts(actor), tr("Only a system administrator may create groups."))
    group = Group(id=group_id or new_id(), name="", description="")
    apply_new(Writer(change, actor), group, checked_new(patch), GROUP_APPLIERS)
    return change.add(group, GROUP)


def update_group(
    change: Change,
    actor: Actor,
    group: Group,
    patch: GroupPatch,
    *,
    expected_version: int | None = None,
) -> Group:
    require(can_manage_accounts(actor), tr("Only a system administrator may change groups."))
    check_version(group, expected_version, "group")
    apply_patch(Writer(change, actor), group, checked(patch), GROUP_APPLIERS)
    return change.touch(group)


def _name(writer: Writer, group: Group, name: str) -> None:
    if name == group.name:
        return
    if writer.change.session.scalar(select(Group.id).where(Group.name == name)) is not None:
        raise Conflict(tr("A group named {name!r} exists already.", name=name))
    group.name = name


def _description(writer: Writer, group: Group, description: str) -> None:
    group.description = description


GROUP_APPLIERS: dict[str, Applier[Group]] = {"name": _name, "description": _description}


def delete_group(change: Change, actor: Actor, group: Group) -> None:
    require(can_manage_accounts(actor), tr("Only a system administrator may delete groups."))
    change.session.execute(
        delete(GroupMember).where(
            or_(GroupMember.group_id == group.id, GroupMember.member_group_id == group.id)
        )
    )
    _drop_principal(change, group_principal(group.id))
    change.delete(group, GROUP)


def add_member(
    change: Change,
    actor: Actor,
    group: Group,
    *,
    user: User | None = None,
    member_group: Group | None = None,
) -> bool:
    """Add a user or a group to ``group``; returns False when it was a member already."""
    require(can_manage_accounts(actor), tr("Only a system administrator may change memberships."))
    session = change.session
    if member_group is not None:
        if creates_group_cycle(group.id, member_group.id, memberships(session)):
            raise InvalidInput(
                tr(
                    "Group {member!r} cannot become a member of {group!r}: that would make a"
                    " group a member of itself.",
                    member=member_group.name,
                    group=group.name,
                )
            )
        key = group_principal(member_group.id)
    elif user is not None:
        key = user_principal(user.id)
    else:
        raise InvalidInput(tr("Name a user or a group to add."))
    if session.get(GroupMember, (group.id, key)) is not None:
        return False
    session.add(
        GroupMember(
            group_id=group.id,
            member_key=key,
            user_id=user.id if user is not None and member_group is None else None,
            member_group_id=member_group.id if member_group is not None else None,
        )
    )
    # Membership changes the members' view; bumping the group records that in the feed.
    change.touch(group)
    return True


def remove_member(change: Change, actor: Actor, group: Group, principal: str) -> bool:
    require(can_manage_accounts(actor), tr("Only a system administrator may change memberships."))
    row = change.session.get(GroupMember, (group.id, principal))
    if row is None:
        return False
    change.session.delete(row)
    change.touch(group)
    return True


def members(session: Session, group: Group) -> list[tuple[str, str, str]]:
    """(kind, id, name) of the direct members."""
    result: list[tuple[str, str, str]] = []
    for row in session.scalars(select(GroupMember).where(GroupMember.group_id == group.id)):
        if row.user_id is not None:
            user = session.get(User, row.user_id)
            result.append(("user", row.user_id, user.login if user else row.user_id))
        elif row.member_group_id is not None:
            sub = session.get(Group, row.member_group_id)
            result.append(("group", row.member_group_id, sub.name if sub else row.member_group_id))
    return sorted(result)
