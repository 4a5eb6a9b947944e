"""The client's public face: sign in and out, synchronise, read the local copy.

The CLI, the daemon and the desktop app use this class and nothing below it. It
owns the home's pieces (cache, files, status, credentials) and runs the engine
under the home's sync lock, so only one sync runs per cache at a time.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docshelf.client.config import (
    PAGE_SIZE,
    ClientConfig,
    forget_config,
    load_config,
    save_config,
)
from docshelf.client.errors import (
    NoLocalCopy,
    NotSignedIn,
    ServerBusy,
    ServerUnreachable,
    SignedOut,
    SyncBusy,
    UnsentEdits,
)
from docshelf.client.files import FileStore
from docshelf.client.keys import (
    CURSOR,
    DOCUMENT_FILES,
    LAST_UPDATE,
    SETTINGS,
    UNREPORTED_ERROR,
    UNREPORTED_ERROR_CODE,
)
from docshelf.client.paths import Home
from docshelf.client.store import LocalStore
from docshelf.domain.errors import DocshelfError
from docshelf.i18n import N_, ntr, tr

# The engine, the remote and the editor (httpx, pydantic) are imported where they are
# used: a command that only reads the local copy must not pay for them at start. Nor for
# the status board, the credentials, the lock, the settings' registry or the documents:
# each is imported by the methods that use it.
if TYPE_CHECKING:
    import logging

    import httpx

    from docshelf.client import documents
    from docshelf.client.credentials import CredentialStore
    from docshelf.client.editing import Editor
    from docshelf.client.engine import SyncEngine
    from docshelf.client.lock import SyncLock
    from docshelf.client.remote import Remote
    from docshelf.client.results import SyncResult
    from docshelf.client.status import Listener, Status, StatusBoard


def _log() -> logging.Logger:
    import logging  # when something is logged: a command that only reads writes no log

    return logging.getLogger("docshelf.client")


# The account the cache belongs to after `logout` (config.json is gone then).
SIGNED_OUT_ACCOUNT = "signed_out_account"
# The profile the last new document was filled with.
LAST_PROFILE = "last_profile"
_NO_SAVED_SIGN_IN = N_("This device has no saved sign-in; run `docshelf login` again.")


def default_device_name(home: Home) -> str:
    """``<user>@<host> <tag>``: the tag (from the home's path) tells apart the homes of
    one person on one machine, and stays the same for a home."""
    import getpass
    import hashlib
    import platform

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = ""
    host = platform.node() or "device"
    tag = hashlib.sha256(str(home.root).encode()).hexdigest()[:4]
    return f"{user}@{host} {tag}" if user else f"{host} {tag}"


class Client:
    def __init__(
        self,
        home: Home,
        *,
        http: Callable[[], httpx.Client] | None = None,
        page_size: int = PAGE_SIZE,
        parallel_downloads: int | None = None,
    ) -> None:
        self.home = home.ensure()
        self.store = LocalStore(home.cache_db)
        self.files = FileStore(home.files_dir)
        self._http = http
        self._page_size = page_size
        self._parallel_downloads = parallel_downloads  # None: the engine's default
        self._running = threading.Lock()

    # Made at first use: listing the local copy needs none of them.
    @cached_property
    def board(self) -> StatusBoard:
        from docshelf.client.status import StatusBoard

        return StatusBoard(self.home.status_file)

    @cached_property
    def credentials(self) -> CredentialStore:
        from docshelf.client.credentials import CredentialStore

        return CredentialStore(self.home)

    @cached_property
    def lock(self) -> SyncLock:
        from docshelf.client.lock import SyncLock

        return SyncLock(self.home.lock_file)

    def close(self) -> None:
        self.store.close()

    # --- account -------------------------------------------------------------------------

    @property
    def config(self) -> ClientConfig | None:
        return load_config(self.home.config_file)

    def _remote(self, server_url: str, token: str | None = None) -> Remote:
        from docshelf.client.remote import Remote

        return Remote(server_url, token, http=self._http() if self._http else None)

    def open_remote(self) -> Remote:
        """The signed-in server, for requests outside a sync (the change-hint stream)."""
        config = self.require_config()
        token = self.credentials.load(config.server_url, config.login)
        if not token:
            raise NotSignedIn(tr(_NO_SAVED_SIGN_IN))
        return self._remote(config.server_url, token)

    def cursor(self) -> str | None:
        """Where the local copy stands in the server's history (None before the first sync)."""
        return self.store.get(CURSOR)

    def login(
        self, server_url: str, login: str, password: str, device_name: str | None = None
    ) -> ClientConfig:
        from docshelf.client.remote import normalize_server_url

        server_url = normalize_server_url(server_url)
        remote = self._remote(server_url)
        try:
            previous = self.config or self._signed_out_account()
            answer = remote.login(login, password, device_name or self._device_name(previous))
        finally:
            remote.close()
        if previous is None or (previous.server_url, previous.user_id) != (
            server_url,
            answer.user.id,
        ):
            # Another person's or server's cache must not show through, not even for a moment.
            self._refuse_with_unsent_edits(previous)
            self.lock.acquire(wait=False)
            try:
                self.store.wipe()
                self.files.remove_unreferenced(set())
            finally:
                self.lock.release()
        self.credentials.save(server_url, answer.user.login, answer.token)
        config = ClientConfig(
            server_url=server_url,
            login=answer.user.login,
            user_id=answer.user.id,
            device_id=answer.device.id,
            device_name=answer.device.name,
        )
        save_config(self.home.config_file, config)
        self.store.put(SIGNED_OUT_ACCOUNT, None)
        from docshelf.client.status import SyncState

        self.board.publish(self.board.status._replace(state=SyncState.IDLE, message=None))
        _log().info("signed in", extra={"event": "login", "server": server_url, "user": login})
        return config

    def _device_name(self, previous: ClientConfig | None) -> str:
        """The name this device is registered under: the one given at an earlier sign-in
        of this home, else one of its own (see :func:`default_device_name`). A bare host
        name is what older versions chose: it is shared by every home on the machine."""
        import platform

        if previous is not None and previous.device_name not in ("", platform.node()):
            return previous.device_name
        return default_device_name(self.home)

    def _refuse_with_unsent_edits(self, previous: ClientConfig | None) -> None:
        """Signing in as someone else wipes the cache; edits not yet on the server would
        go with it, so they must be uploaded or discarded first."""
        counts = self._upload_counts()
        waiting = counts["pending"] + counts["conflict"] + counts["rejected"]
        if not waiting:
            return
        if previous is None:
            raise UnsentEdits(
                ntr(
                    "{n} edit of the previous user is not on the server yet. Sign in as them"
                    " and sync, or discard it (`docshelf uploads`), before signing in as"
                    " someone else.",
                    "{n} edits of the previous user are not on the server yet. Sign in as"
                    " them and sync, or discard them (`docshelf uploads`), before signing in"
                    " as someone else.",
                    waiting,
                )
            )
        raise UnsentEdits(
            ntr(
                "{n} edit of {login} on {server} is not on the server yet. Sign in as them"
                " and sync, or discard it (`docshelf uploads`), before signing in as someone"
                " else.",
                "{n} edits of {login} on {server} are not on the server yet. Sign in as them"
                " and sync, or discard them (`docshelf uploads`), before signing in as"
                " someone else.",
                waiting,
                login=previous.login,
                server=previous.server_url,
            )
        )

    def editor(self) -> Editor:
        """Make edits (queued in the outbox, uploaded at the next sync)."""
        from docshelf.client.editing import Editor

        return Editor(self.store, self.files, self.require_config().user_id)

    def logout(self) -> None:
        """Revoke this device's token on the server (if reachable) and forget it here."""
        config = self.require_config()
        token = self.credentials.load(config.server_url, config.login)
        if token:
            remote = self._remote(config.server_url, token)
            try:
                remote.logout()
            except (ServerUnreachable, SignedOut):
                _log().warning(
                    "could not revoke the token on the server", extra={"event": "logout"}
                )
            finally:
                remote.close()
        self.credentials.delete(config.server_url, config.login)
        # The cache and its waiting edits stay: whose they are decides at the next login
        # whether the cache is kept (same account) or refused/emptied (another one).
        self.store.put_json(SIGNED_OUT_ACCOUNT, config._asdict())
        forget_config(self.home.config_file)
        from docshelf.client.status import Status, SyncState

        self.board.publish(Status(state=SyncState.NOT_SIGNED_IN, log_path=str(self.home.log_file)))

    def _signed_out_account(self) -> ClientConfig | None:
        stored = self.store.get_json(SIGNED_OUT_ACCOUNT)
        return ClientConfig(**stored) if isinstance(stored, dict) else None

    def require_config(self) -> ClientConfig:
        """This home's sign-in, or :class:`NotSignedIn` saying how to sign in."""
        config = self.config
        if config is None:
            raise NotSignedIn(
                tr(
                    "Not signed in on this computer: run"
                    " `docshelf login --server URL --user LOGIN`."
                )
            )
        return config

    def require_local_copy(self) -> None:
        """Raise :class:`NoLocalCopy` on a home that never signed in: reading its local
        copy would show nothing and not say why. (Signed out later, the copy stays
        readable; signed in but not yet synchronised, it is merely empty.)"""
        if self.config is None and not self.has_cache() and self._signed_out_account() is None:
            raise NoLocalCopy(
                tr(
                    "Not signed in on this computer yet: run"
                    " `docshelf login --server URL --user LOGIN`, then `docshelf sync`."
                )
            )

    # --- sync ----------------------------------------------------------------------------

    def sync(
        self,
        *,
        wait: bool = True,
        on_wait: Callable[[str], None] | None = None,
        listener: Listener | None = None,
    ) -> SyncResult:
        """One cycle now. Never raises for a failed sync: the result and the status say why."""
        config = self.require_config()
        token = self.credentials.load(config.server_url, config.login)
        if not token:
            raise NotSignedIn(tr(_NO_SAVED_SIGN_IN))
        unsubscribe = self.board.subscribe(listener) if listener else None
        # The file lock keeps other processes out; it is re-entrant within this one, so
        # threads of one process (the desktop app's worker and timer) queue here.
        if not self._running.acquire(blocking=wait):
            raise SyncBusy(tr("A sync is already running in this program."))
        try:
            self.lock.acquire(wait=wait, on_wait=on_wait)
            try:
                return self._run(config, token)
            finally:
                self.lock.release()
        finally:
            self._running.release()
            if unsubscribe:
                unsubscribe()

    def _run(self, config: ClientConfig, token: str) -> SyncResult:
        from docshelf.client.results import SyncResult
        from docshelf.client.status import Status, SyncState

        started = time.monotonic()
        result = SyncResult()
        # Most syncs find nothing new: asked without the engine first (client/quick_poll.py).
        told = self._quick_sync(config, token, result) or self._engine_sync(config, token, result)
        waiting = self._upload_counts()
        result.conflicts_waiting = waiting["conflict"]
        result.rejected_waiting = waiting["rejected"]
        if told and result.status == "ok":
            self.store.put(UNREPORTED_ERROR, None)
            self.store.put(UNREPORTED_ERROR_CODE, None)
        result.seconds = time.monotonic() - started
        if result.status == "ok":
            now = datetime.now().astimezone()
            self.store.put(LAST_UPDATE, now.isoformat())
            result.last_update = now
            self.board.publish(
                Status(
                    state=SyncState.IDLE,
                    last_update=now,
                    log_path=str(self.home.log_file),
                    next_sync=self.board.status.next_sync,
                )
            )
            self._publish_upload_counts()
            _log().info("sync done", extra={"event": "sync", **result.to_json()})
        else:
            result.last_update = self.last_update()
        return result

    def _quick_sync(self, config: ClientConfig, token: str, result: SyncResult) -> bool:
        """True: the server has nothing new and the local copy needs nothing (or the server
        did not answer in time, which ``result`` says); False: the engine syncs."""
        if self._http is not None:
            return False  # an injected HTTP client (a test's transport) sees every request
        from docshelf.client import quick_poll

        cursor = quick_poll.settled_cursor(self.store, self.files)
        if cursor is None:
            return False
        from docshelf.client.status import Phase, SyncState

        # What the engine shows first (SyncEngine._phase), for a poll that takes a while.
        self.board.update(
            state=SyncState.SYNCING,
            phase=Phase.CONNECTING,
            items_done=0,
            items_total=None,
            bytes_done=0,
            bytes_total=None,
            message=None,
            force_write=self.board.status.phase is not Phase.CONNECTING,
        )
        settings = self.store.get_json(SETTINGS)
        try:
            nothing_new = quick_poll.poll(
                config.server_url, token, cursor, settings, limit=self._page_size
            )
        except DocshelfError as exc:
            self._failed(result, exc)
            return True
        if nothing_new:
            result.pages = 1  # the one page the engine would have read
        return nothing_new

    def _engine_sync(self, config: ClientConfig, token: str, result: SyncResult) -> bool:
        """The sync itself; True when the last failure's report reached the server."""
        from docshelf.client.downloads import PARALLEL_DOWNLOADS
        from docshelf.client.engine import SyncEngine

        remote = self._remote(config.server_url, token)
        engine = SyncEngine(
            self.store,
            self.files,
            remote,
            self.board,
            page_size=self._page_size,
            parallel_downloads=self._parallel_downloads or PARALLEL_DOWNLOADS,
        )
        remote.error_to_report = self.store.get(UNREPORTED_ERROR)
        remote.error_code_to_report = self.store.get(UNREPORTED_ERROR_CODE)
        try:
            # Edits first: the pull then brings back what the server made of them.
            engine.push(result)
            engine.pull(result)
            engine.forget_applied()
            self._fetch_document_files(engine, config, result)
        except DocshelfError as exc:
            self._failed(result, exc)
        finally:
            remote.close()
        return remote.error_to_report is None

    def _upload_counts(self) -> dict[str, int]:
        """Edits in the outbox by state; the outbox module is loaded only when there are any."""
        if not self.store.has_outbox_entries():
            return {"pending": 0, "applied": 0, "conflict": 0, "rejected": 0}
        return self.store.outbox.counts()

    def _fetch_document_files(
        self, engine: SyncEngine, config: ClientConfig, result: SyncResult
    ) -> None:
        """What templates' tags need (a logo reached only through a profile, a Word snippet
        only named by a tag) must be here offline even if no record changed. Finding it
        reads every template; while nothing was pulled since, the list found last time
        stands, and only whether those files are still here is checked: a sync that finds
        nothing new stays quick."""
        from docshelf.client import documents

        cursor = self.store.get(CURSOR)
        known = json.loads(self.store.get(DOCUMENT_FILES) or "{}")
        if cursor is not None and known.get("cursor") == cursor:
            needed = set(known.get("needed") or ())
        else:
            needed = documents.all_needed_files(self.store, self.files, config.user_id)
            # Whether edits were laid over the records it was found in: only a list found
            # without any stands for the records alone (see offline_ready).
            overlaid = self.store.has_overlays()
            found = {"cursor": cursor, "needed": sorted(needed), "overlaid": overlaid}
            self.store.put(DOCUMENT_FILES, json.dumps(found))
        engine.fetch_missing(needed, result)

    def _failed(self, result: SyncResult, exc: DocshelfError) -> None:
        from docshelf.client.status import Status, SyncState

        result.status, result.error, result.error_code = "error", exc.message, exc.code
        if isinstance(exc, ServerBusy):
            result.retry_after = exc.retry_after
        previous = self.board.status
        state = SyncState.ERROR
        if isinstance(exc, ServerUnreachable):
            state = SyncState.OFFLINE
        elif isinstance(exc, SignedOut):
            state = SyncState.SIGNED_OUT
        offline_since = None
        if state is SyncState.OFFLINE:
            offline_since = previous.offline_since or datetime.now().astimezone()
        _log().warning(
            "sync failed", extra={"event": "sync_failed", "error": exc.message, "code": exc.code}
        )
        message = f"{exc.title}: {exc.message}"
        if state is SyncState.OFFLINE and self.has_cache():
            message = tr("{problem} Working offline with the local copy.", problem=message)
            result.error = tr("{problem} Working offline with the local copy.", problem=exc.message)
        if state is not SyncState.SIGNED_OUT:
            from docshelf.protocol import client_error

            # A signed-out device can't report; its revocation is on the dashboard already.
            self.store.put(
                UNREPORTED_ERROR, client_error.encode(datetime.now().astimezone(), exc.message)
            )
            self.store.put(UNREPORTED_ERROR_CODE, exc.code)
        self.board.publish(
            Status(
                state=state,
                last_update=self.last_update(),
                message=message,
                log_path=str(self.home.log_file),
                offline_since=offline_since,
                next_sync=previous.next_sync,
            )
        )
        self._publish_upload_counts()

    def _publish_upload_counts(self) -> None:
        counts = self._upload_counts()
        self.board.update(
            pending_uploads=counts["pending"], conflicts=counts["conflict"], force_write=True
        )

    # --- what the cache says -------------------------------------------------------------

    def last_update(self) -> datetime | None:
        raw = self.store.get(LAST_UPDATE)
        return datetime.fromisoformat(raw) if raw else None

    def settings(self) -> dict[str, int]:
        """The sync settings in force: the server's, as received with the last sync."""
        from docshelf.domain.settings import (
            CLIENT_HINT_MAX_DELAY,
            CLIENT_HINTS_ENABLED,
            CLIENT_SYNC_INTERVAL,
            CLIENT_SYNC_MAX_DELAY_AFTER_START,
        )
        from docshelf.domain.settings import SETTINGS as SETTING_SPECS

        stored = self.store.get_json(SETTINGS) or {}
        return {
            CLIENT_SYNC_INTERVAL: int(
                stored.get("client_sync_interval_ms", SETTING_SPECS[CLIENT_SYNC_INTERVAL].default)
            ),
            CLIENT_SYNC_MAX_DELAY_AFTER_START: int(
                stored.get(
                    "client_sync_max_delay_after_start_ms",
                    SETTING_SPECS[CLIENT_SYNC_MAX_DELAY_AFTER_START].default,
                )
            ),
            CLIENT_HINT_MAX_DELAY: int(
                stored.get("client_hint_max_delay_ms", SETTING_SPECS[CLIENT_HINT_MAX_DELAY].default)
            ),
            CLIENT_HINTS_ENABLED: bool(
                stored.get("client_hints_enabled", SETTING_SPECS[CLIENT_HINTS_ENABLED].default)
            ),
        }

    def daemon_running(self) -> bool:
        """A daemon (``docshelf daemon`` or the desktop app) plans this home's syncs now:
        it holds the home's daemon lock, which the kernel drops however it ends."""
        from docshelf.client.lock import SyncLock

        return SyncLock(self.home.daemon_lock_file).holder() is not None

    def status(self) -> Status:
        """The current status; a 'syncing' left behind by a process that died reads as idle,
        and a next sync planned by a daemon that no longer runs is not shown."""
        from docshelf.client.status import SyncState, read_status_file

        status = read_status_file(self.home.status_file) or self.board.status
        if status.state is SyncState.SYNCING and self.lock.holder() is None:
            status = status._replace(state=SyncState.IDLE, phase=None)
        running = self.daemon_running()
        status = status._replace(
            daemon_running=running,
            next_sync=status.next_sync if running else None,
        )
        if self.config is None:
            status = status._replace(state=SyncState.NOT_SIGNED_IN)
        status = status.with_live_hints()
        return status._replace(last_update=self.last_update(), log_path=str(self.home.log_file))

    def has_cache(self) -> bool:
        return self.store.get(CURSOR) is not None

    def summary(self) -> dict[str, Any]:
        from docshelf.domain.settings import (
            CLIENT_SYNC_INTERVAL,
            CLIENT_SYNC_MAX_DELAY_AFTER_START,
        )

        config = self.config
        status = self.status()
        settings = self.settings()
        uploads = self._upload_counts()
        return {
            "server": config.server_url if config else None,
            "user": config.login if config else None,
            "state": status.state.value,
            "last_update": status.last_update.isoformat() if status.last_update else None,
            "client_sync_interval_ms": settings[CLIENT_SYNC_INTERVAL],
            "client_sync_max_delay_after_start_ms": settings[CLIENT_SYNC_MAX_DELAY_AFTER_START],
            # Only while a daemon runs: one that stopped or was killed syncs no more.
            "next_sync": status.next_sync.isoformat() if status.next_sync else None,
            "daemon_running": status.daemon_running,
            "hints": status.hints,
            "last_hint_at": status.last_hint_at.isoformat() if status.last_hint_at else None,
            # From the outbox itself: edits made since the last sync count at once.
            "pending_uploads": uploads["pending"],
            "conflicts": uploads["conflict"],
            "rejected_uploads": uploads["rejected"],
            "message": status.message,
            "log_file": str(self.home.log_file),
            "sync_running": self.lock.holder(),
            "records": self.store.count(),
        }

    # --- documents -----------------------------------------------------------------------

    def new_document(
        self,
        template: str,
        *,
        profile: str | None = None,
        lang: str | None = None,
        output: Path | None = None,
        folder: Path | None = None,
        ui_lang: str = "de",
    ) -> documents.NewDocument:
        """A new document from ``template`` (id or title) filled with ``profile``'s data (id
        or title; default: the one used last, else the only one), from the local copy alone.
        Written to ``output``, or under a fresh name from the template's title in ``folder``
        (default: the current folder)."""
        from docshelf.client import documents

        config = self.config
        made = documents.new_document(
            self.store,
            self.files,
            config.user_id if config else None,
            template=template,
            profile=profile,
            remembered_profile=self.last_profile(),
            lang=lang,
            output=output,
            folder=folder,
            ui_lang=ui_lang,
        )
        if made.profile_id is not None:
            self.store.put(LAST_PROFILE, made.profile_id)
        return made

    def last_profile(self) -> str | None:
        """The profile the last document was made with (preselected next time)."""
        return self.store.get(LAST_PROFILE)

    def offline_ready(self, templates: list[dict[str, Any]]) -> dict[str, bool]:
        """By template id: its files and everything its tags need are in the local copy."""
        if self._all_needed_files_here():
            # Every file any template needs is here: each one with files is ready.
            return {t["id"]: bool(t.get("files")) for t in templates}
        from docshelf.client import documents

        config = self.config
        user_id = config.user_id if config else None
        return documents.offline_states(self.store, self.files, templates, user_id)

    def _all_needed_files_here(self) -> bool:
        """The files the last sync found the templates need (at the cursor the cache is at,
        with no edit laid over the records then or now) are all in the file store. Then no
        template needs to be read to know it is ready offline: reading them and their tags
        and resolving the profiles' images is what made listing templates slow."""
        known = self.store.get_json(DOCUMENT_FILES)
        if not isinstance(known, dict) or known.get("overlaid") is not False:
            return False
        if known.get("cursor") != self.store.get(CURSOR) or self.store.has_overlays():
            return False
        return all(self.files.has(sha) for sha in known.get("needed") or ())
