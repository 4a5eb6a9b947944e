"""The registry of server settings that administrators set and clients receive.

One declarative list drives validation, the admin CLI and API, the dashboard
form, what the sync protocol sends to clients, and the documentation.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, NamedTuple

from docshelf.domain.errors import InvalidInput
from docshelf.domain.text import check_language
from docshelf.i18n import tr

MINUTE_MS = 60_000


class SettingSpec(NamedTuple):
    key: str
    default: Any
    description: str
    kind: str  # "duration_ms", "days", "count" (a whole number), "languages" or "boolean"
    minimum: int | None = None
    maximum: int | None = None
    sent_to_clients: bool = True

    def validate(self, value: Any) -> Any:
        if self.kind == "duration_ms":
            return _check_duration(self, value)
        if self.kind == "boolean":
            return _check_boolean(self, value)
        if self.kind == "count":
            return _check_count(self, value)
        if self.kind == "days":
            return _check_days(self, value)
        return _check_languages(self, value)

    def parse(self, text: str) -> Any:
        """Parse a value typed on a command line."""
        if self.kind == "duration_ms":
            try:
                number = int(text.strip().replace("_", ""))
            except ValueError:
                raise InvalidInput(
                    tr(
                        "{key} takes a whole number of milliseconds, not {text!r}.",
                        key=self.key,
                        text=text,
                    )
                ) from None
            # Outside the try: InvalidInput is a ValueError and its range message must survive.
            return self.validate(number)
        if self.kind == "count":
            try:
                number = int(text.strip().replace("_", ""))
            except ValueError:
                raise InvalidInput(
                    tr("{key} takes a whole number, not {text!r}.", key=self.key, text=text)
                ) from None
            return self.validate(number)
        if self.kind == "boolean":
            word = text.strip().lower()
            if word not in _BOOLEAN_WORDS:
                raise InvalidInput(
                    tr("{key} takes true or false, not {text!r}.", key=self.key, text=text)
                )
            return _BOOLEAN_WORDS[word]
        if self.kind == "days":
            try:
                days = int(text.strip())
            except ValueError:
                raise InvalidInput(
                    tr("{key} takes a whole number of days, not {text!r}.", key=self.key, text=text)
                ) from None
            return self.validate(days)
        return self.validate([part.strip() for part in text.split(",") if part.strip()])


def _check_duration(spec: SettingSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            tr(
                "{key} takes a whole number of milliseconds, not {value!r}.",
                key=spec.key,
                value=value,
            )
        )
    lo, hi = spec.minimum or 0, spec.maximum or 0
    if not lo <= value <= hi:
        raise InvalidInput(
            tr(
                "{key} must lie between {lo} ms ({lo_minutes:g} min) and {hi} ms "
                "({hi_minutes:g} min); {value} is outside.",
                key=spec.key,
                lo=lo,
                lo_minutes=lo / MINUTE_MS,
                hi=hi,
                hi_minutes=hi / MINUTE_MS,
                value=value,
            )
        )
    return value


def _check_count(spec: SettingSpec, value: Any) -> int:
    lo, hi = spec.minimum or 0, spec.maximum or 0
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(
            tr(
                "{key} takes a whole number between {lo} and {hi}, not {value!r}.",
                key=spec.key,
                lo=lo,
                hi=hi,
                value=value,
            )
        )
    return value


def _check_days(spec: SettingSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            tr("{key} takes a whole number of days, not {value!r}.", key=spec.key, value=value)
        )
    lo, hi = spec.minimum or 0, spec.maximum or 0
    if not lo <= value <= hi:
        raise InvalidInput(
            tr(
                "{key} must lie between {lo} and {hi} days; {value} is outside.",
                key=spec.key,
                lo=lo,
                hi=hi,
                value=value,
            )
        )
    return value


_BOOLEAN_WORDS = {
    "true": True,
    "on": True,
    "yes": True,
    "1": True,
    "false": False,
    "off": False,
    "no": False,
    "0": False,
}


def _check_boolean(spec: SettingSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(
            tr("{key} takes true or false, not {value!r}.", key=spec.key, value=value)
        )
    return value


def _check_languages(spec: SettingSpec, value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidInput(
            tr("{key} takes a non-empty list of language codes such as de,en.", key=spec.key)
        )
    codes = [check_language(v) for v in value]
    if len(set(codes)) != len(codes):
        raise InvalidInput(tr("{key} names a language twice.", key=spec.key))
    return codes


CLIENT_SYNC_INTERVAL = "ClientSyncInterval"
CLIENT_SYNC_MAX_DELAY_AFTER_START = "ClientSyncMaxDelayAfterStart"
LANGUAGES = "Languages"
CLIENT_HINT_MAX_DELAY = "ClientHintMaxDelay"
CLIENT_HINTS_ENABLED = "ClientHintsEnabled"
VERSION_RETENTION_DAYS = "VersionRetentionDays"
VERSIONS_KEPT = "VersionsKept"
AUDIT_RETENTION_DAYS = "AuditRetentionDays"

SETTINGS: Mapping[str, SettingSpec] = {
    s.key: s
    for s in (
        SettingSpec(
            CLIENT_SYNC_INTERVAL,
            default=15 * MINUTE_MS,
            description="How often clients pull changes, in ms; each wait is shortened by a"
            " random 0-10 % so that clients do not poll in step.",
            kind="duration_ms",
            minimum=1 * MINUTE_MS,
            maximum=24 * 60 * MINUTE_MS,
        ),
        SettingSpec(
            CLIENT_SYNC_MAX_DELAY_AFTER_START,
            default=5 * MINUTE_MS,
            description="Upper bound, in ms, of the random delay before a client's first sync"
            " after it starts, so that a whole company starting its PCs at once does not hit"
            " the server together. A client with an empty cache syncs at once.",
            kind="duration_ms",
            minimum=0,
            maximum=2 * 60 * MINUTE_MS,
        ),
        SettingSpec(
            CLIENT_HINT_MAX_DELAY,
            default=5_000,
            description="Upper bound, in ms, of the random delay a client waits after a change"
            " hint before it syncs, so that a change seen by many clients spreads their syncs"
            " over a window instead of arriving in one second. The server widens the window"
            " when a change wakes many clients at once.",
            kind="duration_ms",
            minimum=0,
            maximum=10 * MINUTE_MS,
        ),
        SettingSpec(
            CLIENT_HINTS_ENABLED,
            default=True,
            description="Whether online clients hold a hint connection and learn of a change"
            " within seconds; off, every client syncs on ClientSyncInterval alone.",
            kind="boolean",
        ),
        SettingSpec(
            LANGUAGES,
            default=["de", "en"],
            description="Languages templates and snippets are offered in, first one the default.",
            kind="languages",
        ),
        SettingSpec(
            VERSION_RETENTION_DAYS,
            default=365,
            description="Days the version history keeps an old version of a template or"
            " snippet (and so its files); older ones are dropped by the hourly housekeeping,"
            " except the newest VersionsKept of each object that still exists.",
            kind="days",
            minimum=1,
            maximum=36_500,
            sent_to_clients=False,
        ),
        SettingSpec(
            VERSIONS_KEPT,
            default=10,
            description="Versions of each existing template and snippet the version history"
            " keeps however old they are (the current version counts as one).",
            kind="count",
            minimum=1,
            maximum=1_000,
            sent_to_clients=False,
        ),
        SettingSpec(
            AUDIT_RETENTION_DAYS,
            default=365,
            description="How many days the server keeps audit log entries; 0 keeps them for"
            " ever. Older entries are removed by the hourly housekeeping.",
            kind="days",
            minimum=0,
            maximum=36_500,
            sent_to_clients=False,
        ),
    )
}


def spec_for(key: str) -> SettingSpec:
    spec = SETTINGS.get(key)
    if spec is None:
        known = ", ".join(SETTINGS)
        raise InvalidInput(
            tr("There is no setting {key!r}; known settings are {known}.", key=key, known=known)
        )
    return spec


def effective_settings(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values over defaults, for every registered setting."""
    # Copies, so that a caller changing a list can't change the registry's default.
    return {key: copy.deepcopy(stored.get(key, spec.default)) for key, spec in SETTINGS.items()}
