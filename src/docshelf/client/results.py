"""What a sync did: :class:`SyncResult`, apart from the engine so that the command line can
report a sync (or one that did not run) without loading the engine and its HTTP stack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class SyncResult:
    status: str = "ok"
    downloaded: int = 0  # records stored, new or changed
    deleted: int = 0
    uploaded: int = 0
    conflicts: int = 0  # edits of this sync that met a conflict
    rejected: int = 0  # edits of this sync the server refused
    # Waiting in the outbox after this sync (earlier syncs' too): until the user settles
    # them (`docshelf conflicts`, `docshelf uploads`), those edits are not on the server.
    conflicts_waiting: int = 0
    rejected_waiting: int = 0
    bytes: int = 0
    seconds: float = 0.0
    last_update: datetime | None = None
    error: str | None = None
    error_code: str | None = None
    retry_after: float | None = None
    reconciled: bool = False
    pages: int = 0
    files: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "downloaded": self.downloaded,
            "deleted": self.deleted,
            "uploaded": self.uploaded,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
            "conflicts_waiting": self.conflicts_waiting,
            "rejected_waiting": self.rejected_waiting,
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "last_update": self.last_update.isoformat() if self.last_update else None,
            "error": self.error,
        }
