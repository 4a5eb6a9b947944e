"""The audit log's pure parts: where a change came from, and what it changed.

A change's entries name each object it wrote with the attributes that differ, before and
after (every attribute when the object was created or deleted); :func:`difference` makes
that pair from two snapshots. Values are JSON: strings, numbers, lists and mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Longer references (they are free strings: import ids, mutation ids) are cut.
ORIGIN_REF_MAX = 200


class OriginKind(StrEnum):
    """Through which door a change came in (a code, never shown as is)."""

    API = "api"
    DASHBOARD = "dashboard"
    SYNC = "sync"
    PACKAGE = "package"
    CLI = "cli"
    DEMO = "demo"
    SYSTEM = "system"


@dataclass(frozen=True)
class Origin:
    """Where a change came from; ``ref`` names the import or uploaded edit, if any."""

    kind: OriginKind = OriginKind.SYSTEM
    ref: str | None = None


API = Origin(OriginKind.API)
DASHBOARD = Origin(OriginKind.DASHBOARD)
CLI = Origin(OriginKind.CLI)
DEMO = Origin(OriginKind.DEMO)
SYSTEM = Origin(OriginKind.SYSTEM)


class Action(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


Snapshot = Mapping[str, Any]


def difference(
    before: Snapshot | None, after: Snapshot | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The attributes to record: all of them on a create (``before`` None) or a delete
    (``after`` None), else only those whose values differ (absent counts as None)."""
    if before is None or after is None:
        return (dict(before) if before is not None else None), (
            dict(after) if after is not None else None
        )
    keys = [*before, *(k for k in after if k not in before)]
    changed = [k for k in keys if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in changed}, {k: after.get(k) for k in changed}


def shorten(value: Any, limit: int = 80) -> str:
    """A value as one readable line of at most ``limit`` characters (for tables)."""
    if value is None:
        text = "—"
    elif isinstance(value, bool):
        text = "✓" if value else "✗"
    elif isinstance(value, Mapping):
        text = ", ".join(f"{k}: {shorten(v, limit)}" for k, v in value.items()) or "∅"
    elif isinstance(value, list | tuple):
        text = ", ".join(shorten(v, limit) for v in value) or "∅"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
