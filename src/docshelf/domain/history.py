"""Comparing two kept versions of a template or snippet (pure: snapshots in, a diff out).

A snapshot is the plain dict server/db/versions.py keeps per version: a template's
titles, descriptions, group, status, active, rights, order and files per language
(``{lang: {sha256, filename, size}}``); a snippet's title, rights, body (its file's
hash and size) and body format. Attributes are compared one by one; a template's files
language by language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Not compared on their own: the files have their own comparison, a body's size
# follows its hash.
_NOT_ATTRIBUTES = frozenset({"files", "body_size"})


@dataclass(frozen=True)
class AttributeChange:
    name: str
    before: Any
    after: Any


@dataclass(frozen=True)
class FileChange:
    lang: str
    change: str  # "added", "removed" or "changed"
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class SnapshotDiff:
    attributes: list[AttributeChange] = field(default_factory=list)
    files: list[FileChange] = field(default_factory=list)
    # What a restore does beyond the differences (re-creating a deleted object, a group
    # that is gone): sentences for the person, in their language.
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.attributes and not self.files


def _same(a: Any, b: Any) -> bool:
    # Rights are sets: their order is no change.
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(a == b)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> SnapshotDiff:
    """What changed from ``before`` to ``after``, attribute by attribute."""
    names = sorted((set(before) | set(after)) - _NOT_ATTRIBUTES)
    attributes = [
        AttributeChange(name, before.get(name), after.get(name))
        for name in names
        if not _same(before.get(name), after.get(name))
    ]
    return SnapshotDiff(attributes=attributes, files=_files(before, after))


def _files(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FileChange]:
    old: Mapping[str, Any] = before.get("files") or {}
    new: Mapping[str, Any] = after.get("files") or {}
    changes: list[FileChange] = []
    for lang in sorted(set(old) | set(new)):
        a, b = old.get(lang), new.get(lang)
        if a is None:
            changes.append(FileChange(lang, "added", None, b))
        elif b is None:
            changes.append(FileChange(lang, "removed", a, None))
        elif a.get("sha256") != b.get("sha256") or a.get("filename") != b.get("filename"):
            changes.append(FileChange(lang, "changed", a, b))
    return changes
