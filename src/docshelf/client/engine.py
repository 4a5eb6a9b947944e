"""The sync engine: one cycle of pulling what changed into the local cache.

Driven by the CLI, the daemon and the desktop app alike (through
:class:`docshelf.client.app.Client`, which also takes the home's sync lock). The
decisions come from :mod:`docshelf.client.planner`; this module carries them out
against the server (:mod:`remote`), the cache (:mod:`store`) and the file store.
"""

from __future__ import annotations

import gc
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeGuard, TypeVar

import httpx

from docshelf.client import documents
from docshelf.client.config import PAGE_SIZE
from docshelf.client.downloads import PARALLEL_DOWNLOADS, Batch, Downloader, Look
from docshelf.client.errors import (
    DownloadIncomplete,
    OutdatedFiles,
    ProtocolMismatch,
    RemoteError,
    ServerBusy,
    ServerUnreachable,
    SyncRestart,
)
from docshelf.client.files import FileStore
from docshelf.client.keys import CURSOR, SETTINGS
from docshelf.client.outbox import Outbox
from docshelf.client.planner import (
    Key,
    Local,
    PagePlan,
    Upsert,
    image_field_keys,
    plan_manifest,
    plan_page,
    referenced_files,
)
from docshelf.client.push import Pusher
from docshelf.client.read_ahead import ReadAhead, pages_ahead, pages_within
from docshelf.client.remote import Remote, UnreadPage
from docshelf.client.results import SyncResult as SyncResult  # re-exported
from docshelf.client.status import Phase, StatusBoard, SyncState
from docshelf.client.store import LocalStore
from docshelf.i18n import ntr, tr
from docshelf.protocol.sync import Change, ChangesPage, SyncSettings

log = logging.getLogger("docshelf.client.sync")
T = TypeVar("T")

RECONCILE = "reconcile"
GENERATION = "generation"
# Present while every stored file is needed by some record, so that a pull need only check
# the files it may orphan itself; removed before a pull may leave files behind.
FILES_CLEAN = "files_clean"
RECORDS_BATCH = 500
# Pages planned ahead of the one whose files are awaited, and the records they hold at most
# (about 10 MB as planned: their records' JSON, not their objects).
STAGED_PAGES = 64
STAGED_RECORDS = 32_000
# The first page a pull reads ahead: see SyncEngine._pages_after.
FIRST_PAGE = 500
# While waiting for the next page, how often to store the pages whose files came meanwhile.
_STORE_WHILE_WAITING_S = 0.1
# Records a page listed but left out because the server no longer serves their files,
# waiting for a newer version of them in the feed (see SyncEngine._store).
OWED = "owed"
# How often a pull polls the feed again, after its end, for the newer versions of records
# whose files turned outdated. The change that made a file unreadable is committed before
# the server refuses the file, so the first poll brings it; the others are a margin.
OWED_POLLS = 3
# The cyclic garbage collector's first threshold during a pull. Every record of a page is a
# few young dicts, so at Python's default (700 allocations) the collector ran every few
# records and took 7 % of a first sync's CPU (3.7 % at this); the records form no cycles,
# reference counting frees them, so collecting less often holds back little memory.
PULL_GC_THRESHOLD = 50_000


@dataclass
class _Progress:
    items_done: int = 0
    items_total: int | None = None
    bytes_done: int = 0
    bytes_total: int = 0
    sizes: dict[str, int] = field(default_factory=dict)


@dataclass
class _Staged:
    """A page planned, its files queued, not stored yet. Of the page only what storing it
    needs is kept (the plan holds the records' JSON), not the page's records as objects:
    many pages wait like this while the files of the first ones download."""

    cursor: str
    settings: SyncSettings
    keys: list[Key]  # every record the page listed
    plan: PagePlan
    local: dict[Key, Local]  # what the cache held of its records when it was planned
    image_keys: set[str]  # the image fields known once it is stored
    new_image_keys: set[str]  # of those, the ones it brought
    files: set[str]  # the files it waits for
    batch: Batch | None
    # The tags of its template files, found as they were stored (documents.file_tags).
    tags: dict[str, list[str]] = field(default_factory=dict)

    def finish_files(self, result: SyncResult, on_bytes: Callable[[int], None]) -> None:
        """Wait until the page's files are stored."""
        if self.batch is not None:
            # Kept until it succeeded: a page whose files failed is never taken as stored.
            result.files += self.batch.wait(on_bytes)
            found = self.batch.found()
            self.batch = None
            self.tags = {sha: tags for sha, tags in found.items() if _is_tags(tags)}

    def files_in(self) -> bool:
        """Whether finish_files would return at once (or raise: it is to be called then)."""
        return self.batch is None or self.batch.ready()

    def lay_over(self, overlay: dict[Key, Local | None]) -> None:
        """Note what later pages' records will find in the cache once this page is stored."""
        for upsert in self.plan.upserts:
            overlay[upsert.key] = Local(upsert.version, upsert.hash)
        for key in self.plan.removes:
            overlay[key] = None


