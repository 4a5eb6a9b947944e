"""The audit log's hook: one ``audit_entries`` row per object a change wrote.

``Database.change`` calls :func:`begin` when a change starts and :func:`record` at its
end. In between, SQLAlchemy events keep what the rows were before the change:

* a row's columns when it is loaded (a ``load`` event), since a mid-transaction flush
  drops attribute history (as in db/audience.py);
* a group's members and a template's files (child rows shown as attributes of their
  parent) read from the database just before anything writes them: before a flush with
  pending member or file rows, before a bulk statement on their tables, else at the end
  (then they did not change).

Secrets (password hashes) and bookkeeping columns (version, seq, times) are left out.
Personal snippets are their owner's alone, not even Sys reads them: their entries name
the owner and which attributes changed, never a title or a value.
Only sessions of a change pay for this: the events return at once elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from docshelf.domain.audit import ORIGIN_REF_MAX, Action, Origin, difference
from docshelf.domain.snippets import SnippetKind
from docshelf.server.db.models import (
    AuditEntry,
    FieldDefinition,
    Group,
    GroupMember,
    Profile,
    Setting,
    Snippet,
    Template,
    TemplateFile,
    TemplateGroup,
    Unit,
    User,
)

_ORIGIN = "docshelf_audit_origin"  # session.info: set while a change runs
_CHILDREN = "docshelf_audit_children"  # session.info: (kind, id) -> children before
_NEW = "docshelf_audit_new"  # session.info: audited rows added without Change.add
_BEFORE = "docshelf_audit_before"  # InstanceState.info: columns as loaded
# Never recorded: secrets, and what every change moves anyway.
_LEFT_OUT = frozenset({"id", "key", "version", "seq", "updated_at", "created_at", "password_hash"})
# Commits of package imports carry this before the login (packages/service.py).
_ACTOR_PREFIXES = ("package:",)
PRIVATE = "•••"
_NOT_PRIVATE = frozenset({"kind", "owner_id"})

Snapshot = dict[str, Any]


def _title_of_titles(row: Any) -> str:
    titles = row.titles or {}
    return str(titles.get("de") or titles.get("en") or next(iter(titles.values()), ""))


@dataclass(frozen=True)
class _Kind:
    name: str
    title: Callable[[Any], str]


_KINDS: dict[type, _Kind] = {
    User: _Kind("user", lambda r: r.login),
    Group: _Kind("group", lambda r: r.name),
    FieldDefinition: _Kind("field", lambda r: r.key),
    Unit: _Kind("unit", lambda r: r.title),
    Profile: _Kind("profile", lambda r: r.title),
    TemplateGroup: _Kind("template_group", _title_of_titles),
    Template: _Kind("template", _title_of_titles),
    Snippet: _Kind("snippet", lambda r: r.title),
    Setting: _Kind("setting", lambda r: r.key),
}
KINDS = tuple(kind.name for kind in _KINDS.values())


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def columns(row: Any) -> Snapshot:
    """The audited columns of a row, JSON-ready."""
    mapper = inspect(type(row))
    return {
        attr.key: _json(getattr(row, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in _LEFT_OUT
    }


# --- before-values ---------------------------------------------------------------------


def _on_load(target: Any, context: Any) -> None:
    session = getattr(context, "session", None)
    if session is not None and _ORIGIN in session.info:
        inspect(target).info.setdefault(_BEFORE, columns(target))


def _members(session: Session, group_ids: Iterable[str]) -> dict[str, list[str]]:
    """Direct members per group, as "user:login" / "group:name" (readable, no ids)."""
    ids = sorted(set(group_ids))
    found: dict[str, list[str]] = {gid: [] for gid in ids}
    if not ids:
        return found
    members = GroupMember.__table__
    users = User.__table__
    groups = Group.__table__.alias("member_group")
    rows = session.connection().execute(
        select(members.c.group_id, members.c.member_key, users.c.login, groups.c.name)
        .outerjoin(users, users.c.id == members.c.user_id)
        .outerjoin(groups, groups.c.id == members.c.member_group_id)
        .where(members.c.group_id.in_(ids))
    )
    for group_id, key, login, name in rows:
        found[group_id].append(f"user:{login}" if login else f"group:{name}" if name else str(key))
    return {gid: sorted(values) for gid, values in found.items()}


def _files(session: Session, template_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Files per template: {language: {filename, sha256, size}}."""
    ids = sorted(set(template_ids))
    found: dict[str, dict[str, Any]] = {tid: {} for tid in ids}
    if not ids:
        return found
    files = TemplateFile.__table__
    rows = session.connection().execute(
        select(files.c.template_id, files.c.lang, files.c.filename, files.c.sha256, files.c.size)
        .where(files.c.template_id.in_(ids))
        .order_by(files.c.lang)
    )
    for template_id, lang, filename, sha256, size in rows:
        found[template_id][lang] = {"filename": filename, "sha256": sha256, "size": size}
    return found


