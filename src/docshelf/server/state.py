"""Everything a request handler needs, built once per process by the app factory."""

from __future__ import annotations

from dataclasses import dataclass, field

from docshelf.server.blobstore import BlobStore, open_blob_store
from docshelf.server.config import ServerSettings
from docshelf.server.db.engine import Database
from docshelf.server.hints.hub import Hub
from docshelf.server.hints.source import batch_reader
from docshelf.server.services.auth import Throttle
from docshelf.server.services.passwords import Passwords
from docshelf.server.sync.activity import SyncCounter


@dataclass
class ServerState:
    settings: ServerSettings
    db: Database
    blobs: BlobStore
    passwords: Passwords
    throttle: Throttle
    activity: SyncCounter = field(default_factory=SyncCounter)
    # The change hints' streams of this process (server/hints).
    hints: Hub = field(init=False)

    def __post_init__(self) -> None:
        self.hints = Hub(
            batch_reader(self.db), syncs_per_second=self.settings.hint_syncs_per_second
        )

    @classmethod
    def build(cls, settings: ServerSettings, db: Database | None = None) -> ServerState:
        return cls(
            settings=settings,
            db=db or Database(settings.resolved_database_url()),
            blobs=open_blob_store(settings.resolved_blob_store(), endpoint=settings.s3_endpoint),
            passwords=Passwords(
                settings.password_time_cost,
                settings.password_memory_kib,
                settings.max_password_checks,
            ),
            throttle=Throttle(settings.login_free_failures, settings.login_max_lockout_seconds),
        )