class SyncEngine:
    def __init__(
        self,
        store: LocalStore,
        files: FileStore,
        remote: Remote,
        board: StatusBoard,
        *,
        page_size: int = PAGE_SIZE,
        sleep: Callable[[float], None] = time.sleep,
        rnd: random.Random | None = None,
        max_busy_wait: float = 120.0,
        parallel_downloads: int = PARALLEL_DOWNLOADS,
    ) -> None:
        self.store = store
        self.files = files
        self.remote = remote
        self.board = board
        self.page_size = page_size
        self._staged_pages = pages_within(STAGED_RECORDS, page_size, STAGED_PAGES)
        self._sleep = sleep
        self._rnd = rnd or random.Random()
        self._max_busy_wait = max_busy_wait
        # 1: one file after the other, in a fixed order (the seeded simulation needs that),
        # and no page asked for before the last one is stored.
        self._downloads = Downloader(
            files,
            remote.fetch_file,
            self._busy_retry,
            parallel_downloads,
            fetch_pack=remote.fetch_pack if parallel_downloads > 1 else None,
        )
        self._prefetch = parallel_downloads > 1
        self._owed = _Owed()
        # What the pages planned but not stored yet make of the cache (None: removed).
        self._overlay: dict[Key, Local | None] = {}

    # --- the cycle -----------------------------------------------------------------------

    def push(self, result: SyncResult) -> None:
        """Upload the outbox; the answers are stored before the pull starts."""
        counts = Pusher(
            self.store, self.files, self.remote, self.board, self._busy_retry, sleep=self._sleep
        ).push()
        result.uploaded += counts.applied
        result.conflicts += counts.conflicts
        result.rejected += counts.rejected
        result.bytes += counts.bytes

    def forget_applied(self) -> None:
        """After a complete pull the cache holds every accepted edit: drop them from the outbox."""
        with self.store.transaction() as db:
            released = Outbox(db).forget_applied()
        if released:
            self.files.remove(set(released) - self.store.still_referenced(released))

    def pull(self, result: SyncResult) -> None:
        """Pull until the cache holds the server's current view for this user."""
        progress = _Progress()
        image_keys = image_field_keys(self.store.records("field"))
        # Files this pull may leave unneeded: old versions' files and the ones it downloads.
        self._loose: set[str] = set()
        self._fields_changed = False
        # The image fields file_refs follow (kept so at every commit: see _store).
        self._indexed_keys = image_keys
        # A new cache, or a pull that stopped before its clean-up, owes a full one.
        owed = self.store.get(FILES_CLEAN) is None
        # Left out by an earlier pull that was interrupted before the newer versions came.
        self._owed = _load_owed(self.store.get_json(OWED))
        self._phase(Phase.CONNECTING, progress)
        with _fewer_collections():
            self._pull(result, progress, image_keys, owed)

    def _pull(
        self, result: SyncResult, progress: _Progress, image_keys: set[str], owed: bool
    ) -> None:
        self._pull_feed(result, progress, image_keys)
        for _ in range(OWED_POLLS):
            if not self._owed.keys:
                break
            # Files turned outdated during this pull: their records' newer versions are in
            # the feed after the cursor now (see _store); read it again to its end.
            log.info("polling again for outdated files", extra={"event": "owed_poll"})
            self._pull_feed(result, progress, image_field_keys(self.store.records("field")))
        self._phase(Phase.CLEANING, progress)
        self._clean_files(owed or result.reconciled or self._fields_changed)
        if self._owed.keys:
            raise _unresolved(self._owed.keys)

    def _pull_feed(self, result: SyncResult, progress: _Progress, image_keys: set[str]) -> None:
        """Store the feed's pages from the cache's cursor to the feed's end."""
        # Pages are pipelined: while one is stored (its files downloaded), the next one is
        # planned with its files queued (the downloads never pause), and a few after it are
        # asked for (read_ahead: the server builds them meanwhile). Pages are stored in
        # order, each once its files are, so a kill costs at most these uncommitted pages,
        # never a committed one.
        reader: ReadAhead | None = None
        # Planned and waiting for their files, oldest first; stored in order.
        pending: list[_Staged] = []
        self._overlay = {}
        try:
            while True:
                reconcile = self.store.get_json(RECONCILE)
                if reconcile is not None:
                    self._reconcile(reconcile, result, progress, image_keys)
                    image_keys = image_field_keys(self.store.records("field"))
                    continue
                page, reader = self._read(reader, pending, result, progress)
                result.pages += 1
                if page.reset:
                    log.info("reconciling", extra={"event": "reset", "reason": page.reset_reason})
                    self._store(pending, result, progress)
                    self._start_reconcile(page)
                    if reader is not None:
                        # It stopped at the reset; after the reconciliation a new one starts
                        # from the cursor that reconciliation leaves.
                        reader.close()
                        reader = None
                    continue
                staged = self._stage(page, pending, result, progress, image_keys)
                if staged.new_image_keys:
                    # Held records may use these fields: they must be stored to be read,
                    # and this page's files be in (the catch-up may want the same ones).
                    self._store(pending, result, progress)
                    staged.finish_files(result, self._on_bytes(result, progress))
                    self._catch_up_files(staged.new_image_keys, result, progress)
                image_keys = staged.image_keys
                pending.append(staged)
                if self._prefetch and page.has_more:
                    # The pages whose files are in go now; the others wait while the next
                    # pages are planned (the first pages of a first sync name nearly every
                    # file: planning the rest meanwhile keeps the records off the critical
                    # path). Waiting here only when too many pages are planned ahead.
                    self._store(pending, result, progress, block=len(pending) > self._staged_pages)
                else:
                    self._store(pending, result, progress)
                if not page.has_more:
                    break
        finally:
            # After a failure: stop what is still queued; its partial files stay for later.
            if reader is not None:
                reader.close()
            self._downloads.close()

    def _read(
        self,
        reader: ReadAhead | None,
        pending: list[_Staged],
        result: SyncResult,
        progress: _Progress,
    ) -> tuple[ChangesPage, ReadAhead | None]:
        """The next page: asked for now, or from the pages read ahead (reading from the
        cache's cursor on when none are). While it is on its way, the pages whose files are
        in are stored: a page slow to come (a busy server, a slow line) holds back no commit
        that could be made, nor the progress the user sees.

        If reading fails, the pages before it are stored first when their files come: they
        are whole, and the next sync goes on after them. If storing them fails (a file), that
        failure is raised as it is: the page whose file failed must not be tried again.
        """
        if not self._prefetch:
            cursor = self.store.get(CURSOR)
            return self._reading(lambda: self._next_page(cursor), pending, result, progress), None
        if reader is None:
            reader = ReadAhead(
                self._pages_after(), self.store.get(CURSOR), pages_ahead(self.page_size)
            )
        ahead = reader
        while pending:
            page = self._reading(
                lambda: ahead.poll(_STORE_WHILE_WAITING_S), pending, result, progress
            )
            if page is not None:
                return page, reader
            self._store(pending, result, progress, block=False)
        return self._reading(reader.next, pending, result, progress), reader

    def _reading(
        self, read: Callable[[], T], pending: list[_Staged], result: SyncResult, progress: _Progress
    ) -> T:
        """``read()``; if it fails, the pages before are stored when their files are in."""
        try:
            return read()
        except Exception:
            try:
                self._store(pending, result, progress)
            except Exception:  # the first failure is the one to report
                log.info("pages before a failure not stored", exc_info=True)
            raise

    def _next_page(self, cursor: str | None) -> ChangesPage:
        return self._busy_retry(lambda: self.remote.changes(cursor, self.page_size))

    def _pages_after(self) -> Callable[[str | None], UnreadPage]:
        """Reads the feed's pages for the read-ahead: the first one at most FIRST_PAGE long,
        the others of the page size. Nothing else can start before the first page is in
        (its files, the pages after it), and a long page takes the server longer to build;
        later pages are read while earlier ones are worked on."""
        sizes = iter([min(FIRST_PAGE, self.page_size)])

        def next_unread(cursor: str | None) -> UnreadPage:
            limit = next(sizes, self.page_size)
            return self._busy_retry(lambda: self.remote.changes_unread(cursor, limit))

        return next_unread

    def _clean_files(self, everything: bool) -> None:
        """Delete the files no record needs any more.

        Normally only the files this pull may have orphaned are looked up (in file_refs), so
        a delta costs what it changed, not what the cache holds. The whole file store is
        compared with file_refs when files may have been left behind otherwise: a new cache,
        an interrupted pull, a reconciliation, changed fields (they decide which unit and
        user fields hold files). file_refs itself is right at every commit (_store,
        _reconcile, _reindex_images), so no record is read here.
        """
        if everything:
            with self.store.transaction() as db:
                needed = LocalStore.needed_files(db)
            self.files.remove_unreferenced(needed)
        elif self._loose:
            self.files.remove(self._loose - self.store.still_referenced(self._loose))
        # A download stopped half-way leaves a part file; once no record needs that file (the
        # user lost the template, say), its bytes go now, not a day later with the stale
        # ones. After a whole pull no page is still to come that could need it.
        parts = self.files.partial_hashes()
        if parts:
            self.files.remove_partials(parts - self.store.still_referenced(parts))
        if self.store.get(FILES_CLEAN) is None:
            self.store.put(FILES_CLEAN, "1")

    def _stage(
        self,
        page: ChangesPage,
        pending: list[_Staged],
        result: SyncResult,
        progress: _Progress,
        image_keys: set[str],
    ) -> _Staged:
        """Plan a page against the cache as it will be once ``pending`` is stored, and queue
        the files it needs (or download them now, with one download at a time)."""
        keys: list[Key] = [(c.kind, c.id) for c in page.changes]
        local = self.store.local(keys)
        if not pending:
            self._overlay = {}  # the cache is all there is
        overlay = self._overlay
        for key in keys:
            if key in overlay:
                held = overlay[key]
                if held is None:
                    local.pop(key, None)
                else:
                    local[key] = held
        coming: set[str] = set().union(*(staged.files for staged in pending))

        def have(sha: str) -> bool:
            return sha in coming or self.files.has(sha)

        plan = plan_page(page.changes, local, have, image_keys)
        waiting = sum(len(staged.keys) for staged in pending)
        progress.items_total = progress.items_done + waiting + len(page.changes) + page.remaining
        self._phase(Phase.CHANGES, progress)
        files = self._queue_files(plan.files, plan.upserts, progress)
        batch = None
        # A file that turned outdated since the page was built is left out; so are the
        # records needing it, when the page is stored (_store).
        if files and self._prefetch:
            # A template file's tags are read as it is stored, off this thread: after a
            # first sync, what the templates need offline is then known without reading
            # each of them again (client/app.py, _fetch_document_files).
            batch = self._downloads.start(
                files,
                _known_sizes(plan.upserts),
                skip=_outdated,
                looks=_template_tags(plan.upserts, files),
            )
        elif files:
            self._fetch_now(files, plan.upserts, result, progress, _outdated)
        added = _new_image_keys(plan) - image_keys
        staged = _Staged(
            page.cursor,
            page.settings,
            keys,
            plan,
            local,
            image_keys | added,
            added,
            set(files),
            batch,
        )
        staged.lay_over(overlay)
        return staged

    def _store(
        self,
        pending: list[_Staged],
        result: SyncResult,
        progress: _Progress,
        *,
        block: bool = True,
    ) -> None:
        """Store the pages at the front of ``pending`` (taking them out of it) with the cursor
        after the last: all of them, waiting for their files, or with ``block`` false those
        whose files are in already. In one transaction: one commit (an fsync) for the pages
        of a first sync that waited for the files of the first ones, not one each.

        A record is stored only with every file it needs on disk. A file the server no
        longer serves (404: an administrator set the template to ``in_test``, gave it
        another file or took the user's access after the page was built) is skipped by the
        downloads; the records needing it are left out of the page, and the cache keeps
        what it had of them: older, but whole. The page is stored all the same, so the rest
        of the feed goes on: the change that made the file unreadable was committed before
        the refusal, so it is in the feed after this page's cursor, and its page (in this
        pull, or in the poll after the feed's end) supersedes what was left out. The keys
        left out are kept durably (``OWED``) with the page's commit, and each later page
        that lists one of them (upsert or remove) settles it. If none does, even after
        polling again, the pull fails with :class:`OutdatedFiles` rather than claim a
        cache that matches the server.

        If waiting for a page's files fails, the pages before it are stored, then the
        failure is raised.
        """
        while pending:
            ready: list[_Staged] = []
            failure: Exception | None = None
            for staged in pending:
                # Waiting (if at all) for the first page only: the ones after it whose
                # files are in go with it.
                if (ready or not block) and not staged.files_in():
                    break
                try:
                    staged.finish_files(result, self._on_bytes(result, progress))
                except Exception as exc:
                    failure = exc
                    break
                ready.append(staged)
            if ready:
                del pending[: len(ready)]
                self._write(ready, result, progress)
            if failure is not None:
                raise failure
            if not block:
                return

    def _write(self, pages: list[_Staged], result: SyncResult, progress: _Progress) -> None:
        """Store pages whose files are in, in order, in one transaction (see _store)."""
        owed = self._owed
        released: set[str] = set()
        stored = deleted = listed = 0
        fields_changed = False
        with self.store.transaction() as db:
            for staged in pages:
                plan, local = staged.plan, staged.local
                fields = any(kind == "field" for kind, _ in [u.key for u in plan.upserts])
                fields = fields or any(kind == "field" for kind, _ in plan.removes)
                # A page that leaves the fields alone is indexed with the fields as they
                # are (it may have been planned before an earlier page dropped an image
                # field).
                keys = staged.image_keys if fields else self._indexed_keys
                upserts, left_out = self._whole(plan.upserts, keys)
                changed = [key for key in [u.key for u in upserts] + plan.removes if key in local]
                owed = owed.after(staged.keys, left_out)
                freed = LocalStore.files_of(db, changed)
                LocalStore.write_upserts(db, upserts, image_keys=keys, held=local)
                LocalStore.write_removes(db, plan.removes)
                for sha, tags in staged.tags.items():
                    documents.keep_tags(self.store, sha, tags, db)
                if fields:
                    self._reindex_images(db, keys)
                if freed or fields:
                    self.store.put(FILES_CLEAN, None, db)
                released |= freed
                fields_changed |= fields
                stored += len(upserts)
                deleted += len(plan.removes)
                listed += len(staged.keys)
            last = pages[-1]
            self.store.put(CURSOR, last.cursor, db)
            self.store.put_json(SETTINGS, last.settings.model_dump(), db)
            if owed != self._owed:
                self.store.put_json(OWED, owed.to_json(), db)
        self._owed = owed
        self._loose |= released
        self._fields_changed |= fields_changed
        result.downloaded += stored
        result.deleted += deleted
        progress.items_done += listed
        self._phase(Phase.CHANGES, progress, force=False)

    def _whole(self, upserts: list[Upsert], image_keys: set[str]) -> tuple[list[Upsert], set[Key]]:
        """The upserts whose files are all on disk, and the keys of the others (a file of
        theirs turned outdated: see _store)."""
        whole: list[Upsert] = []
        left_out: set[Key] = set()
        here: dict[str, bool] = {}  # each file looked for once: templates share files

        def has(sha: str) -> bool:
            if sha not in here:
                here[sha] = self.files.has(sha)
            return here[sha]

        for upsert in upserts:
            needed = referenced_files(upsert.kind, upsert.record, image_keys)
            if all(has(sha) for sha in needed):
                whole.append(upsert)
            else:
                left_out.add(upsert.key)
        if left_out:
            log.info(
                "records with outdated files left out",
                extra={"event": "left_out", "count": len(left_out)},
            )
        return whole, left_out

    def _reindex_images(self, db: sqlite3.Connection, written_with: set[str]) -> None:
        """Keep file_refs right in the transaction of a page that changed the image fields
        (or dropped some, as the end of a reconciliation may).

        Units and users written earlier were indexed with the fields as they were, and this
        page's (or a page planned before the fields changed) with ``written_with``. Right at
        every commit, the index is what a clean-up can trust even after a kill, and the end
        of a pull need not read every record again.
        """
        keys = image_field_keys(self.store.records("field"))
        if keys != self._indexed_keys or keys != written_with:
            LocalStore.index_files(db, keys, kinds=("unit", "user"))
        self._indexed_keys = keys

    # --- reconciliation ------------------------------------------------------------------

    def _start_reconcile(self, page: ChangesPage) -> None:
        generation = int(self.store.get(GENERATION) or "0") + 1
        with self.store.transaction() as db:
            self.store.put(GENERATION, str(generation), db)
            self.store.put_json(RECONCILE, {"generation": generation, "cursor": page.cursor}, db)
            self.store.put_json(SETTINGS, page.settings.model_dump(), db)
            # The reconciliation compares every record with the server's: nothing is owed.
            self.store.put_json(OWED, None, db)
            # It may drop records anywhere: the clean-up after it looks at every file.
            self.store.put(FILES_CLEAN, None, db)
        self._owed = _Owed()

    def _reconcile(
        self,
        state: dict[str, Any],
        result: SyncResult,
        progress: _Progress,
        image_keys: set[str],
    ) -> None:
        """One manifest page: keep what matches, fetch what differs; at the end drop the rest."""
        result.reconciled = True
        generation = int(state["generation"])
        try:
            manifest = self._busy_retry(
                lambda: self.remote.manifest(state["cursor"], self.page_size * 2)
            )
        except SyncRestart:
            log.info("reconciliation restarts", extra={"event": "reset_restart"})
            self._restart_reconcile(state)
            return
        progress.items_total = manifest.total
        self._phase(Phase.RECONCILING, progress)
        local = self.store.local((e.kind, e.id) for e in manifest.entries)
        wanted = plan_manifest(manifest.entries, local)
        upserts, gone = self._fetch_records(wanted.fetch, local, image_keys)
        files = PagePlan(upserts=upserts)
        self._download(_files_of(upserts, image_keys, self.files.has), upserts, result, progress)
        self._catch_up_files(_new_image_keys(files) - image_keys, result, progress)
        with self.store.transaction() as db:
            LocalStore.mark_seen(db, wanted.seen, generation)
            LocalStore.write_upserts(db, upserts, seen=generation, image_keys=image_keys)
            LocalStore.write_removes(db, gone)
            if manifest.has_more:
                self.store.put_json(
                    RECONCILE, {"generation": generation, "cursor": manifest.cursor}, db
                )
            else:
                dropped = LocalStore.drop_unseen(db, generation)
                result.deleted += dropped
                self.store.put(CURSOR, manifest.cursor, db)
                self.store.put_json(RECONCILE, None, db)
            self.store.put_json(SETTINGS, manifest.settings.model_dump(), db)
            self._reindex_images(db, image_keys)
        result.downloaded += len(files.upserts)
        result.deleted += len(gone)
        progress.items_done += len(manifest.entries)

    def _restart_reconcile(self, state: dict[str, Any]) -> None:
        """Begin a fresh reconciliation in place of one the server can't continue.

        Never fall back to the cursor from before it: the cache already holds part of
        this reconciliation (records fetched, others removed) and the old cursor no
        longer describes it. If the server trusted that cursor again - the user's scope
        changed back meanwhile - what was fetched for the other scope would stay for ever.
        The server answers the interrupted reconciliation's cursor with a new reset.
        """
        page = self._busy_retry(lambda: self.remote.changes(state["cursor"], self.page_size))
        if not page.reset:
            raise ProtocolMismatch(
                tr(
                    "The server continued an interrupted reconciliation instead of restarting"
                    " it; update docshelf on the server or on this computer."
                )
            )
        self._start_reconcile(page)

    def _fetch_records(
        self, keys: list[Key], local: dict[Key, Any], image_keys: set[str]
    ) -> tuple[list[Upsert], list[Key]]:
        upserts: list[Upsert] = []
        gone: list[Key] = []
        for i in range(0, len(keys), RECORDS_BATCH):
            batch = keys[i : i + RECORDS_BATCH]
            answer = self._busy_retry(lambda batch=batch: self.remote.records(batch))  # type: ignore[misc]
            plan = plan_page(answer.records, local, lambda _sha: True, image_keys)
            upserts.extend(plan.upserts)
            gone.extend((ref.kind, ref.id) for ref in answer.gone)
        return upserts, gone

    # --- files ---------------------------------------------------------------------------

    def _download(
        self,
        hashes: Iterable[str],
        upserts: list[Upsert],
        result: SyncResult,
        progress: _Progress,
        skip: Callable[[Exception], bool] | None = None,
    ) -> None:
        wanted = self._queue_files(hashes, upserts, progress)
        if wanted:
            self._fetch_now(wanted, upserts, result, progress, skip)

    def fetch_missing(self, hashes: Iterable[str], result: SyncResult) -> None:
        """Download files the cache's records need but the file store lacks (what the
        templates' tags need: see client/documents.py). Each is named by some record, so the
        clean-up keeps it; one the server no longer serves belongs to an outdated record."""
        wanted = sorted(h for h in set(hashes) if not self.files.has(h))
        if not wanted:
            return
        progress = _Progress()
        self._phase(Phase.FILES, progress)
        try:
            result.files += self._downloads.download(
                wanted, {}, on_bytes=self._on_bytes(result, progress), skip=_outdated
            )
        finally:
            self._downloads.close()

    def _queue_files(
        self, hashes: Iterable[str], upserts: list[Upsert], progress: _Progress
    ) -> list[str]:
        """Note files about to be downloaded; returns them sorted."""
        wanted = sorted(set(hashes))
        if not wanted:
            return wanted
        # Killed after a download, before its page commits, the file would lack a record:
        # say so durably first, and check it at the end of this pull.
        if self.store.get(FILES_CLEAN) is not None:
            self.store.put(FILES_CLEAN, None)
        # Counted before their first byte comes, each file once, and only what is still to
        # come of it: a resumed download reports only its new bytes, and the total must
        # be reached when all is in.
        sizes = _known_sizes(upserts)
        progress.bytes_total += sum(
            max(0, sizes.get(h, 0) - self.files.partial_size(h))
            for h in wanted
            if h not in self._loose
        )
        self._loose.update(wanted)
        self._phase(Phase.FILES, progress)
        return wanted

    def _fetch_now(
        self,
        wanted: list[str],
        upserts: list[Upsert],
        result: SyncResult,
        progress: _Progress,
        skip: Callable[[Exception], bool] | None = None,
    ) -> None:
        on_bytes = self._on_bytes(result, progress)
        sizes = _known_sizes(upserts)
        result.files += self._downloads.download(wanted, sizes, on_bytes=on_bytes, skip=skip)

    def _on_bytes(self, result: SyncResult, progress: _Progress) -> Callable[[int], None]:
        def on_bytes(n: int) -> None:
            progress.bytes_done += n
            result.bytes += n
            self._phase(Phase.FILES, progress, force=False)

        return on_bytes

    def _catch_up_files(self, keys: set[str], result: SyncResult, progress: _Progress) -> None:
        """Download what held units and users name under image fields only now learnt of.

        The feed brings a field after the records that use it when the field was touched
        after them (relabelled, say): a cache that didn't hold the field stored those
        records without knowing their values are files. A file the server no longer serves
        belongs to a held record it has changed since; that record's new version follows
        in this pull, so the file is skipped here.
        """
        if not keys:
            return
        held = self.store.referenced_files(keys)
        self._download([h for h in held if not self.files.has(h)], [], result, progress, _outdated)

    # --- plumbing ------------------------------------------------------------------------

    def _busy_retry(self, call: Callable[[], T]) -> T:
        """Retry while the server says it is busy: its Retry-After, growing, with jitter;
        and soon, a few times, when an answer broke off (see _broke_off)."""
        waited = 0.0
        attempt = 0
        broken = 0
        while True:
            try:
                return call()
            except (ServerUnreachable, DownloadIncomplete, RemoteError) as exc:
                if broken >= BROKEN_RETRIES or not _broke_off(exc):
                    raise
                broken += 1
                delay = 0.2 * 2**broken * (1 + self._rnd.random() * 0.5)
                log.info("answer broke off, asking again", extra={"event": "broken_retry"})
                self._sleep(delay)
            except ServerBusy as busy:
                delay = max(busy.retry_after, min(30.0, 2.0**attempt))
                delay *= 1 + self._rnd.random() * 0.5  # spread clients that were told the same
                if waited + delay > self._max_busy_wait:
                    raise
                log.info("server busy, waiting", extra={"event": "busy", "seconds": delay})
                self._sleep(delay)
                waited += delay
                attempt += 1

    def _phase(self, phase: Phase, progress: _Progress, force: bool = True) -> None:
        # The status file is rewritten at once when the phase changes, else a few times a
        # second at most (every page used to cost several rewrites).
        force = force and phase != self.board.status.phase
        self.board.update(
            state=SyncState.SYNCING,
            phase=phase,
            items_done=progress.items_done,
            items_total=progress.items_total,
            bytes_done=progress.bytes_done,
            bytes_total=progress.bytes_total or None,
            message=None,
            force_write=force,
        )


