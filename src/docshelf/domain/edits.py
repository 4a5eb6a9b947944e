"""Edits made offline: what they may touch, how they apply, and when they conflict.

An edit names the attributes it changes by *path*: ``title`` for a plain attribute,
``overrides.phone`` or ``titles.de`` for one entry of a mapping. With each new value it
carries the value the user saw when editing (its *base*). The server applies an edit
when, for every path, the current value is still the base or already the new value;
otherwise that path is in conflict. So two machines editing different fields of one
profile both win, the same field edited to different values is a conflict, and equal
content is never one. Set-valued attributes (share lists, rights) take additions and
removals instead, which never conflict.

The same rules overlay a client's pending edits on its cached records, so what a user
sees offline is what the server will hold once the edits are accepted.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from docshelf.domain.errors import InvalidInput
from docshelf.domain.kinds import kind_label
from docshelf.i18n import tr


class Shape(StrEnum):
    SCALAR = "scalar"
    MAPPING = "mapping"  # edited entry by entry: path "<attribute>.<key>"
    SET = "set"  # edited by additions and removals


class EditKind(StrEnum):
    PROFILE = "profile"
    SNIPPET = "snippet"
    TEMPLATE = "template"
    TEMPLATE_GROUP = "template_group"
    UNIT = "unit"


class Op(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


# What a client may edit per kind. Attributes a record has but that are missing here
# (owner, kind, active, ...) are set by the server or through other means.
EDITABLE: dict[EditKind, dict[str, Shape]] = {
    EditKind.PROFILE: {
        "title": Shape.SCALAR,
        "unit_id": Shape.SCALAR,
        "overrides": Shape.MAPPING,
        "shared_with": Shape.SET,
    },
    EditKind.SNIPPET: {
        "title": Shape.SCALAR,
        "body_sha256": Shape.SCALAR,
        "body_format": Shape.SCALAR,
        "read_rights": Shape.SET,
        "write_rights": Shape.SET,
    },
    EditKind.TEMPLATE: {
        "titles": Shape.MAPPING,
        "descriptions": Shape.MAPPING,
        "status": Shape.SCALAR,
        "group_id": Shape.SCALAR,
        "order": Shape.SCALAR,
        "use_rights": Shape.SET,
        "change_rights": Shape.SET,
        "files": Shape.MAPPING,
    },
    EditKind.TEMPLATE_GROUP: {
        "titles": Shape.MAPPING,
        "parent_id": Shape.SCALAR,
        "order": Shape.SCALAR,
    },
    EditKind.UNIT: {
        "title": Shape.SCALAR,
        "parent_id": Shape.SCALAR,
        "fields": Shape.MAPPING,
        "order": Shape.SCALAR,
    },
}
# Attributes only a creation sets (a snippet's kind and template cannot change later).
CREATE_ONLY: dict[EditKind, frozenset[str]] = {
    EditKind.SNIPPET: frozenset({"kind", "template_id"}),
}
# Template files are mappings of language to {"sha256", "size", "filename"}; two are
# the same file when their hashes are equal, whatever the name.
_FILE_MAPPINGS = frozenset({(EditKind.TEMPLATE, "files")})


@dataclass(frozen=True)
class Edit:
    """One edit of one record, as queued by a client and judged by the server."""

    kind: EditKind
    op: Op
    target: str
    set: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    add: dict[str, list[str]] = field(default_factory=dict)
    remove: dict[str, list[str]] = field(default_factory=dict)


def split_path(kind: EditKind, path: str) -> tuple[str, str | None]:
    """``"overrides.phone"`` → ``("overrides", "phone")``, checked against what is editable."""
    attribute, dot, key = path.partition(".")
    shape = EDITABLE[kind].get(attribute)
    if shape is None:
        if attribute in CREATE_ONLY.get(kind, frozenset()) and not dot:
            return attribute, None
        raise InvalidInput(
            tr(
                "A {value} has no attribute {attribute!r} that can be edited.",
                value=kind_label(kind.value),
                attribute=attribute,
            )
        )
    if shape is Shape.MAPPING and (not dot or not key):
        raise InvalidInput(
            tr("Name one entry of {attribute!r}, as in '{attribute}.<key>'.", attribute=attribute)
        )
    if shape is not Shape.MAPPING and dot:
        raise InvalidInput(
            tr(
                "{attribute!r} of a {value} has no entries.",
                attribute=attribute,
                value=kind_label(kind.value),
            )
        )
    if shape is Shape.SET:
        raise InvalidInput(
            tr("{attribute!r} is changed by additions and removals, not set.", attribute=attribute)
        )
    return attribute, (key if dot else None)


def check_edit(edit: Edit) -> None:
    """Refuse an edit whose shape doesn't fit its kind and operation."""
    for path in [*edit.set, *edit.base]:
        split_path(edit.kind, path)
    if edit.op is not Op.CREATE:
        created_only = CREATE_ONLY.get(edit.kind, frozenset())
        for path in edit.set:
            if path in created_only:
                raise InvalidInput(
                    tr(
                        "{path!r} is set when the {kind} is created.",
                        path=path,
                        kind=kind_label(edit.kind.value),
                    )
                )
    for attribute in [*edit.add, *edit.remove]:
        if EDITABLE[edit.kind].get(attribute) is not Shape.SET:
            raise InvalidInput(
                tr(
                    "{attribute!r} of a {kind} is not a set.",
                    attribute=attribute,
                    kind=kind_label(edit.kind.value),
                )
            )
    if edit.op is Op.DELETE and (edit.set or edit.add or edit.remove):
        raise InvalidInput(tr("A deletion carries no new values."))


