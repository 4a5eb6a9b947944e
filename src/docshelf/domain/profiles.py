"""Profiles: a user in an organisational unit, with field overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    id: str
    owner_id: str
    unit_id: str | None
    title: str
    overrides: Mapping[str, str] = field(default_factory=dict)
    # Users who may use the profile as well (deputisation); never edit it.
    shared_with: tuple[str, ...] = ()
