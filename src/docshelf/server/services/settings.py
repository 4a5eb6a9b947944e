"""Settings administrators change and clients receive."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session

from docshelf.domain.accounts import Actor
from docshelf.domain.permissions import can_manage_settings, require
from docshelf.domain.settings import effective_settings, spec_for
from docshelf.i18n import tr
from docshelf.server.db.engine import Change
from docshelf.server.db.models import Setting


def stored(session: Session) -> dict[str, Setting]:
    return {row.key: row for row in session.scalars(select(Setting))}


_settings = Setting.__table__


def current(session: Session) -> dict[str, Any]:
    return effective_settings({k: row.value for k, row in stored(session).items()})


def stored_value(key: str) -> ScalarSelect[Any]:
    """A setting's stored value, NULL if it was never set: to read in a larger statement."""
    return select(_settings.c.value).where(_settings.c.key == key).scalar_subquery()


def set_value(change: Change, actor: Actor, key: str, value: Any) -> Any:
    require(can_manage_settings(actor), tr("Only a system administrator may change settings."))
    spec = spec_for(key)
    value = spec.validate(value)
    row = change.session.get(Setting, key)
    if row is None:
        change.session.add(Setting(key=key, value=value, version=1, seq=change.seq))
    elif row.value != value:
        row.value = value
        change.touch(row)
    return value