def _comparable(kind: EditKind, attribute: str, value: Any) -> Any:
    if (kind, attribute) in _FILE_MAPPINGS and isinstance(value, Mapping):
        return value.get("sha256")
    return value


def value_at(kind: EditKind, record: Mapping[str, Any], path: str) -> Any:
    """The comparable value at ``path`` of a record (``None`` when absent)."""
    attribute, key = split_path(kind, path)
    value = record.get(attribute)
    if key is not None:
        value = value.get(key) if isinstance(value, Mapping) else None
    return _comparable(kind, attribute, value)


def _new_value(kind: EditKind, path: str, value: Any) -> Any:
    attribute, _ = split_path(kind, path)
    return _comparable(kind, attribute, value)


def conflicts(edit: Edit, current: Mapping[str, Any]) -> dict[str, Any]:
    """The paths at which ``edit`` would overwrite someone else's change, with the
    current (their) value. Empty when the edit applies cleanly.

    A deletion conflicts when anything the user saw differs now, including entries
    someone added since (the user saw them as absent)."""
    if edit.op is Op.DELETE:
        paths = sorted({*edit.base, *all_paths(edit.kind, current)})
        base = {path: edit.base.get(path) for path in paths}
    else:
        paths, base = list(edit.set), edit.base
    theirs: dict[str, Any] = {}
    for path in paths:
        now = value_at(edit.kind, current, path)
        if edit.op is not Op.DELETE and now == _new_value(edit.kind, path, edit.set[path]):
            continue  # already what the user wants: equal content is no conflict
        if path not in base:
            continue  # no base given: the user meant to set it whatever it was
        if now == _new_value(edit.kind, path, base[path]):
            continue
        theirs[path] = _raw_value_at(edit.kind, current, path)
    return theirs


def _raw_value_at(kind: EditKind, record: Mapping[str, Any], path: str) -> Any:
    attribute, key = split_path(kind, path)
    value = record.get(attribute)
    if key is not None:
        value = value.get(key) if isinstance(value, Mapping) else None
    return copy.deepcopy(value)


def apply(edit: Edit, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record with the edit's values set, entries reset (``None``) and set members
    added and removed. Pure: the input is not modified."""
    result = copy.deepcopy(dict(record))
    for path, value in edit.set.items():
        attribute, key = split_path(edit.kind, path)
        if key is None:
            result[attribute] = copy.deepcopy(value)
            continue
        entries = dict(result.get(attribute) or {})
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = copy.deepcopy(value)
        result[attribute] = entries
    for attribute in {*edit.add, *edit.remove}:
        members = list(result.get(attribute) or [])
        members = merge_set(members, edit.add.get(attribute, ()), edit.remove.get(attribute, ()))
        result[attribute] = members
    return result


def merge_set(current: Iterable[str], add: Iterable[str], remove: Iterable[str]) -> list[str]:
    """Additions and removals as set operations, in a stable order."""
    removed = set(remove)
    members = [m for m in current if m not in removed]
    for member in add:
        if member not in members and member not in removed:
            members.append(member)
    return sorted(members)


def base_of(kind: EditKind, record: Mapping[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """The values a user saw at these paths: the base of their edit."""
    return {path: _raw_value_at(kind, record, path) for path in paths}


def all_paths(kind: EditKind, record: Mapping[str, Any]) -> list[str]:
    """Every editable scalar and mapping entry a record holds (a deletion's base)."""
    paths: list[str] = []
    for attribute, shape in EDITABLE[kind].items():
        if shape is Shape.SCALAR:
            paths.append(attribute)
        elif shape is Shape.MAPPING:
            entries = record.get(attribute) or {}
            paths.extend(f"{attribute}.{key}" for key in sorted(entries))
    return paths
