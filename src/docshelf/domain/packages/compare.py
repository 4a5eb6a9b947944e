"""Comparing a package's objects with the server's: each as the state the server would
store, so that equal means "importing changes nothing"."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from docshelf.domain.accounts import Actor, Role
from docshelf.domain.errors import DocshelfError
from docshelf.domain.packages.manifest import (
    Entry,
    FieldEntry,
    GroupEntry,
    SnippetEntry,
    TemplateEntry,
    UnitEntry,
)
from docshelf.domain.packages.problems import lower_first
from docshelf.domain.principals import user_principal
from docshelf.domain.snippets import SnippetKind
from docshelf.domain.templates import PublicationStatus, Template

State = dict[str, object]


class Action(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlannedItem:
    kind: str
    id: str
    title: str
    action: Action
    # The attributes that differ (``files.de``, ``titles``, ...); empty unless changed.
    changes: tuple[str, ...] = ()


def _pairs(mapping: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(mapping.items()))


def _rights(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def group_state(*, parent_id: str | None, titles: Mapping[str, str], order: int) -> State:
    return {"parent_id": parent_id, "titles": _pairs(titles), "order": order}


def template_state(
    *,
    group_id: str | None,
    kind: str,
    status: str,
    active: bool,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str],
    use_rights: Iterable[str],
    change_rights: Iterable[str],
    order: int,
    files: Mapping[str, tuple[str, str]],
) -> State:
    """``files``: language → (SHA-256, file name)."""
    state: State = {
        "group_id": group_id,
        "kind": kind,
        "status": status,
        "active": active,
        "titles": _pairs(titles),
        "descriptions": _pairs(descriptions),
        "use_rights": _rights(use_rights),
        "change_rights": _rights(change_rights),
        "order": order,
    }
    for lang, file in files.items():
        state[f"files.{lang}"] = file
    return state


def snippet_state(
    *,
    kind: str,
    title: str,
    template_id: str | None,
    read_rights: Iterable[str],
    write_rights: Iterable[str],
    body_sha256: str | None,
    body_format: str,
) -> State:
    return {
        "kind": kind,
        "title": title,
        "template_id": template_id,
        "read_rights": _rights(read_rights),
        "write_rights": _rights(write_rights),
        "body": body_sha256,
        "body_format": body_format,
    }


def field_state(*, scope: str, type: str, labels: Mapping[str, str], order: int) -> State:
    return {"scope": scope, "type": type, "labels": _pairs(labels), "order": order}


def unit_state(
    *,
    parent_id: str | None,
    title: str,
    fields: Mapping[str, str],
    assignable_by: Iterable[str] | None,
    order: int,
) -> State:
    return {
        "parent_id": parent_id,
        "title": title,
        "fields": _pairs(fields),
        "assignable_by": None if assignable_by is None else _rights(assignable_by),
        "order": order,
    }


def with_author(actor: Actor, change_rights: Iterable[str]) -> tuple[str, ...]:
    """A template's Change right as the server stores it when ``actor`` writes it: a
    layouter always keeps the right to go on editing what they imported (as on creation)."""
    rights = set(change_rights)
    if not actor.is_sys and actor.has_role(Role.LAYOUTER) and not actor.holds(rights):
        rights.add(user_principal(actor.user_id))
    return _rights(rights)


def desired_template(entry: TemplateEntry, actor: Actor) -> State:
    return template_state(
        group_id=entry.group_id,
        kind=entry.kind,
        status=entry.status,
        active=True,
        titles=entry.titles,
        descriptions=entry.descriptions,
        use_rights=entry.use_rights,
        change_rights=with_author(actor, entry.change_rights),
        order=entry.order,
        files={lang: (f.file.sha256, f.filename) for lang, f in entry.files.items()},
    )


def as_template(entry: TemplateEntry, actor: Actor) -> Template:
    """The template as it will be once imported, for the permission rules."""
    return Template(
        id=entry.id,
        group_id=entry.group_id,
        kind=entry.kind,
        status=PublicationStatus(entry.status),
        use_rights=entry.use_rights,
        change_rights=with_author(actor, entry.change_rights),
        titles=entry.titles,
        descriptions=entry.descriptions,
    )


def desired_snippet(entry: SnippetEntry, actor: Actor) -> State:
    readers: tuple[str, ...] = ()
    writers: tuple[str, ...] = ()
    if entry.kind == SnippetKind.SHARED:
        # As the server creates shared snippets: everyone reads unless told otherwise, and
        # the author (unless Sys) keeps the right to edit what they shared.
        readers = entry.read_rights or ("*",)
        writers = entry.write_rights
        if not actor.is_sys:
            writers = (*writers, user_principal(actor.user_id))
    return snippet_state(
        kind=entry.kind,
        title=entry.title,
        template_id=entry.template_id,
        read_rights=readers,
        write_rights=writers,
        body_sha256=entry.body.sha256 if entry.body is not None else None,
        body_format=entry.body_format,
    )


def desired_field(entry: FieldEntry) -> State:
    return field_state(scope=entry.scope, type=entry.type, labels=entry.labels, order=entry.order)


def desired_group(entry: GroupEntry) -> State:
    return group_state(parent_id=entry.parent_id, titles=entry.titles, order=entry.order)


def desired_unit(entry: UnitEntry) -> State:
    return unit_state(
        parent_id=entry.parent_id,
        title=entry.title,
        fields=entry.fields,
        assignable_by=entry.assignable_by,
        order=entry.order,
    )


_ABSENT = object()


def compare(desired: State, current: State | None) -> tuple[Action, tuple[str, ...]]:
    """Added, changed (and which attributes) or unchanged."""
    if current is None:
        return Action.ADDED, ()
    keys = sorted(set(desired) | set(current))
    changes = tuple(k for k in keys if desired.get(k, _ABSENT) != current.get(k, _ABSENT))
    return (Action.CHANGED, changes) if changes else (Action.UNCHANGED, ())


# What a package may not change about an object that exists already.
FIXED_ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "template": ("kind",),
    "snippet": ("kind", "template_id"),
    "field": ("scope", "type"),
}


def title_of(entry: Entry) -> str:
    if isinstance(entry, GroupEntry | TemplateEntry):
        return next(iter(entry.titles.values()), entry.id)
    if isinstance(entry, FieldEntry):
        return next(iter(entry.labels.values()), entry.key)
    return entry.title


def plan_digest(package_sha256: str, items: Iterable[PlannedItem]) -> str:
    """Names one plan: the package and what it would change. An import given the digest of
    its preview applies only if the server would still make exactly those changes."""
    rows = [[i.kind, i.id, i.action.value, list(i.changes)] for i in items]
    raw = json.dumps([package_sha256, rows], separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def describe_error(exc: DocshelfError, entry: Entry) -> str:
    """A service's refusal, pointed at the package object it concerns."""
    return f"{entry.where} ({title_of(entry)!r}): {lower_first(exc.message.rstrip('.'))}"
