"""The one status of a client's sync, read by footer, tray, tooltip and ``docshelf status``.

The engine publishes complete snapshots; views render them. The snapshot is also
written to ``status.json`` in the home (atomically), so another process — the CLI
asking about a running daemon or desktop app — reads the same answer.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from docshelf.domain.json_text import parse_json
from docshelf.i18n import N_, tr
from docshelf.i18n.formats import format_number, format_percent, format_size


class SyncState(StrEnum):
    NOT_SIGNED_IN = "not_signed_in"
    IDLE = "idle"  # up to date as of last_update
    SYNCING = "syncing"
    OFFLINE = "offline"  # server unreachable since offline_since; cache still usable
    SIGNED_OUT = "signed_out"  # the token was revoked: sign in again
    ERROR = "error"


class HintState(StrEnum):
    """The change-hint stream of a running daemon or desktop app (client/hints.py)."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    OFF = "off"  # hints turned off, not signed in, or no daemon/app running
    UNSUPPORTED = "unsupported"  # the server has no hint stream


class Phase(StrEnum):
    """What a sync does now; the values are keys (status.json), :attr:`label` is for people."""

    CONNECTING = "connecting"
    UPLOADING = "uploading edits"
    CHANGES = "downloading changes"
    FILES = "downloading files"
    RECONCILING = "reconciling"
    CLEANING = "cleaning up"

    @property
    def label(self) -> str:
        """The phase in the current language ("Dateien laden")."""
        return tr(_PHASE_LABELS[self])


_PHASE_LABELS = {
    Phase.CONNECTING: N_("Connecting"),
    Phase.UPLOADING: N_("Uploading edits"),
    Phase.CHANGES: N_("Downloading changes"),
    Phase.FILES: N_("Downloading files"),
    Phase.RECONCILING: N_("Reconciling"),
    Phase.CLEANING: N_("Cleaning up"),
}


class Status(NamedTuple):
    """A named tuple, not a dataclass: ``docshelf status`` reads it, and dataclasses loads
    ``inspect`` (docs/performance.md, command line)."""

    state: SyncState = SyncState.NOT_SIGNED_IN
    last_update: datetime | None = None
    phase: Phase | None = None
    items_done: int = 0
    items_total: int | None = None
    bytes_done: int = 0
    bytes_total: int | None = None
    message: str | None = None
    log_path: str | None = None
    offline_since: datetime | None = None
    next_sync: datetime | None = None
    pending_uploads: int = 0
    conflicts: int = 0
    hints: str = HintState.OFF.value
    last_hint_at: datetime | None = None
    # The process whose hint listener set ``hints``: the status file may be written last by
    # another one (``docshelf sync``), and a listener's state dies with its process.
    hints_pid: int | None = None
    pid: int | None = None  # who published it (a status from a dead process is stale)
    # Filled in by Client.status(): a daemon (or the desktop app) plans syncs now. When
    # none does, ``next_sync`` is None there, whatever the last daemon wrote.
    daemon_running: bool = False
    updated_at: float = 0.0  # set when published

    @property
    def percent(self) -> int | None:
        """How much of the files to download is in, 0–100, if their size is known."""
        if not self.bytes_total:
            return None
        return min(100, self.bytes_done * 100 // self.bytes_total)

    def progress_text(self) -> str | None:
        """The progress of a running sync for people ("Dateien laden 188,5 von 314,6 MB ·
        60 %"), or None when no sync runs."""
        if self.state is not SyncState.SYNCING:
            return None
        phase = self.phase.label if self.phase is not None else tr("Synchronising")
        if self.phase is Phase.FILES and self.bytes_total:
            total = format_size(self.bytes_total)
            return tr(
                "{phase} {done} of {total} · {percent}",
                phase=phase,
                done=_in_unit_of(min(self.bytes_done, self.bytes_total), total),
                total=total,
                percent=format_percent(self.bytes_done, self.bytes_total),
            )
        if self.items_total:
            return tr(
                "{phase} {done} of {total}",
                phase=phase,
                done=format_number(min(self.items_done, self.items_total)),
                total=format_number(self.items_total),
            )
        return phase

    def to_json(self) -> dict[str, Any]:
        data = self._asdict()
        for key in _DATETIMES:
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Status:
        values = dict(data)
        for key in _DATETIMES:
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        values["state"] = SyncState(values.get("state", SyncState.NOT_SIGNED_IN))
        values["phase"] = Phase(values["phase"]) if values.get("phase") else None
        if values.get("hints") not in _HINT_STATES:
            values["hints"] = HintState.OFF.value
        known = set(cls._fields)
        return cls(**{k: v for k, v in values.items() if k in known})

    def hint_fields(self) -> dict[str, Any]:
        """What a fresh status must carry over from this one: the hint listener's part."""
        return {
            "hints": self.hints,
            "last_hint_at": self.last_hint_at,
            "hints_pid": self.hints_pid,
        }

    def with_live_hints(self) -> Status:
        """This status, with hints ``off`` if the process that set them no longer runs."""
        if self.hints == HintState.OFF or _alive(self.hints_pid):
            return self
        return self._replace(hints=HintState.OFF.value)


def _in_unit_of(size: int, total: str) -> str:
    """``size`` as a number in the unit ``total`` is written in ("188,5" of "314,6 MB")."""
    unit = total.rsplit(" ", 1)[-1]
    power = ("B", "KB", "MB", "GB", "TB").index(unit) if unit in ("KB", "MB", "GB", "TB") else 0
    return format_number(size / 1024**power, 1 if power else 0)


_DATETIMES = ("last_update", "offline_since", "next_sync", "last_hint_at")
_HINT_STATES = {state.value for state in HintState}


def _alive(pid: int | None) -> bool:
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, but belongs to someone else
    except OSError:
        return False
    return True


Listener = Callable[[Status], None]


class StatusBoard:
    """Holds the current status, tells listeners, and mirrors it to a file (throttled)."""

    def __init__(self, path: Path | None, initial: Status | None = None) -> None:
        self.path = path
        self._status = initial or (read_status_file(path) if path else None) or Status()
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._written_at = 0.0

    @property
    def status(self) -> Status:
        return self._status

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, status: Status, *, force_write: bool = True) -> Status:
        """Publish ``status`` as a whole, except its hint fields: those belong to the hint
        listener (:meth:`update` only), so a sync's fresh status never undoes them."""
        return self._publish(lambda current: status._replace(**current.hint_fields()), force_write)

    def update(self, *, force_write: bool = False, **changes: Any) -> Status:
        return self._publish(lambda current: current._replace(**changes), force_write)

    def _publish(self, make: Callable[[Status], Status], force_write: bool) -> Status:
        with self._lock:
            # Made under the lock: threads (sync, hint listener) publish at the same time.
            status = make(self._status)._replace(pid=os.getpid(), updated_at=time.time())
            self._status = status
            # Progress comes many times a second; the file needs it a few times at most.
            if self.path is not None and (force_write or time.time() - self._written_at > 0.3):
                write_status_file(self.path, status)
                self._written_at = time.time()
        for listener in list(self._listeners):
            listener(status)
        return status


def write_status_file(path: Path, status: Status) -> None:
    import tempfile  # here: it loads shutil, bz2, lzma; reading needs none

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".status-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(status.to_json(), out)
    os.replace(tmp, path)


def read_status_file(path: Path) -> Status | None:
    try:
        return Status.from_json(parse_json(path.read_text(encoding="utf-8"), str(path)))
    except (OSError, ValueError, TypeError):
        return None
