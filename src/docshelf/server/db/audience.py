"""Who a change may concern: the permission facts of the rows it wrote, before and after.

Written into ``commits.audience`` with the change, so that the change hints (server/hints)
can tell which held streams to wake without reading the rows again. ``None`` means
"anyone may be concerned": an organisation-wide kind (fields, units, users, groups,
template groups, settings) or anything this module can't describe.

Before facts are taken when a row is loaded (a ``load`` event): by the time a change ends,
a mid-transaction flush has already dropped the attribute history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from docshelf.server.db.models import Group, GroupMember, Profile, Snippet, Template, User

_FACTS_KEY = "docshelf_facts"
# Kinds whose rows decide who sees what in general: a stream's actor may be stale after them.
SCOPE_KINDS = (User, Group, GroupMember)

Facts = dict[str, Any]


def template_facts(row: Template) -> Facts:
    return {
        "id": row.id,
        "active": bool(row.active),
        "status": str(row.status),
        "use_rights": sorted(row.use_rights or []),
        "change_rights": sorted(row.change_rights or []),
    }


def snippet_facts(row: Snippet) -> Facts:
    return {
        "kind": str(row.kind),
        "owner_id": row.owner_id,
        "template_id": row.template_id,
        "read_rights": sorted(row.read_rights or []),
        "write_rights": sorted(row.write_rights or []),
    }


def profile_facts(row: Profile) -> Facts:
    return {"owner_id": row.owner_id, "shared_with": sorted(row.shared_with or [])}


_FACTS: dict[type, Callable[[Any], Facts]] = {
    Template: template_facts,
    Snippet: snippet_facts,
    Profile: profile_facts,
}
_KINDS: dict[type, str] = {Template: "template", Snippet: "snippet", Profile: "profile"}


def _on_load(target: Any, _context: Any) -> None:
    inspect(target).info[_FACTS_KEY] = _FACTS[type(target)](target)


def install() -> None:
    """Listen for loads of the rows whose facts decide visibility (once per process)."""
    for cls in _FACTS:
        if not event.contains(cls, "load", _on_load):
            event.listen(cls, "load", _on_load)


def loaded_facts(row: Any) -> Facts | None:
    """The facts the row had when it was loaded from the database (None if it wasn't)."""
    facts: Facts | None = inspect(row).info.get(_FACTS_KEY)
    return facts


@dataclass
class Written:
    """The rows one change wrote, as ``Change.add/touch/delete`` saw them."""

    added: list[Any] = field(default_factory=list)
    touched: list[Any] = field(default_factory=list)
    deleted: list[Any] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.touched or self.deleted)

    def touches_scope(self) -> bool:
        """Did the change touch users or groups (who belongs where, who has which role)?"""
        return any(isinstance(r, SCOPE_KINDS) for r in self.added + self.touched + self.deleted)


class _Unknown(Exception):
    """A row this module can't describe: the change concerns everyone."""


def compute(session: Session, written: Written) -> list[Facts] | None:
    """The audience entries of a change, or None when anyone may be concerned."""
    if written.empty:
        return None  # wrote nothing we saw (or only bookkeeping): say "anyone", to be safe
    try:
        entries: dict[int, Facts] = {}
        added = {id(r) for r in written.added}
        deleted = {id(r) for r in written.deleted}
        for row in written.added + written.touched + written.deleted:
            if id(row) in entries:
                continue
            entries[id(row)] = _entry(session, row, id(row) in added, id(row) in deleted)
        return list(entries.values())
    except _Unknown:
        return None


def _entry(session: Session, row: Any, created: bool, deleted: bool) -> Facts:
    kind = _KINDS.get(type(row))
    if kind is None:
        raise _Unknown
    describe = _FACTS[type(row)]
    before = None if created else loaded_facts(row)
    if before is None and not created:
        raise _Unknown  # changed without having been loaded: its old audience is unknown
    after = None if deleted else describe(row)
    entry: Facts = {"kind": kind, "before": before, "after": after}
    if isinstance(row, Snippet):
        template_id = (before or after or {}).get("template_id")
        if template_id is not None:
            entry["template"] = _parent(session, template_id)
    return entry


def _parent(session: Session, template_id: str) -> dict[str, Facts | None]:
    """The parent template's facts before and after (a template snippet is seen with it)."""
    parent = session.get(Template, template_id)
    if parent is None:
        return {"before": None, "after": None}
    now = template_facts(parent)
    return {"before": loaded_facts(parent) or now, "after": now}
