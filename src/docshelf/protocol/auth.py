"""Signing in, who am I, devices."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from docshelf.protocol.types import Password, SignInName, Title


class Strict(BaseModel):
    """Request bodies refuse unknown fields so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class LoginRequest(Strict):
    login: SignInName
    password: Password
    device_name: Title = "unnamed device"
    client_version: str | None = Field(default=None, max_length=64, pattern=r"^[\w.+ -]*$")


class GroupRef(BaseModel):
    id: str
    name: str


class Me(BaseModel):
    id: str
    login: str
    display_name: str
    roles: list[str]
    groups: list[GroupRef]
    fields: dict[str, str]


class DeviceOut(BaseModel):
    id: str
    user_id: str
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None
    client_version: str | None
    last_sync_at: datetime | None
    last_sync_seq: int | None
    last_error: str | None
    last_error_code: str | None = None  # e.g. "offline"; None from clients before 0.1


class LoginResponse(BaseModel):
    token: str
    device: DeviceOut
    user: Me
