"""Uploading the outbox: files first (only those the server lacks), then the edits in
the order they were made, then each answer stored durably.

A batch's answers are committed in one transaction. Killed before that, the edits are
still pending and go up again under the same mutation ids; the server recognises them
and answers as the first time, so nothing is applied twice (architecture property 5).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import IO, Protocol, TypeVar

from docshelf.client.errors import MissingFile, ProtocolMismatch, RemoteError
from docshelf.client.files import FileStore
from docshelf.client.outbox import EditState, Outbox, OutboxEntry
from docshelf.client.remote import Remote
from docshelf.client.status import Phase, StatusBoard, SyncState
from docshelf.client.store import LocalStore
from docshelf.i18n import tr
from docshelf.protocol.mutations import MAX_MUTATIONS, MutationResult, Outcome

log = logging.getLogger("docshelf.client.push")
# Answers to an upload that say "ask where we are and continue from there".
_OUT_OF_STEP = ("upload_busy", "wrong_offset")
_OUT_OF_STEP_RETRIES = 5
T = TypeVar("T")


class Retry(Protocol):
    """Calls a request again while the server says it is busy (the engine's policy)."""

    def __call__(self, call: Callable[[], T], /) -> T: ...


class PushCounts:
    def __init__(self) -> None:
        self.applied = 0
        self.conflicts = 0
        self.rejected = 0
        self.bytes = 0


class Pusher:
    def __init__(
        self,
        store: LocalStore,
        files: FileStore,
        remote: Remote,
        board: StatusBoard,
        retry: Retry,
        batch: int = 50,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._sleep = sleep
        self.store = store
        self.files = files
        self.remote = remote
        self.board = board
        self._retry = retry
        self._batch = min(batch, MAX_MUTATIONS)

    def push(self) -> PushCounts:
        counts = PushCounts()
        pending = self.store.outbox.entries([EditState.PENDING])
        for start in range(0, len(pending), self._batch):
            batch = pending[start : start + self._batch]
            self._progress(start, len(pending))
            self._send_files(batch, counts)
            wire = [entry.to_wire() for entry in batch]
            answer = self._retry(partial(self.remote.mutations, wire))
            if len(answer.results) != len(batch):
                raise ProtocolMismatch(tr("The server answered a batch of edits incompletely."))
            self._store_answers(batch, answer.results, counts)
        if pending:
            self._progress(len(pending), len(pending))
        return counts

    def _send_files(self, batch: list[OutboxEntry], counts: PushCounts) -> None:
        for sha in sorted({sha for entry in batch for sha in entry.files}):
            offset, complete = self._retry(partial(self.remote.upload_state, sha))
            if complete:
                continue
            if not self.files.has(sha):
                # Gone from the file store (deleted by hand?): the edit can't go up as made.
                raise MissingFile(
                    tr(
                        "The file {file}… of an upload is missing from the local copy; discard"
                        " that upload (`docshelf uploads`) and make the edit again.",
                        file=sha[:12],
                    )
                )
            sent = self._upload(sha, offset)
            counts.bytes += sent
            log.info("file uploaded", extra={"event": "upload", "sha256": sha, "bytes": sent})

    def _upload(self, sha: str, offset: int) -> int:
        """Send what the server lacks of one file; returns the bytes sent."""
        size = self.files.size(sha)
        calls = 0

        def send(source: IO[bytes]) -> None:
            nonlocal offset, calls
            calls += 1
            if calls > 1:
                # Asked again after an attempt broke off: go on from what the server kept.
                offset, _ = self.remote.upload_state(sha)
                if offset >= size:
                    offset = 0
            self.remote.upload_file(sha, source, size, offset)

        for attempt in range(_OUT_OF_STEP_RETRIES + 1):
            if offset >= size:
                offset = 0  # the server kept all of it yet didn't finish: send it whole
            try:
                with self.files.open(sha) as source:
                    self._retry(partial(send, source))
                return size - offset
            except RemoteError as exc:
                # The server may still be writing what a broken connection delivered, or
                # kept a different amount than it said: ask again, shortly.
                if exc.remote_code not in _OUT_OF_STEP or attempt == _OUT_OF_STEP_RETRIES:
                    raise
                self._sleep(0.2 * 2**attempt)
                offset, _ = self._retry(partial(self.remote.upload_state, sha))
        raise AssertionError("unreachable")

    def _store_answers(
        self, batch: list[OutboxEntry], results: list[MutationResult], counts: PushCounts
    ) -> None:
        with self.store.transaction() as db:
            box = Outbox(db)
            for entry, result in zip(batch, results, strict=True):
                if result.id != entry.id:
                    raise ProtocolMismatch(tr("The server answered edits out of order."))
                if result.outcome is Outcome.APPLIED:
                    box.applied(entry.id, result.version)
                    counts.applied += 1
                elif result.outcome is Outcome.CONFLICT:
                    box.conflict(entry.id, result.theirs)
                    counts.conflicts += 1
                else:
                    box.rejected(entry.id, result.code, result.reason)
                    counts.rejected += 1
                log.info(
                    "edit uploaded",
                    extra={
                        "event": "edit",
                        "mutation": entry.id,
                        "kind": entry.edit.kind.value,
                        "target": entry.edit.target,
                        "outcome": result.outcome.value,
                        "reason": result.reason,
                    },
                )

    def _progress(self, done: int, total: int) -> None:
        self.board.update(
            state=SyncState.SYNCING,
            phase=Phase.UPLOADING,
            items_done=done,
            items_total=total,
            bytes_done=0,
            bytes_total=None,
            message=None,
            force_write=True,
        )
