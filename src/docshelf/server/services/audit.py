"""Reading the audit log: filters, paging, CSV. Entries are written by db/audit.py.

One filter serves the admin API, the dashboard page and ``docshelf admin audit``. Only
administrators (Sys) may read the log: it names every account's changes.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import InvalidInput
from docshelf.domain.permissions import can_manage_accounts, require
from docshelf.i18n import tr
from docshelf.server.db.models import AuditEntry

CSV_COLUMNS = (
    "seq",
    "at",
    "actor",
    "actor_id",
    "kind",
    "object_id",
    "object_title",
    "action",
    "before",
    "after",
    "origin",
    "origin_ref",
)
# A CSV export holds at most this many entries (newest first); narrow the filter for more.
CSV_MAX = 100_000
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None  # login
    kind: str | None = None
    object: str | None = None  # an id, or part of a title

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.since is not None:
            query = query.where(AuditEntry.at >= self.since)
        if self.until is not None:
            query = query.where(AuditEntry.at < self.until)
        if self.actor:
            query = query.where(AuditEntry.actor == self.actor)
        if self.kind:
            query = query.where(AuditEntry.kind == self.kind)
        if self.object:
            pattern = "%" + self.object.replace("%", r"\%").replace("_", r"\_") + "%"
            query = query.where(
                or_(
                    AuditEntry.object_id == self.object,
                    func.lower(AuditEntry.object_title).like(pattern.lower(), escape="\\"),
                )
            )
        return query


def require_reader(actor: Actor) -> None:
    require(can_manage_accounts(actor), tr("Only a system administrator may read the audit log."))


def entries(
    session: Session, where: AuditFilter, *, limit: int = 100, offset: int = 0
) -> list[AuditEntry]:
    """Newest first."""
    query = where.apply(select(AuditEntry)).order_by(AuditEntry.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def count(session: Session, where: AuditFilter) -> int:
    return int(session.scalar(where.apply(select(func.count(AuditEntry.id)))) or 0)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A moment as typed: a date (2026-12-01), a date and time in ISO form, or a span
    back from now (30m, 12h, 7d, 2w)."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    try:
        if match:
            return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):  # not a moment, or one before the year 1
        raise InvalidInput(
            tr(
                "{text!r} is neither a date (2026-12-01), a time (2026-12-01T08:00) nor a span"
                " such as 12h, 7d or 2w.",
                text=text,
            )
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "actor_id": entry.actor_id,
        "kind": entry.kind,
        "object_id": entry.object_id,
        "object_title": entry.object_title,
        "action": entry.action,
        "before": entry.before,
        "after": entry.after,
        "origin": entry.origin,
        "origin_ref": entry.origin_ref,
    }


def to_csv(rows: Iterable[AuditEntry]) -> str:
    """One line per entry; before and after as JSON (spreadsheets keep them in a cell)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in rows:
        values = as_dict(entry)
        for key in ("before", "after"):
            values[key] = "" if values[key] is None else json.dumps(values[key], ensure_ascii=False)
        writer.writerow(["" if values[c] is None else values[c] for c in CSV_COLUMNS])
    return out.getvalue()
