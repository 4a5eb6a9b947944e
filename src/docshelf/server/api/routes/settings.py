"""Settings administrators change and clients receive."""

from __future__ import annotations

from fastapi import APIRouter

from docshelf.domain.audit import API
from docshelf.domain.permissions import can_manage_settings, require
from docshelf.domain.settings import SETTINGS
from docshelf.i18n import tr
from docshelf.protocol.admin import SettingsUpdate
from docshelf.protocol.records import SettingRecord
from docshelf.server.api.deps import CurrentActor, State
from docshelf.server.services import settings

router = APIRouter(prefix="/admin", tags=["admin: settings"])


def _records(state: State) -> list[SettingRecord]:
    with state.db.read() as session:
        stored = settings.stored(session)
        return [
            SettingRecord(
                key=key,
                value=stored[key].value if key in stored else spec.default,
                default=spec.default,
                description=spec.description,
                version=stored[key].version if key in stored else 0,
            )
            for key, spec in SETTINGS.items()
        ]


@router.get("/settings", operation_id="list_settings", response_model=list[SettingRecord])
def list_settings(actor: CurrentActor, state: State) -> list[SettingRecord]:
    require(can_manage_settings(actor), tr("Only a system administrator may see all settings."))
    return _records(state)


@router.patch("/settings", operation_id="update_settings", response_model=list[SettingRecord])
def update_settings(body: SettingsUpdate, actor: CurrentActor, state: State) -> list[SettingRecord]:
    """Change several settings at once: all are applied, or none if one is invalid."""
    with state.db.change(actor.login, origin=API) as change:
        for key, value in body.values.items():
            settings.set_value(change, actor, key, value)
    return _records(state)