_CHILD_READERS: dict[str, Callable[[Session, Iterable[str]], dict[str, Any]]] = {
    "group": _members,
    "template": _files,
}
_CHILD_ATTRIBUTE = {"group": "members", "template": "files"}


def _keep_children(session: Session, kind: str, ids: Iterable[str]) -> None:
    """Read the children of these parents from the database unless kept already."""
    kept: dict[tuple[str, str], Any] = session.info.setdefault(_CHILDREN, {})
    missing = [i for i in set(ids) if i is not None and (kind, i) not in kept]
    if missing:
        for parent_id, value in _CHILD_READERS[kind](session, missing).items():
            kept[(kind, parent_id)] = value


def _parent_of(child: Any) -> tuple[str, str | None]:
    if isinstance(child, GroupMember):
        return "group", child.group_id
    template = child.template_id or (child.template.id if child.template else None)
    return "template", template


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if _ORIGIN not in session.info:
        return
    pending: dict[str, list[str]] = {"group": [], "template": []}
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, GroupMember | TemplateFile):
            kind, parent = _parent_of(row)
            if parent is not None:
                pending[kind].append(parent)
    for row in session.deleted:
        # Their children go with them in this flush.
        if isinstance(row, Group | Template):
            pending[_KINDS[type(row)].name].append(row.id)
    for kind, ids in pending.items():
        _keep_children(session, kind, ids)
    new: list[Any] = session.info.setdefault(_NEW, [])
    new.extend(row for row in session.new if type(row) in _KINDS)


def _before_execute(state: ORMExecuteState) -> None:
    session = state.session
    if _ORIGIN not in session.info or not (state.is_delete or state.is_update):
        return
    mapper = state.bind_mapper
    target = mapper.class_ if mapper is not None else None
    # A bulk statement on child rows names no parent we could read: keep every loaded one's.
    for child, parent, kind in (
        (GroupMember, Group, "group"),
        (TemplateFile, Template, "template"),
    ):
        if target is child:
            loaded = [row.id for row in session.identity_map.values() if isinstance(row, parent)]
            _keep_children(session, kind, loaded)


def install() -> None:
    """Listen for the events above (once per process)."""
    for cls in _KINDS:
        if not event.contains(cls, "load", _on_load):
            event.listen(cls, "load", _on_load)
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
    if not event.contains(Session, "do_orm_execute", _before_execute):
        event.listen(Session, "do_orm_execute", _before_execute)


def begin(session: Session, origin: Origin) -> None:
    """Mark a change's session: from now on its loads and writes are watched."""
    session.info[_ORIGIN] = origin


def name_origin(session: Session, origin: Origin) -> None:
    """Name a change's origin more exactly once it is known (a package import's number is
    drawn inside its change); the entries are written at the change's end."""
    session.info[_ORIGIN] = origin


# --- the entries -----------------------------------------------------------------------


def _actor(session: Session, actor: str) -> tuple[str | None, str]:
    login = actor
    for prefix in _ACTOR_PREFIXES:
        login = login.removeprefix(prefix)
    users = User.__table__
    actor_id = session.connection().scalar(select(users.c.id).where(users.c.login == login))
    return actor_id, login