# Answers that broke off, asked again within one sync: behind a load balancer the next
# attempt reaches a process that is still running.
BROKEN_RETRIES = 2


# Pulls running now in this process, and the thresholds from before the first of them: the
# thresholds are the process's, so the last pull to end restores them.
_pulls_lock = threading.Lock()
_pulls = 0
_threshold_before: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The collector runs less often during a pull (PULL_GC_THRESHOLD), as before after the
    last pull of the process ends."""
    global _pulls, _threshold_before
    with _pulls_lock:
        if _pulls == 0:
            _threshold_before = gc.get_threshold()
            gen0, gen1, gen2 = _threshold_before
            gc.set_threshold(max(gen0, PULL_GC_THRESHOLD), gen1, gen2)
        _pulls += 1
    try:
        yield
    finally:
        with _pulls_lock:
            _pulls -= 1
            if _pulls == 0:
                gc.set_threshold(*_threshold_before)


def _broke_off(exc: ServerUnreachable | DownloadIncomplete | RemoteError) -> bool:
    """The connection broke during an answer (a server process died behind a load
    balancer, say). Not a refused connection or a timeout: that server is away, or slow,
    and the sync ends at once so that the app shows it offline."""
    if isinstance(exc, DownloadIncomplete):
        return True  # resumes where it stopped
    if isinstance(exc, RemoteError):
        # A load balancer's 502: the process it passed the request to went away before
        # it answered. Every request asked again here is safe to repeat.
        return exc.http_status == 502
    cause = exc.__cause__
    return isinstance(cause, httpx.TransportError) and not isinstance(
        cause, httpx.ConnectError | httpx.TimeoutException
    )


def _outdated(error: Exception) -> bool:
    """A file the server no longer serves: the record naming it changed since (see _store
    and _catch_up_files)."""
    if isinstance(error, RemoteError) and error.http_status == 404:
        log.info("file of an outdated record skipped", extra={"event": "skip_file"})
        return True
    return False


def _known_sizes(upserts: list[Upsert]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for upsert in upserts:
        if upsert.kind == "template":
            for ref in upsert.record.get("files", {}).values():
                sizes[ref["sha256"]] = int(ref["size"])
    return sizes


def _template_tags(upserts: list[Upsert], wanted: Iterable[str]) -> dict[str, Look]:
    """How to read the tags of the template files among ``wanted``, by hash."""
    coming = set(wanted)
    looks: dict[str, Look] = {}
    for upsert in upserts:
        if upsert.kind == "template":
            for ref in upsert.record.get("files", {}).values():
                if ref["sha256"] in coming:
                    looks[ref["sha256"]] = partial(documents.file_tags, filename=ref["filename"])
    return looks


def _is_tags(found: object) -> TypeGuard[list[str]]:
    return isinstance(found, list) and all(isinstance(tag, str) for tag in found)


def _files_of(upserts: list[Upsert], image_keys: set[str], have: Callable[[str], bool]) -> set[str]:
    changes = [
        Change(kind=u.kind, id=u.id, op="upsert", version=u.version, record=u.record)  # type: ignore[arg-type]
        for u in upserts
    ]
    return plan_page(changes, {}, have, image_keys).files


def _new_image_keys(plan: PagePlan) -> set[str]:
    return image_field_keys(u.record for u in plan.upserts if u.kind == "field")


@dataclass(frozen=True)
class _Owed:
    """Records left out of stored pages for files the server no longer serves (see
    SyncEngine._store), waiting for a later page to list them again."""

    keys: frozenset[Key] = frozenset()

    def after(self, listed: Iterable[Key], left_out: set[Key]) -> _Owed:
        """What is owed once a page listing these keys is stored: they are settled (a newer
        version, or their removal), except those it had to leave out again."""
        if not self.keys and not left_out:
            return self
        return _Owed((self.keys - set(listed)) | left_out)

    def to_json(self) -> list[list[str]] | None:
        return sorted([kind, ident] for kind, ident in self.keys) or None


def _load_owed(value: Any) -> _Owed:
    if not value:
        return _Owed()
    return _Owed(frozenset((str(kind), str(ident)) for kind, ident in value))


def _unresolved(keys: frozenset[Key]) -> OutdatedFiles:
    shown = ", ".join(f"{kind} {ident}" for kind, ident in sorted(keys)[:5])
    if len(keys) > 5:
        shown += ", …"
    return OutdatedFiles(
        ntr(
            "The server listed {records} ({n} record) but no longer serves its files, and"
            " sent no newer version of it; it stays as it was on this computer. Sync again"
            " in a moment; if this repeats, tell your administrator.",
            "The server listed {records} ({n} records) but no longer serves their files, and"
            " sent no newer version of them; they stay as they were on this computer. Sync"
            " again in a moment; if this repeats, tell your administrator.",
            len(keys),
            records=shown,
        )
    )