def record(
    session: Session,
    seq: int,
    at: datetime,
    actor: str,
    added: list[Any],
    touched: list[Any],
    deleted: list[Any],
) -> list[AuditEntry]:
    """Add the entries of a change (after its last flush); returns them."""
    origin: Origin = session.info.get(_ORIGIN, Origin())
    created = {id(r) for r in (*added, *session.info.get(_NEW, []))}
    gone = {id(r) for r in deleted}
    rows: dict[int, Any] = {}
    for row in (*added, *session.info.get(_NEW, []), *touched, *deleted):
        # Created and deleted in one change: it never existed for anyone else.
        if type(row) in _KINDS and not (id(row) in created and id(row) in gone):
            rows.setdefault(id(row), row)
    if not rows:
        return []
    after_children = _children_after(session, rows.values(), gone)
    actor_id, login = _actor(session, actor)
    entries = []
    for key, row in rows.items():
        kind = _KINDS[type(row)]
        action = (
            Action.CREATED if key in created else Action.DELETED if key in gone else Action.CHANGED
        )
        before, after = _snapshots(session, row, kind.name, action, after_children)
        before, after = difference(before, after)
        if action is Action.CHANGED and not before and not after:
            continue  # touched, yet nothing we record differs
        private = _is_private(row, before)
        if private:
            before, after = _redacted(before), _redacted(after)
        entries.append(
            AuditEntry(
                seq=seq,
                at=at,
                actor_id=actor_id,
                actor=login[:64],
                kind=kind.name,
                object_id=str(row.key if isinstance(row, Setting) else row.id),
                object_title="" if private else kind.title(row)[:200],
                action=action.value,
                before=before,
                after=after,
                origin=origin.kind.value,
                origin_ref=origin.ref[:ORIGIN_REF_MAX] if origin.ref else None,
            )
        )
    session.add_all(entries)
    return entries


def _is_private(row: Any, before: Snapshot | None) -> bool:
    if not isinstance(row, Snippet):
        return False
    return row.kind == SnippetKind.PERSONAL.value or (before or {}).get("kind") == "personal"


def _redacted(values: Snapshot | None) -> Snapshot | None:
    if values is None:
        return None
    return {k: v if k in _NOT_PRIVATE else PRIVATE for k, v in values.items()}


def _children_after(
    session: Session, rows: Iterable[Any], gone: set[int]
) -> dict[tuple[str, str], Any]:
    wanted: dict[str, list[str]] = {"group": [], "template": []}
    for row in rows:
        kind = _KINDS[type(row)].name
        if kind in wanted and id(row) not in gone:
            wanted[kind].append(row.id)
    found: dict[tuple[str, str], Any] = {}
    for kind, ids in wanted.items():
        # Not kept before the change's writes: they did not change, so now is before too.
        _keep_children(session, kind, ids)
        for parent_id, value in _CHILD_READERS[kind](session, ids).items():
            found[(kind, parent_id)] = value
    return found


def _snapshots(
    session: Session,
    row: Any,
    kind: str,
    action: Action,
    after_children: dict[tuple[str, str], Any],
) -> tuple[Snapshot | None, Snapshot | None]:
    kept: dict[tuple[str, str], Any] = session.info.get(_CHILDREN, {})
    before: Snapshot | None = None
    after: Snapshot | None = None
    if action is not Action.CREATED:
        loaded = inspect(row).info.get(_BEFORE)
        # Never loaded in this change (handed in from elsewhere): its old values are unknown.
        before = dict(loaded) if loaded is not None else {}
        if kind in _CHILD_ATTRIBUTE and (kind, row.id) in kept:
            before[_CHILD_ATTRIBUTE[kind]] = kept[(kind, row.id)]
    if action is not Action.DELETED:
        after = columns(row)
        if kind in _CHILD_ATTRIBUTE:
            after[_CHILD_ATTRIBUTE[kind]] = after_children.get((kind, row.id))
    return before, after
