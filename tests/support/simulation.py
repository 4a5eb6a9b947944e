"""A seeded, replayable simulation of the sync (architecture.md, "Testing the sync").

Several real clients (:class:`docshelf.client.app.Client`, each with its own home and a
small random page size) follow one real server while an administrator changes content
and rights through the HTTP API. Everything random comes from ``random.Random(seed)``,
so a seed names one sequence of steps. Faults are injected only at the HTTP boundary,
by :class:`FaultyTransport` under each client's ``httpx.Client``: a request fails before
it is sent, the server processes a request but its answer is lost, a file download
breaks off, or the client "crashes" (an exception no code of docshelf catches) at a
chosen request, after which the :class:`Client` object is thrown away and a new one is
opened on the same home, as a restarted process would.

Clients also edit (:class:`docshelf.client.editing.Editor`): profiles, personal
snippets, templates and units, two devices of one user the same profile field (real
conflicts), offline for a few steps at a time (every request fails to connect), and they
settle conflicts and rejections. Crashes and lost answers hit the upload too
(``POST /sync/mutations``, ``PUT /blobs/...``), and uploads of files break off midway.

After every step the simulation checks what must hold at any instant (the cache is
intact, holds only records the server really sent, every file its records name is on
disk and verified, the cursor never moved backwards, every edit is in the outbox or was
answered - see :meth:`Simulation.check_outbox`); :class:`UploadAudit` sees every answer
the server gives to an upload of edits, lost ones included, and checks that no edit is
applied twice. After every round every client syncs cleanly: each cache must equal the
server's view for its user and every pending edit must have gone up.

Replays are faithful in the sequence of steps and faults. They cannot be byte-exact:
the server draws random ids, which decide the order of rows within one change and so
where pages split. A failure message says how to replay it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import json
import random
import re
import secrets
import sqlite3
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from docshelf.client.app import Client
from docshelf.client.editing import Editor, Queued
from docshelf.client.engine import CURSOR, RECONCILE, SyncResult
from docshelf.client.outbox import FILE_REF_KIND, EditState, OutboxEntry
from docshelf.client.paths import Home
from docshelf.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from docshelf.domain.settings import (
    CLIENT_SYNC_INTERVAL,
    CLIENT_SYNC_MAX_DELAY_AFTER_START,
    MINUTE_MS,
)
from docshelf.protocol.cursor import Cursor
from docshelf.protocol.sync import record_hash
from docshelf.server.db.engine import Database, current_seq
from docshelf.server.db.models import (
    AppliedMutation,
    Profile,
    Snippet,
    Template,
    TemplateGroup,
    Unit,
)
from support.api import API, PASSWORD, Api, LiveServer
from support.sync import assert_client_matches_server, server_view

TEST_FILE = "tests/integration/test_sync_simulation.py"
DOCX_MAGIC = b"PK\x03\x04"
# Errors a sync may end with while faults are injected: the connection broke (offline)
# or a download stopped early. Anything else is a bug the simulation reports.
FAULT_ERRORS = frozenset({"offline", "download_incomplete"})
# What an Editor refuses at once because the user obviously may not: never queued.
LOCAL_REFUSALS = (Forbidden, InvalidInput, NotFound, Conflict)
MUTATIONS = "POST /sync/mutations"
BLOB_UPLOAD = "PUT /blobs/"
# Made once: loading the CA bundle for every sync's transport would double its time.
_TLS = ssl.create_default_context()


class SimulatedCrash(BaseException):
    """The client process dies here.

    A BaseException, like SystemExit: no ``except Exception`` in docshelf can swallow
    it, so the engine stops exactly where it is, as if the process were killed.
    """


class SimulationFailure(AssertionError):
    """A property did not hold; the message carries seed, round, step and how to replay."""


# --- faults at the HTTP boundary -----------------------------------------------------------


@dataclass
class Faults:
    """What one client's transport does to its requests; shared by its httpx clients."""

    enabled: bool = False
    connect_error: float = 0.0  # per request: fails before anything is sent
    drop_response: float = 0.0  # per request: the server did the work, the answer is lost
    cut_download: float = 0.0  # per file download: the connection breaks mid-file
    cut_upload: float = 0.0  # per ranged file upload: the connection breaks mid-file
    # The network is away: every request fails to connect until the simulation says so.
    # Outlives off() and arm(): an offline period spans several steps.
    offline: bool = False
    # One-off faults at the n-th request from now, counting only the requests ``only``
    # names if that is set (to aim at, say, the second manifest page): a path's end, or
    # a method and a path's end or a prefix ending in "/" ("PUT /blobs/").
    crash_at: int | None = None
    crash_mode: str = "before"  # before sending / after the server answered / mid-download
    drop_at: int | None = None
    only: str | None = None
    requests: int = 0
    counted: int = 0
    events: list[str] = field(default_factory=list)

    def off(self) -> None:
        self.enabled = False
        self.crash_at = self.drop_at = None

    def arm(self, *, connect: float, drop: float, cut: float) -> None:
        self.off()
        self.enabled = True
        self.connect_error, self.drop_response, self.cut_download = connect, drop, cut
        self.cut_upload = cut
        self.requests = self.counted = 0
        self.only = None

    def one_off(
        self,
        *,
        crash_at: int | None = None,
        mode: str = "",
        drop_at: int | None = None,
        only: str | None = None,
    ) -> None:
        self.arm(connect=0.0, drop=0.0, cut=0.0)
        self.crash_at, self.crash_mode, self.drop_at = crash_at, mode, drop_at
        self.only = only

    def count(self, request: httpx.Request) -> tuple[int, int | None]:
        """The request's number, and its number among those the one-off faults count."""
        number = self.requests
        self.requests += 1
        if self.only is not None and not _aimed_at(request, self.only):
            return number, None
        self.counted += 1
        return number, self.counted - 1


def _aimed_at(request: httpx.Request, only: str) -> bool:
    method, _, path = only.rpartition(" ")
    if method and request.method != method:
        return False
    if path.endswith("/"):
        return path in request.url.path
    return request.url.path.endswith(path)


def _is_download(request: httpx.Request) -> bool:
    """A file's bytes (not ``GET /blobs/{sha}/upload``, how much of an upload arrived)."""
    path = request.url.path
    return request.method == "GET" and "/blobs/" in path and not path.endswith("/upload")


def _buffered(response: httpx.Response) -> httpx.Response:
    """The response with its raw body read, so that it can be read more than once."""
    raw = b"".join(response.iter_raw())
    response.close()
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(raw),
        extensions=response.extensions,
    )


def _json_of(response: httpx.Response) -> Any:
    """The decoded JSON of a :func:`_buffered` response, leaving it unread for the client."""
    assert isinstance(response.stream, httpx.ByteStream)
    copy = httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(b"".join(response.stream)),
    )
    copy.read()
    return copy.json()


class _CutStream(httpx.SyncByteStream):
    """The first ``limit`` bytes of a download, then a broken connection (or a crash)."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int, fail: BaseException) -> None:
        self._inner = inner
        self._limit = limit
        self._fail = fail

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self._inner:
            room = self._limit - sent
            if len(chunk) >= room:
                if room > 0:
                    yield chunk[:room]
                break
            sent += len(chunk)
            yield chunk
        raise self._fail

    def close(self) -> None:
        self._inner.close()


Observer = Callable[[httpx.Request, httpx.Response], None]


class Audited:
    """What :class:`FaultyTransport` tells an auditor about the requests it names."""

    def wants(self, request: httpx.Request) -> bool:
        return False

    def before(self, request: httpx.Request) -> Any:
        return None

    def after(self, request: httpx.Request, response: httpx.Response, token: Any) -> None:
        return None


class FaultyTransport(httpx.BaseTransport):
    """Wraps a real transport; decides per request whether and how it goes wrong.

    ``rnd`` decides the random faults; the one-off faults (crash, drop at request n) are
    scheduled by the simulation in ``faults``. ``observe`` sees every answer that does
    reach the client, read already (for JSON answers; downloads stream on). ``audit``
    sees every request that reaches the server and names it (uploads of edits): right
    before it is sent, and its answer right after the server gave it, also when the
    answer is then lost.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        rnd: random.Random,
        faults: Faults,
        observe: Observer | None = None,
        audit: Audited | None = None,
    ) -> None:
        self.inner = inner
        self.rnd = rnd
        self.faults = faults
        self.observe = observe
        self.audit = audit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        faults = self.faults
        number, counted = faults.count(request)
        what = f"#{number} {request.method} {request.url.path.removeprefix(API)}"
        download = _is_download(request)
        crash = faults.enabled and counted is not None and faults.crash_at == counted
        if crash and faults.crash_mode == "before":
            faults.events.append(f"crash before {what}")
            raise SimulatedCrash(what)
        if faults.offline or (faults.enabled and self.rnd.random() < faults.connect_error):
            faults.events.append(f"{'offline' if faults.offline else 'connect error'} {what}")
            raise httpx.ConnectError("simulated: connection refused", request=request)
        response = self._send(request, what)
        if crash and faults.crash_mode == "download" and download:
            faults.events.append(f"crash during download {what}")
            return self._cut(response, SimulatedCrash(what))
        lost = faults.enabled and (
            (counted is not None and faults.drop_at == counted)
            or self.rnd.random() < faults.drop_response
        )
        if crash or lost:
            # The server has done the work; the answer never arrives.
            response.read()
            response.close()
            faults.events.append(f"{'crash after' if crash else 'lost answer of'} {what}")
            if crash:
                raise SimulatedCrash(what)
            raise httpx.ReadError("simulated: connection reset", request=request)
        if download:
            if faults.enabled and self.rnd.random() < faults.cut_download:
                faults.events.append(f"download cut short {what}")
                broken = httpx.RemoteProtocolError(
                    "simulated: peer closed connection without sending complete message body",
                    request=request,
                )
                return self._cut(response, broken)
            return response
        return self._delivered(request, response)

    def _send(self, request: httpx.Request, what: str) -> httpx.Response:
        """Hand the request to the server (or only part of an upload), with the audit."""
        faults = self.faults
        ranged = request.method == "PUT" and "content-range" in request.headers
        cut = ranged and faults.enabled and faults.cut_upload > 0
        if cut and self.rnd.random() < faults.cut_upload:
            self._cut_upload(request, what)
        audit = self.audit if self.audit is not None and self.audit.wants(request) else None
        token = audit.before(request) if audit is not None else None
        response = self.inner.handle_request(request)
        if audit is not None:
            response = _buffered(response)
            audit.after(request, response, token)
        return response

    def _cut_upload(self, request: httpx.Request, what: str) -> None:
        """Send only the first part of a piece, then break the connection: the server
        keeps what arrived, as it does when a client goes away mid-upload."""
        body = request.read()
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers["content-range"])
        if match is None or len(body) < 2:
            return
        start, total = int(match[1]), int(match[3])
        keep = self.rnd.randint(1, len(body) - 1)
        headers = {
            k: v for k, v in request.headers.items() if k not in ("content-length", "content-range")
        }
        headers["content-range"] = f"bytes {start}-{start + keep - 1}/{total}"
        piece = httpx.Request(request.method, request.url, headers=headers, content=body[:keep])
        response = self.inner.handle_request(piece)
        response.read()
        response.close()
        self.faults.events.append(f"upload cut after {keep} of {len(body)} bytes {what}")
        raise httpx.WriteError("simulated: connection broke mid-upload", request=request)

    def _cut(self, response: httpx.Response, fail: BaseException) -> httpx.Response:
        size = int(response.headers.get("content-length", "0") or 0)
        limit = self.rnd.randint(0, max(0, size - 1))
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CutStream(response.stream, limit, fail),
            extensions=response.extensions,
        )

    def _delivered(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        # Read here so the observer sees what the client will see; the raw bytes go on
        # undecoded, the client decodes them as it would have.
        raw = b"".join(response.iter_raw())
        response.close()
        delivered = httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )
        if self.observe is not None:
            delivered.read()  # decoded, as the client will read it
            self.observe(request, delivered)
        return delivered

    def close(self) -> None:
        self.inner.close()


# --- cursors -------------------------------------------------------------------------------

# Where a cursor stands in the order the feed uses: every change up to ``seq`` applied,
# then (only for a page that split change seq + 1) the items up to (kind, item).
Position = tuple[int, int, int, str]


def position(token: str | None) -> Position | None:
    if token is None:
        return None
    cursor = Cursor.decode(token)
    if cursor.kind is None:
        return (cursor.seq, 0, -1, "")
    return (cursor.seq, 1, cursor.kind, cursor.item or "")


@dataclass
class CursorWatch:
    """The history of one client's stored cursor, and of its reconciliation's position.

    "Backwards" is defined on the stored cursor (``state.cursor``): its position in the
    feed's order must never decrease. A reconciliation doesn't touch the stored cursor
    while it runs; when it completes it stores the reset point, ``reset_to``, which the
    server chose as its newest change at the time it asked for the reset. That is at or
    after every cursor the server ever handed out in this history, so even across a
    reconciliation the stored cursor only moves forward. (Only a server whose history
    was rewound - a restored backup, another epoch - could legitimately send a client
    back; the simulation never rewinds the server.)

    The reconciliation itself walks the manifest by (kind, id); within one generation
    that position must not go back either. A new generation (the server asked for a
    fresh reconciliation) starts over from the beginning, legitimately.
    """

    label: str
    cursor: Position | None = None
    epoch: str | None = None
    reconcile: tuple[int, int, str] | None = None  # (generation, kind, id)
    history: list[str] = field(default_factory=list)

    def observe(self, where: str, cursor_token: str | None, reconcile: Any) -> str | None:
        """Record the current state; returns what went wrong, or None."""
        problem = self._observe_cursor(where, cursor_token)
        return problem or self._observe_reconcile(where, reconcile)

    def _observe_cursor(self, where: str, token: str | None) -> str | None:
        now = position(token)
        if now == self.cursor:
            return None
        epoch = Cursor.decode(token).epoch if token else None
        self.history.append(f"{where}: cursor {self.cursor} -> {now}")
        if token is not None and Cursor.decode(token).reset_to is not None:
            return f"{self.label}: a reconciliation cursor was stored as the cursor ({where})"
        if self.cursor is not None and (now is None or (epoch == self.epoch and now < self.cursor)):
            return f"{self.label}: cursor moved backwards at {where}: {self.cursor} -> {now}"
        self.cursor, self.epoch = now, epoch
        return None

    def _observe_reconcile(self, where: str, state: Any) -> str | None:
        if state is None:
            if self.reconcile is not None:
                self.history.append(f"{where}: reconciliation ended")
            self.reconcile = None
            return None
        cursor = Cursor.decode(state["cursor"])
        now = (int(state["generation"]), cursor.kind or 0, cursor.item or "")
        if now == self.reconcile:
            return None
        self.history.append(f"{where}: reconciliation {self.reconcile} -> {now}")
        previous = self.reconcile
        self.reconcile = now
        if previous is not None and now[0] == previous[0] and now < previous:
            return f"{self.label}: reconciliation moved backwards at {where}: {previous} -> {now}"
        if previous is not None and now[0] < previous[0]:
            return f"{self.label}: reconciliation generation went down at {where}"
        if self.cursor is not None and (cursor.reset_to or 0) < self.cursor[0]:
            return f"{self.label}: reset point {cursor.reset_to} lies before the cursor {where}"
        return None


# --- the clients ---------------------------------------------------------------------------


@dataclass
class SimClient:
    index: int
    user: dict[str, Any]
    home: Path
    page_size: int
    rnd: random.Random
    faults: Faults
    watch: CursorWatch
    client: Client | None = None
    # Every (kind, id, version, hash) the server delivered to this client.
    sent: set[tuple[str, str, int, str]] = field(default_factory=set)
    downloads_of_held_files: list[str] = field(default_factory=list)
    # The edits its user made here: mutation id -> what the Editor said it queued.
    made: dict[str, str] = field(default_factory=dict)
    # The answers to uploads that reached it, per mutation id.
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Edits that left the outbox on the user's say (discarded, resolved): id -> how.
    settled: dict[str, str] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)  # conflicts and rejections noted
    offline_steps: int = 0  # steps left of an offline period

    @property
    def label(self) -> str:
        return f"client {self.index} ({self.user['login']}, page size {self.page_size})"

    @property
    def app(self) -> Client:
        assert self.client is not None
        return self.client


def _record_keys(body: dict[str, Any]) -> Iterator[tuple[str, str, int, str]]:
    for change in body.get("changes", body.get("records", [])):
        if change.get("op") == "upsert" and change.get("record") is not None:
            yield (change["kind"], change["id"], change["version"], record_hash(change["record"]))


def _sha_of_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the server's answers to uploads of edits ----------------------------------------------

_MODELS: dict[str, Any] = {
    "profile": Profile,
    "snippet": Snippet,
    "template": Template,
    "template_group": TemplateGroup,
    "unit": Unit,
}


def _gist(result: dict[str, Any]) -> tuple[Any, ...]:
    """What an answer says, whether first or repeated."""
    theirs = json.dumps(result.get("theirs") or {}, sort_keys=True)
    return (result["outcome"], result.get("version"), result.get("code"), theirs)


class UploadAudit:
    """Every answer the server gives to an upload of edits, also those the client never
    gets: the proof that no edit is applied twice.

    Each mutation id gets exactly one first answer; every later one must be marked
    ``repeated`` and say the same. Around each upload the server's change counter is
    read (nothing else writes meanwhile): it must move by exactly the number of edits
    that took effect in that upload - first answered *applied* and not a no-op (a new
    record, a new version, a record gone). An edit applied a second time would use a
    change number without a first answer. While administrators write concurrently
    (step_burst) the counter moves for them too; then only the answers are checked.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.first: dict[str, dict[str, Any]] = {}  # mutation id -> the first answer
        self.uploads = 0
        self.effective = 0  # edits that took effect
        self.consumed = 0  # change numbers used by uploads (counted when not concurrent)
        self.repeats = 0
        self.concurrent = False

    def bound(self, sc: SimClient) -> Audited:
        return _ClientAudit(self, sc)

    def _versions(self, session: Any, keys: list[tuple[str, str]]) -> dict[Any, int | None]:
        found: dict[Any, int | None] = {}
        for kind, ident in keys:
            row = session.get(_MODELS[kind], ident)
            found[(kind, ident)] = None if row is None else int(row.version)
        return found

    def before(self, request: httpx.Request) -> Any:
        mutations = json.loads(request.read())["mutations"]
        keys = list(dict.fromkeys((m["kind"], m["target"]) for m in mutations))
        with self.sim.server_db().read() as session:
            return current_seq(session), self._versions(session, keys), mutations, keys

    def after(self, sc: SimClient, response: httpx.Response, token: Any) -> None:
        seq_before, versions, mutations, keys = token
        self.uploads += 1
        if response.status_code == 429:  # admission control: turned away, nothing done
            return
        if not response.is_success:
            self._fail(f"{sc.label}: upload of edits answered {response.status_code}")
        results = _json_of(response)["results"]
        with self.sim.server_db().read() as session:
            seq_after = current_seq(session)
            after = self._versions(session, keys)
        if len(results) != len(mutations):
            self._fail(f"{sc.label}: {len(mutations)} edits sent, {len(results)} answered")
        chain = dict(versions)  # each record's version as the edits before in this upload left it
        took: list[str] = []
        for mutation, result in zip(mutations, results, strict=True):
            effect = self._judge(sc, mutation, result, chain, after)
            if effect is not None:
                took.append(effect)
        self.effective += len(took)
        if self.concurrent:
            return
        used = seq_after - seq_before
        self.consumed += used
        if used != len(took):
            self._fail(
                f"{sc.label}: an upload of {len(mutations)} edits took effect {len(took)} times"
                f" ({took}) but used {used} change numbers (seq {seq_before} -> {seq_after})"
            )

    def _judge(
        self,
        sc: SimClient,
        mutation: dict[str, Any],
        result: dict[str, Any],
        chain: dict[Any, int | None],
        after: dict[Any, int | None],
    ) -> str | None:
        """Check one answer; returns what the edit did if it took effect."""
        ident = mutation["id"]
        what = f"{mutation['op']} {mutation['kind']} {mutation['target']} ({ident})"
        first = self.first.get(ident)
        if result["id"] != ident:
            self._fail(f"{sc.label}: {what} answered as {result['id']}")
        if result.get("repeated"):
            self.repeats += 1
            if first is None:
                self._fail(f"{sc.label}: {what} answered as repeated, never answered before")
            elif _gist(result) != _gist(first):
                self._fail(f"{sc.label}: {what} answered {result}, first {first}")
            return None
        if first is not None:
            self._fail(f"{sc.label}: {what} judged again (applied twice?): {first} then {result}")
        self.first[ident] = result
        if result["outcome"] != "applied":
            return None
        self.sim.note_client_edit(sc, mutation)
        key = (mutation["kind"], mutation["target"])
        if mutation["op"] == "create":
            effect = True
        elif mutation["op"] == "delete":
            effect = chain.get(key) is not None and after[key] is None
        else:  # a no-op answers the version the record had
            effect = result.get("version") != chain.get(key)
        if not effect:
            return None
        chain[key] = None if mutation["op"] == "delete" else result.get("version")
        return what

    def _fail(self, what: str) -> None:
        raise self.sim.failure(f"upload audit: {what}")


class _ClientAudit(Audited):
    def __init__(self, audit: UploadAudit, sc: SimClient) -> None:
        self.audit = audit
        self.sc = sc

    def wants(self, request: httpx.Request) -> bool:
        return _aimed_at(request, MUTATIONS)

    def before(self, request: httpx.Request) -> Any:
        return self.audit.before(request)

    def after(self, request: httpx.Request, response: httpx.Response, token: Any) -> None:
        self.audit.after(self.sc, response, token)


# --- what the administrator has made -------------------------------------------------------


@dataclass
class World:
    """The simulation's own notes of what exists on the server, to choose valid steps.

    Only ids and the relations needed to choose are kept: what each user may see is
    never predicted here; the server's view is the reference the clients are held to.
    """

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    # (group, "user:x" or "group:y"): a dict as an ordered set. Ids are random, so any
    # order derived from them (a set's, a sort's) would differ between replays.
    members: dict[tuple[str, str], None] = field(default_factory=dict)
    template_groups: list[str] = field(default_factory=list)
    group_parents: dict[str, str] = field(default_factory=dict)  # template groups in groups
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    snippets: dict[str, dict[str, Any]] = field(default_factory=dict)
    units: dict[str, str | None] = field(default_factory=dict)  # id -> parent
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # uploaded docx-like files
    contents: dict[str, bytes] = field(default_factory=dict)  # their bytes, for clients
    images: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # snippet bodies, reused to share files
    counter: int = 0

    def next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def subgroups(self, group: str) -> set[str]:
        """``group`` and every group nested in it."""
        found, todo = {group}, [group]
        while todo:
            current = todo.pop()
            for parent, member in self.members:
                child = member.removeprefix("group:")
                if parent == current and member.startswith("group:") and child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def subunits(self, unit: str) -> set[str]:
        found, todo = {unit}, [unit]
        while todo:
            current = todo.pop()
            for child, parent in self.units.items():
                if parent == current and child not in found:
                    found.add(child)
                    todo.append(child)
        return found


# --- the simulation ------------------------------------------------------------------------

# One kind of edit a user makes through the Editor: what was queued, or why nothing was.
EditAction = Callable[[SimClient, Editor], Queued | str]


class Simulation:
    """One seed: setup, ``rounds`` rounds of random steps, teardown.

    A round is 5-10 steps drawn by weight from the client steps (sync with random faults,
    crash and restart, a lost answer, a scope that flaps around a broken sync, a sync
    during concurrent writes, a new device; with ``edits``: edits, two devices editing
    one field, an offline period, a fault aimed at the upload, settling conflicts) and
    the administrator's changes; after each step :meth:`check_instant`, after each round
    :meth:`check_round`. Any failure raises :class:`SimulationFailure` with the seed, the
    step, the recent steps and every client's cursor history and outbox.

    ``edits=False`` leaves out everything about edits (the second device, the fields
    they use, the steps): the seeds then replay the steps they made before clients could
    edit, which the regression seeds rely on.
    """

    def __init__(
        self,
        seed: int,
        live: LiveServer,
        tmp_path: Path,
        clients: int = 3,
        *,
        rounds: int = 6,
        steps_per_round: tuple[int, int] = (5, 10),
        seeds_in_run: list[int] | None = None,
        edits: bool = True,
    ) -> None:
        self.seed = seed
        self.live = live
        self.tmp_path = tmp_path
        self.rounds = rounds
        self.steps_per_round = steps_per_round
        self.seeds_in_run = seeds_in_run or [seed]
        self.rnd = random.Random(seed)
        self.world = World()
        # Names only need to be unique on a server shared with other seeds.
        self.tag = secrets.token_hex(3)
        self.log: list[str] = []
        self.where = "setup"
        self.clients: list[SimClient] = []
        self._n_clients = clients
        self.database = "sqlite" if live.database_url is None else "postgresql"
        self._db: Database | None = None  # the server's database (housekeeping, audit)
        self.logo_field = self.logo_field_id = ""
        self.signature_field = self.signature_field_id = ""
        self.devices = 0
        self.last_membership: tuple[str, str] | None = None
        self.sessions: dict[str, Api] = {}  # users' own sign-ins, for their personal snippets
        self.started = time.monotonic()
        self.stats: Counter[str] = Counter()
        self.edits = edits
        self.audit = UploadAudit(self)
        self.phone_field = self.phone_field_id = ""  # a profile field clients edit
        self.room_field = self.room_field_id = ""  # a unit field clients edit
        self.retired: list[SimClient] = []  # devices replaced by new ones

    # --- running ---------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.setup()
            for number in range(1, self.rounds + 1):
                self.round(number)
            self.where = "teardown"
            self.teardown()
        except SimulationFailure:
            self.clean_up_after_failure()
            raise
        except (Exception, SimulatedCrash) as exc:
            failure = self.failure(f"{type(exc).__name__}: {exc}")
            self.clean_up_after_failure()
            raise failure from exc
        finally:
            self.close()
            # Shown by pytest with -s or -rP: what the seed did, with timings.
            print("\n".join(self.log))
            print(f"seed {self.seed}: {dict(sorted(self.stats.items()))}")

    def round(self, number: int) -> None:
        count = self.rnd.randint(*self.steps_per_round)
        for step in range(1, count + 1):
            self.where = f"round {number} step {step}"
            self.note(self.random_step())
            self.check_instant()
            self._count_down_offline()
        self.where = f"round {number} check"
        self.check_round()

    def random_step(self) -> str:
        ops = self.client_steps() + self.admin_steps()
        weights = [w for w, _ in ops]
        _, op = self.rnd.choices(ops, weights=weights)[0]
        return op()

    def note(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.log.append(f"{elapsed:7.2f}s [{self.where}] {text}")

    def failure(self, what: str) -> SimulationFailure:
        seeds = ",".join(str(s) for s in self.seeds_in_run)
        edits = "" if self.edits else "DOCSHELF_SIM_EDITS=0 "
        lines = [
            f"sync simulation failed: seed={self.seed} at {self.where} ({self.database})",
            f"  {what}",
            "replay this seed alone:",
            f"  {edits}pytest {TEST_FILE} --sim-seed {self.seed} --sim-rounds {self.rounds}"
            f" -k {self.database}",
            f"  or: {edits}DOCSHELF_SIM_SEEDS={self.seed} DOCSHELF_SIM_ROUNDS={self.rounds}"
            f" pytest {TEST_FILE} -k {self.database}",
            f"replay with the seeds that ran before it on the same server: "
            f"DOCSHELF_SIM_SEEDS={seeds}",
            "last steps:",
            *(f"  {line}" for line in self.log[-40:]),
        ]
        for sc in self.clients:
            lines.append(f"{sc.label}: cursor history (last 15 of {len(sc.watch.history)}):")
            lines.extend(f"    {h}" for h in sc.watch.history[-15:])
            if sc.faults.events:
                lines.append(f"  faults: {'; '.join(sc.faults.events[-8:])}")
            if sc.made:
                lines.append(f"  outbox: {self._outbox_summary(sc)}")
        return SimulationFailure("\n".join(lines))

    def _outbox_summary(self, sc: SimClient) -> str:
        if sc.client is None:
            return "closed"
        try:
            entries = sc.app.store.outbox.entries()
        except Exception as exc:  # the message must not fail for it
            return f"unreadable: {exc}"
        return "; ".join(f"{e.id[:8]} {e.state.value} {e.summary}" for e in entries) or "empty"

    def require(self, condition: bool, what: str) -> None:
        if not condition:
            raise self.failure(what)

    # --- setup and teardown ----------------------------------------------------------------

    def setup(self) -> None:
        self._ok(
            "PATCH", "/admin/settings", json={"values": {CLIENT_SYNC_INTERVAL: 15 * MINUTE_MS}}
        )
        logo = self._ok(
            "POST",
            "/admin/fields",
            json={"key": f"logo_{self.tag}", "scope": "unit", "type": "image"},
        )
        self.logo_field, self.logo_field_id = logo["key"], logo["id"]
        signature = self._ok(
            "POST",
            "/admin/fields",
            json={"key": f"signature_{self.tag}", "scope": "user", "type": "image"},
        )
        self.signature_field, self.signature_field_id = signature["key"], signature["id"]
        for _ in range(3):
            self._create_group()
        self._add_member(self.world.groups[0], f"group:{self.world.groups[1]}")
        roles = [["user"], ["layouter"]]
        for index in range(self._n_clients + 2):
            role = roles[index] if index < len(roles) else self.rnd.choice(_ROLE_SETS)
            self._create_user(role, client=index < self._n_clients)
        for user in list(self.world.users):
            for group in self.rnd.sample(self.world.groups, self.rnd.randint(0, 2)):
                self._add_member(group, f"user:{user}")
        for _ in range(2):
            self.op_create_template_group()
        # Enough that a reconciliation takes several manifest pages.
        for _ in range(4):
            self.op_create_template()
        for _ in range(3):
            self.op_create_snippet()
        self.op_create_unit()
        self.op_create_unit()
        self.op_create_profile()
        client_users = [u for u in self.world.users.values() if u["client"]]
        for index, user in enumerate(client_users):
            self.clients.append(self._new_client(index, user))
        if self.edits:
            self._setup_edits()
        self.note(f"setup done: {len(self.clients)} clients, tag {self.tag}")

    def _setup_edits(self) -> None:
        """Fields clients edit, a profile for each client's user, and a second device of
        one user: the two devices edit that user's profiles at once (step_twin_edits)."""
        phone = self._ok(
            "POST",
            "/admin/fields",
            json={"key": f"phone_{self.tag}", "scope": "user", "type": "phone"},
        )
        self.phone_field, self.phone_field_id = phone["key"], phone["id"]
        room = self._ok(
            "POST",
            "/admin/fields",
            json={"key": f"room_{self.tag}", "scope": "unit", "type": "text"},
        )
        self.room_field, self.room_field_id = room["key"], room["id"]
        for sc in self.clients:
            body = {"owner_id": sc.user["id"], "title": self.world.next("P")}
            record = self._ok("POST", "/admin/profiles", json=body)
            self.world.profiles[record["id"]] = {"owner_id": sc.user["id"], "unit_id": None}
        user = self.rnd.choice(self.clients).user
        self.clients.append(self._new_client(len(self.clients), user))

    def _new_client(self, index: int, user: dict[str, Any], device: int = 0) -> SimClient:
        sc = SimClient(
            index=index,
            user=user,
            home=self.tmp_path / f"client{index}-{device}",
            page_size=self.rnd.randint(3, 7),
            rnd=random.Random(f"{self.seed}-transport-{index}-{device}"),
            faults=Faults(),
            watch=CursorWatch(f"client {index}"),
        )
        sc.client = self._open(sc)
        sc.app.login(self.live.url, user["login"], PASSWORD, device_name=f"sim-{index}")
        return sc

    def _open(self, sc: SimClient) -> Client:
        """A Client on the client's home, as a freshly started process would open it."""

        def observe(request: httpx.Request, response: httpx.Response) -> None:
            path = request.url.path
            if response.is_success and path.endswith(("/sync/changes", "/sync/records")):
                sc.sent.update(_record_keys(response.json()))
            elif response.is_success and _aimed_at(request, MUTATIONS):
                for result in response.json()["results"]:
                    sc.delivered[result["id"]] = result

        audit = self.audit.bound(sc)

        def http() -> httpx.Client:
            inner = httpx.HTTPTransport(verify=_TLS)
            transport = FaultyTransport(inner, sc.rnd, sc.faults, observe, audit)
            return _WatchedHttp(sc, transport)

        # One download at a time: the faults are drawn per request, in the order they come.
        return Client(Home(sc.home), http=http, page_size=sc.page_size, parallel_downloads=1)

    def teardown(self) -> None:
        """Delete what this seed made, so the next seed on the same server starts small.

        Also a last round of its own: mass deletions must leave every client too.
        """
        self._delete_content()
        self.check_round()
        self.check_edits_answered()
        for sc in self.clients:
            sc.app.close()
            sc.client = None
        self._delete_accounts()

    def _delete_content(self) -> None:
        world = self.world
        for user, info in world.users.items():
            if not info["active"]:  # to sign in as the owner of personal snippets
                self._ok("POST", f"/admin/users/{user}/restore")
                info["active"] = True
        for profile in list(world.profiles):
            self._ok("DELETE", f"/admin/profiles/{profile}")
        for snippet in [s for s, v in world.snippets.items() if v["kind"] != "template"]:
            self._ok("DELETE", f"/admin/snippets/{snippet}", self._editor(snippet))
        for template in list(world.templates):
            self._purge_template(template)
        # Leaves first: a unit with sub-units can't be deleted.
        for unit in sorted(world.units, key=lambda u: -len(self._ancestors(u))):
            self._ok("DELETE", f"/admin/units/{unit}")
        # Sub-groups (clients nest them) before their parents.
        for group in sorted(world.template_groups, key=lambda g: -self._group_depth(g)):
            self._ok("DELETE", f"/admin/template-groups/{group}")
        world.profiles.clear()
        world.snippets.clear()
        world.units.clear()
        world.template_groups.clear()
        world.group_parents.clear()
        self._ok(
            "PATCH", "/admin/settings", json={"values": {CLIENT_SYNC_INTERVAL: 15 * MINUTE_MS}}
        )

    def _delete_accounts(self) -> None:
        for group in self.world.groups:
            self._ok("DELETE", f"/admin/groups/{group}")
        for user in self.world.users:
            self._ok("POST", f"/admin/users/{user}/deactivate")
            self._ok("DELETE", f"/admin/users/{user}")
        for field_id in (self.logo_field_id, self.signature_field_id):
            self._ok("DELETE", f"/admin/fields/{field_id}")
        for field_id in (self.phone_field_id, self.room_field_id):
            if field_id:
                self._ok("DELETE", f"/admin/fields/{field_id}")
        # Forget the deletions too: the next seed on this server then starts as it would on
        # a fresh one (pages count tombstones), which keeps a seed's replay faithful.
        self.op_purge_tombstones()

    def clean_up_after_failure(self) -> None:
        """Best effort: leave the server to the next seed as if this one had finished (its
        leftovers would make the next seeds fail too, or differ from their replays)."""
        for sc in self.clients:
            sc.faults.off()
        try:
            self._delete_content()
            self._delete_accounts()
        except (Exception, SimulatedCrash) as exc:
            self.note(f"clean-up after the failure failed too: {exc}")

    def _group_depth(self, group: str) -> int:
        chain = [group]
        parent = self.world.group_parents.get(group)
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = self.world.group_parents.get(parent)
        return len(chain) - 1

    def _ancestors(self, unit: str) -> list[str]:
        chain: list[str] = []
        parent = self.world.units.get(unit)
        while parent is not None:
            chain.append(parent)
            parent = self.world.units.get(parent)
        return chain

    def close(self) -> None:
        for sc in [*self.clients, *self.retired]:
            if sc.client is not None:
                with contextlib.suppress(Exception):
                    sc.client.close()
                sc.client = None
        if self._db is not None:
            self._db.dispose()

    # --- talking to the server as the administrator ----------------------------------------

    def _request(
        self, method: str, path: str, api: Api | None = None, **kwargs: Any
    ) -> httpx.Response:
        return (api or self.live.admin).request(method, path, **kwargs)

    def _ok(self, method: str, path: str, api: Api | None = None, **kwargs: Any) -> Any:
        response = self._request(method, path, api, **kwargs)
        if not response.is_success:
            raise self.failure(
                f"admin {method} {path} -> {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def _maybe(self, method: str, path: str, refusals: tuple[int, ...], **kwargs: Any) -> Any:
        """A change the server may refuse for a good reason (a cycle, a unit in use)."""
        response = self._request(method, path, **kwargs)
        if response.status_code in refusals:
            self.note(f"  refused ({response.status_code}): {method} {path}")
            return None
        if not response.is_success:
            raise self.failure(
                f"admin {method} {path} -> {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else True

    def _upload(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self._ok("PUT", f"/blobs/{sha}", content=data)
        return sha

    # --- random choices --------------------------------------------------------------------

    def _pick(self, items: Any) -> Any:
        seq = list(items)
        return self.rnd.choice(seq) if seq else None

    def _rights(self) -> list[str]:
        """Use or read rights: mostly everyone or a group, sometimes a person, rarely nobody."""
        roll = self.rnd.random()
        group = self._pick(self.world.groups)
        if roll < 0.45 or group is None:
            return ["*"]
        if roll < 0.8:
            return [f"group:{group}"]
        if roll < 0.95:
            user = self._pick(self.world.users)
            return sorted({f"group:{group}", f"user:{user}"})
        return []

    def _change_rights(self) -> list[str]:
        roll = self.rnd.random()
        if roll < 0.5:
            return []
        if roll < 0.8 and self.world.groups:
            return [f"group:{self._pick(self.world.groups)}"]
        return [f"user:{self._pick(self.world.users)}"]

    def _docx(self) -> str:
        """A file for a template: often one uploaded before (same content, same hash)."""
        if self.world.files and self.rnd.random() < 0.4:
            return str(self._pick(self.world.files))
        size = self.rnd.choice([64, 300, 2_000, 9_000, 40_000, 150_000])
        data = DOCX_MAGIC + self.rnd.randbytes(size)
        sha = self._upload(data)
        self.world.files.append(sha)
        self.world.contents[sha] = data
        return sha

    def _image(self) -> str:
        if self.world.images and self.rnd.random() < 0.4:
            return str(self._pick(self.world.images))
        sha = self._upload(b"\x89PNG\r\n\x1a\n" + self.rnd.randbytes(self.rnd.randint(50, 5000)))
        self.world.images.append(sha)
        return sha

    def _text(self) -> str:
        if self.world.texts and self.rnd.random() < 0.3:
            return str(self._pick(self.world.texts))
        text = f"Snippet text {self.world.next('b')} " + "x" * self.rnd.randint(0, 300)
        self.world.texts.append(text)
        return text

    # --- the steps -------------------------------------------------------------------------

    def client_steps(self) -> list[tuple[float, Callable[[], str]]]:
        steps: list[tuple[float, Callable[[], str]]] = [
            (16, self.step_sync),
            (8, self.step_crash),
            (6, self.step_drop),
            (3, self.step_flap),
            (3, self.step_burst),
            (1, self.step_restart),
            (1, self.step_new_device),
        ]
        if self.edits:
            steps += [
                (20, self.step_edit),
                (8, self.step_twin_edits),
                (8, self.step_upload_fault),
                (3, self.step_offline),
                (5, self.step_settle),
            ]
        return steps

    def admin_steps(self) -> list[tuple[float, Callable[[], str]]]:
        steps: list[tuple[float, Callable[[], str]]] = [
            (4, self.op_create_template),
            (2, self.op_update_template),
            (3, self.op_set_template_file),
            (1, self.op_remove_template_file),
            (3, self.op_set_status),
            (3, self.op_set_use_rights),
            (1, self.op_set_change_rights),
            (1, self.op_move_template),
            (2, self.op_deactivate_template),
            (1, self.op_restore_template),
            (1, self.op_purge_template),
            (3, self.op_create_snippet),
            (2, self.op_update_snippet),
            (1, self.op_delete_snippet),
            (2, self.op_create_unit),
            (1, self.op_move_unit),
            (1, self.op_update_unit),
            (1, self.op_delete_unit),
            (2, self.op_create_profile),
            (2, self.op_share_profile),
            (1, self.op_delete_profile),
            (3, self.op_membership),
            (1, self.op_nesting),
            (1, self.op_settings),
            (1, self.op_roles),
            (1, self.op_other_user),
            (0.5, self.op_replace_group),
            (0.5, self.op_relabel_field),
            (1, self.op_signature),
            (0.5, self.op_create_template_group),
            (0.3, self.op_purge_tombstones),
        ]
        if self.edits:
            # What clients edit too: the administrator's change meets their offline edits.
            steps.append((2, self.op_profile_fields))
        return steps

    # --- client steps ----------------------------------------------------------------------

    def _client(self) -> SimClient:
        sc = self.rnd.choice(self.clients)
        # The transport's own random faults start afresh from the seed at every step: how
        # many requests earlier syncs made (pages split by random ids) can't shift them.
        sc.rnd.seed(self.rnd.getrandbits(64))
        return sc

    def _sync(self, sc: SimClient, label: str) -> SyncResult:
        before = len(sc.faults.events)
        try:
            result = sc.app.sync()
        finally:
            self._observe(sc, label)
        faults = "; ".join(sc.faults.events[before:]) or "no faults"
        self.stats["syncs"] += 1
        self.stats["failed syncs"] += result.status != "ok"
        self.stats["reconciliations"] += result.reconciled
        self.stats["edits applied"] += result.uploaded
        self.stats["conflicts"] += result.conflicts
        self.stats["rejections"] += result.rejected
        self.stats["faults"] += len(sc.faults.events) - before
        error = f" {result.error_code}" if result.error_code else ""
        self.note(f"  {sc.label} {label}: {result.status}{error} ({faults})")
        return result

    def _expect_fault_result(self, sc: SimClient, result: SyncResult) -> None:
        if result.status == "ok":
            return
        self.require(
            result.error_code in FAULT_ERRORS,
            f"{sc.label}: sync failed with an error faults don't explain:"
            f" {result.error_code}: {result.error}",
        )

    def step_sync(self) -> str:
        sc = self._client()
        result = self._faulty_sync(sc, "sync with faults")
        return f"{sc.label}: sync with faults -> {result.status}"

    def _faulty_sync(self, sc: SimClient, label: str) -> SyncResult:
        # A sync between two steps makes a handful of requests: rates high enough that a
        # fault happens in most of them.
        sc.faults.arm(
            connect=self.rnd.choice([0.0, 0.05, 0.15]),
            drop=self.rnd.choice([0.0, 0.1, 0.25]),
            cut=self.rnd.choice([0.0, 0.3, 0.7]),
        )
        try:
            result = self._sync(sc, label)
        finally:
            sc.faults.off()
        self._expect_fault_result(sc, result)
        return result

    def step_crash(self) -> str:
        sc = self._client()
        # Early requests mostly: a sync between two admin steps needs only a few.
        at = self.rnd.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 7, 9])
        mode = self.rnd.choice(["before", "after", "download"])
        return self._crash_sync(sc, at, mode)

    def _crash_sync(self, sc: SimClient, at: int, mode: str, only: str | None = None) -> str:
        sc.faults.one_off(crash_at=at, mode=mode, only=only)
        target = f"{only} request" if only else "request"
        try:
            result = self._sync(sc, f"sync, crash {mode} {target} #{at}")
        except SimulatedCrash as crash:
            self.stats["crashes"] += 1
            self.restart(sc, f"crashed at {crash}")
            return f"{sc.label}: crashed ({mode}) at request {crash}; restarted"
        finally:
            sc.faults.off()
        if sc.faults.offline:
            self._expect_fault_result(sc, result)
            return f"{sc.label}: offline, the sync failed before crash point #{at}"
        self.require(
            result.status == "ok", f"{sc.label}: sync without faults failed: {result.error}"
        )
        return f"{sc.label}: sync ended before crash point #{at}"

    def step_drop(self) -> str:
        sc = self._client()
        at = self.rnd.choice([0, 1, 1, 2, 2, 3, 4, 5, 7])
        sc.faults.one_off(drop_at=at)
        try:
            result = self._sync(sc, f"sync, answer #{at} lost")
        finally:
            sc.faults.off()
        self._expect_fault_result(sc, result)
        return f"{sc.label}: sync with answer #{at} lost -> {result.status}"

    def step_flap(self) -> str:
        """A group is given something new and a user joins it; that user's next sync breaks
        off in the reconciliation the new scope asks for, and the administrator takes the
        membership back before the client syncs again: its scope is then once more the one
        its old cursor was made for. (op_membership takes changes back too, at random.)"""
        sc = self._client()
        user = sc.user["id"]
        outside = [g for g in self.world.groups if (g, f"user:{user}") not in self.world.members]
        if not outside:
            return f"{sc.label} is in every group already"
        group = self._pick(outside)
        # What the reconciliation fetches for the group is what could wrongly stay.
        grant = [f"group:{group}"]
        body = {"kind": "docx", "titles": {"de": self.world.next("T")}, "status": "released"}
        self._note_template(
            self._ok("POST", "/admin/templates", json={**body, "use_rights": grant})
        )
        body = {"kind": "shared", "title": self.world.next("S"), "body": self._text()}
        self._note_snippet(self._ok("POST", "/admin/snippets", json={**body, "read_rights": grant}))
        self._toggle_membership(group, user)
        # Aimed at a later manifest page, after the records of the earlier ones were
        # fetched and stored (if the reconciliation has that many pages).
        at = self.rnd.randint(1, 4)
        if self.rnd.random() < 0.5:
            sc.faults.one_off(drop_at=at, only="/sync/manifest")
            try:
                result = self._sync(sc, f"sync, answer of manifest page #{at} lost")
            finally:
                sc.faults.off()
            self._expect_fault_result(sc, result)
        else:
            mode = self.rnd.choice(["before", "after"])
            self._crash_sync(sc, at, mode, only="/sync/manifest")
        self._toggle_membership(group, user)
        return f"{sc.label} joined and left group {group} around a sync broken at page #{at}"

    def step_new_device(self) -> str:
        """The user signs in on another computer: an empty cache catches up on everything
        that happened so far, in whatever order the rows were last touched."""
        old = self._client()
        self._retire(old)
        old.app.close()
        old.client = None
        self.devices += 1
        sc = self._new_client(old.index, old.user, self.devices)
        self.clients[old.index] = sc
        return f"{old.label} replaced by a new device: {sc.label}"

    def step_restart(self) -> str:
        sc = self._client()
        self.restart(sc, "restarted")
        return f"{sc.label}: restarted without syncing"

    def restart(self, sc: SimClient, why: str) -> None:
        """Throw the Client away and open a new one on its home, then check what is on disk."""
        sc.app.close()
        sc.client = self._open(sc)
        self.stats["restarts"] += 1
        self._observe(sc, why)
        status = sc.app.status()
        self.require(
            status.state.value != "syncing",
            f"{sc.label}: a fresh process reads 'syncing' from a dead sync",
        )

    def step_burst(self) -> str:
        """Several administrators commit at once while a client syncs (out-of-order commits
        on PostgreSQL: a client must not skip a change whose number was drawn earlier but
        committed later)."""
        sc = self._client()
        jobs = [self._burst_job() for _ in range(self.rnd.randint(2, 5))]
        sc.faults.arm(connect=0.0, drop=self.rnd.choice([0.0, 0.05]), cut=0.0)
        apis = [Api(self.live.url, self.live.admin.token) for _ in jobs]
        self.audit.concurrent = True  # the change counter moves for the administrators too
        try:
            with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
                futures = [pool.submit(job.run, api) for job, api in zip(jobs, apis, strict=True)]
                result = self._sync(sc, "sync during concurrent writes")
                records = [f.result() for f in futures]
        finally:
            self.audit.concurrent = False
            sc.faults.off()
            for api in apis:
                api.close()
        # Noted in the order the jobs were drawn, not the order they committed in, so the
        # choices that follow are the same in every replay.
        for job, record in zip(jobs, records, strict=True):
            job.done(record)
        self._expect_fault_result(sc, result)
        made = ", ".join(f"{job.path} {r['id']}" for job, r in zip(jobs, records, strict=True))
        return f"{sc.label}: synced during {len(jobs)} concurrent changes: {made}"

    def _burst_job(self) -> _Job:
        """A change that commutes with the others of its burst (each makes something new)."""
        kind = self.rnd.choice(["snippet", "template", "unit"])
        title = self.world.next(kind[0].upper())
        if kind == "snippet":
            body = {"kind": "shared", "title": title, "body": self._text(), "read_rights": ["*"]}
            return _Job(self, "/admin/snippets", body, self._note_snippet)
        if kind == "unit":
            return _Job(self, "/admin/units", {"title": title}, self._note_unit)
        body = {"kind": "docx", "titles": {"de": title}, "status": "released"}
        return _Job(self, "/admin/templates", body, self._note_template)

    # --- client steps: edits ---------------------------------------------------------------

    def step_edit(self) -> str:
        """The user edits offline-capable: one to three edits, no sync."""
        sc = self._client()
        made = [self._edit(sc) for _ in range(self.rnd.randint(1, 3))]
        return f"{sc.label} edited: " + "; ".join(made)

    def _edit(self, sc: SimClient, *, with_file: bool = False) -> str:
        """One edit through the client's Editor. What the user's roles rule out is mostly
        not tried; now and then it is, and the Editor must refuse it without queueing.
        ``with_file``: an edit that brings a file (a snippet's body, a template's file)."""
        roles = set(sc.user["roles"][-1])
        actions = self._file_edits(roles) if with_file else self._edits(roles)
        _, action = self.rnd.choices(actions, weights=[w for w, _ in actions])[0]
        before = [e.id for e in sc.app.store.outbox.entries()]
        try:
            queued = action(sc, sc.app.editor())
        except LOCAL_REFUSALS as exc:
            self.stats["edits refused at once"] += 1
            after = [e.id for e in sc.app.store.outbox.entries()]
            self.require(after == before, f"{sc.label}: a refused edit was queued: {exc}")
            return f"refused at once ({type(exc).__name__}: {getattr(exc, 'message', exc)})"
        if isinstance(queued, str):
            return queued
        sc.made[queued.id] = queued.message
        self.stats["edits"] += 1
        entry = sc.app.store.outbox.get(queued.id)
        self.require(
            entry.state is EditState.PENDING, f"{sc.label}: a new edit is {entry.state.value}"
        )
        return f"{queued.id[:8]} {entry.summary}"

    def _file_edits(self, roles: set[str]) -> list[tuple[float, EditAction]]:
        actions: list[tuple[float, EditAction]] = [(2, self._edit_snippet_new)]
        if roles & {"layouter", "sys"}:
            actions.append((2, self._edit_template_file))
        return actions

    def _edits(self, roles: set[str]) -> list[tuple[float, EditAction]]:
        actions: list[tuple[float, EditAction]] = [
            (6, self._edit_profile_field),
            (1, self._edit_profile_title),
            (1, self._edit_profile_unit),
            (2, self._edit_profile_reset),
            (2, self._edit_profile_new),
            (2, self._edit_profile_share),
            (1, self._edit_profile_rm),
            (2, self._edit_snippet_new),
            (2, self._edit_snippet_edit),
            (1, self._edit_snippet_rm),
        ]
        if roles & {"layouter", "sys"} or self.rnd.random() < 0.1:
            actions += [
                (2, self._edit_template_set),
                (1, self._edit_template_rights),
                (2, self._edit_template_file),
                (1, self._edit_template_snippet),
                (1, self._edit_group_new),
                (1, self._edit_group_set),
                (0.5, self._edit_group_rm),
            ]
        if roles & {"org", "sys"} or self.rnd.random() < 0.1:
            actions += [
                (1, self._edit_unit_new),
                (2, self._edit_unit_set),
                (1, self._edit_unit_move),
                (1, self._edit_unit_rm),
            ]
        return actions

    def _seen(self, sc: SimClient, kind: str, key: Callable[[dict[str, Any]], Any]) -> list[Any]:
        """The records the user sees (their edits laid over), in an order ids don't decide."""
        records = sc.app.store.view(kind, sc.user["id"])
        return sorted(records, key=lambda r: (str(key(r)), r["id"]))

    def _profiles(self, sc: SimClient) -> list[dict[str, Any]]:
        return self._seen(sc, "profile", lambda r: r.get("title"))

    def _own_profile(self, sc: SimClient) -> dict[str, Any] | None:
        records = self._profiles(sc)
        own = [r for r in records if r.get("owner_id") == sc.user["id"]]
        # Now and then one shared with the user: only its owner may change it.
        if own and self.rnd.random() < 0.92:
            return dict(self.rnd.choice(own))
        picked: dict[str, Any] | None = self._pick(records)
        return picked

    def _units_seen(self, sc: SimClient) -> list[dict[str, Any]]:
        return self._seen(sc, "unit", lambda r: r.get("title"))

    def _phone(self) -> str:
        digits = [self.rnd.randint(10, 99) for _ in range(4)]
        return "+41 {} {}{} {}".format(*digits)

    def _edit_profile_field(self, sc: SimClient, editor: Editor) -> Queued | str:
        profile = self._own_profile(sc)
        if profile is None:
            return "no profile to edit"
        value = self._phone()
        queued = editor.profile_set(profile["id"], self.phone_field, value)
        # The user sees their edit at once, offline too (the outbox's overlay).
        shown = sc.app.store.view_record("profile", profile["id"], sc.user["id"]) or {}
        self.require(
            (shown.get("overrides") or {}).get(self.phone_field) == value,
            f"{sc.label}: edit {queued.id} ({queued.message}) is not shown: {shown}",
        )
        return queued

    def _edit_profile_title(self, sc: SimClient, editor: Editor) -> Queued | str:
        profile = self._own_profile(sc)
        if profile is None:
            return "no profile to rename"
        return editor.profile_set(profile["id"], "title", self.world.next("P"))

    def _edit_profile_unit(self, sc: SimClient, editor: Editor) -> Queued | str:
        profile, unit = self._own_profile(sc), self._pick(self._units_seen(sc))
        if profile is None or unit is None:
            return "no profile or unit to assign"
        return editor.profile_set(profile["id"], "unit", unit["id"])

    def _edit_profile_reset(self, sc: SimClient, editor: Editor) -> Queued | str:
        profile = self._own_profile(sc)
        if profile is None:
            return "no profile to reset"
        if self.rnd.random() < 0.5:  # mostly one that overrides the field
            own = [
                r
                for r in self._profiles(sc)
                if r.get("owner_id") == sc.user["id"] and self.phone_field in r["overrides"]
            ]
            profile = self._pick(own) or profile
        return editor.profile_reset(profile["id"], self.phone_field)

    def _edit_profile_new(self, sc: SimClient, editor: Editor) -> Queued | str:
        unit = self._pick([*self._units_seen(sc), None])
        return editor.profile_new(self.world.next("P"), unit and unit["id"])

    def _edit_profile_share(self, sc: SimClient, editor: Editor) -> Queued | str:
        profile = self._own_profile(sc)
        users = self._seen(sc, "user", lambda r: r.get("login"))
        user = self._pick(u for u in users if u["id"] != sc.user["id"])
        if profile is None or user is None:
            return "no profile or colleague to share with"
        return editor.profile_share(profile["id"], user["login"], self.rnd.random() < 0.6)

    def _edit_profile_rm(self, sc: SimClient, editor: Editor) -> Queued | str:
        profile = self._own_profile(sc)
        if profile is None:
            return "no profile to delete"
        return editor.profile_rm(profile["id"])

    def _body_file(self) -> Path:
        """A snippet body to import: often text the server holds already (see _text)."""
        folder = self.tmp_path / "edits"
        folder.mkdir(exist_ok=True)
        path = folder / f"{self.world.next('body')}.txt"
        path.write_text(self._text(), encoding="utf-8")
        return path

    def _edit_snippet_new(self, sc: SimClient, editor: Editor) -> Queued | str:
        shared = self.rnd.random() < 0.25  # only layouters may: refused at once otherwise
        group = self._pick(self._seen(sc, "group", lambda r: r.get("name")))
        in_group = shared and group is not None and self.rnd.random() < 0.5
        return editor.snippet_new(
            self.world.next("S"),
            self._body_file(),
            shared=shared,
            group=group["id"] if in_group else None,
        )

    def _snippet(self, sc: SimClient) -> dict[str, Any] | None:
        records = self._seen(sc, "snippet", lambda r: r.get("title"))
        own = [r for r in records if r.get("owner_id") == sc.user["id"]]
        if own and self.rnd.random() < 0.8:
            return dict(self.rnd.choice(own))
        picked: dict[str, Any] | None = self._pick(records)
        return picked

    def _edit_snippet_edit(self, sc: SimClient, editor: Editor) -> Queued | str:
        snippet = self._snippet(sc)
        if snippet is None:
            return "no snippet to edit"
        roll = self.rnd.random()
        title = self.world.next("S") if roll < 0.6 else None
        body = self._body_file() if roll > 0.3 else None
        return editor.snippet_edit(snippet["id"], title, body)

    def _edit_snippet_rm(self, sc: SimClient, editor: Editor) -> Queued | str:
        snippet = self._snippet(sc)
        if snippet is None:
            return "no snippet to delete"
        return editor.snippet_rm(snippet["id"])

    def _template_seen(self, sc: SimClient) -> dict[str, Any] | None:
        templates = self._seen(sc, "template", lambda r: (r.get("titles") or {}).get("de"))
        picked: dict[str, Any] | None = self._pick(templates)
        return picked

    def _edit_template_set(self, sc: SimClient, editor: Editor) -> Queued | str:
        template = self._template_seen(sc)
        if template is None:
            return "no template to change"
        roll = self.rnd.random()
        ident = template["id"]
        if roll < 0.4:
            return editor.template_set(ident, lang="de", title=self.world.next("T"))
        if roll < 0.55:
            return editor.template_set(ident, lang="de", description=self.world.next("D"))
        if roll < 0.85:
            status = self.rnd.choice(["released", "in_test", "in_progress"])
            return editor.template_set(ident, status=status)
        groups = self._seen(sc, "template_group", lambda r: (r.get("titles") or {}).get("de"))
        group = self._pick(groups)
        if group is None:
            return "no template group to move to"
        return editor.template_set(ident, group=group["id"])

    def _edit_template_rights(self, sc: SimClient, editor: Editor) -> Queued | str:
        template = self._template_seen(sc)
        if template is None:
            return "no template for rights"
        roll = self.rnd.random()
        if roll < 0.3:
            principal = "*"
        elif roll < 0.7:
            group = self._pick(self._seen(sc, "group", lambda r: r.get("name")))
            principal = "*" if group is None else f"group:{group['id']}"
        else:
            user = self._pick(self._seen(sc, "user", lambda r: r.get("login")))
            principal = "*" if user is None else user["login"]
        right = self.rnd.choice(["use", "use", "change"])
        add = self.rnd.random() < 0.6
        return editor.template_rights(
            template["id"], right, [principal] if add else [], [] if add else [principal]
        )

    def _edit_template_file(self, sc: SimClient, editor: Editor) -> Queued | str:
        template = self._template_seen(sc)
        if template is None:
            return "no template for a file"
        contents = self.world.contents
        if contents and self.rnd.random() < 0.25:  # a file the server holds already
            data = contents[self._pick(contents)]
        else:
            size = self.rnd.choice([64, 2_000, 40_000, 150_000])
            data = DOCX_MAGIC + self.rnd.randbytes(size)
        folder = self.tmp_path / "edits" / self.world.next("f")
        folder.mkdir(parents=True)
        path = folder / "Brief.docx"
        path.write_bytes(data)
        lang = self.rnd.choice(["de", "de", "en"])
        return editor.template_set_file(template["id"], lang, path)

    def _edit_template_snippet(self, sc: SimClient, editor: Editor) -> Queued | str:
        template = self._template_seen(sc)
        if template is None:
            return "no template for a snippet"
        title, body = self.world.next("S"), self._body_file()
        return editor.snippet_new(title, body, template=template["id"])

    def _groups_seen(self, sc: SimClient) -> list[dict[str, Any]]:
        return self._seen(sc, "template_group", lambda r: (r.get("titles") or {}).get("de"))

    def _edit_group_new(self, sc: SimClient, editor: Editor) -> Queued | str:
        parent = self._pick([*self._groups_seen(sc), None])
        return editor.template_group_new("de", self.world.next("TG"), parent and parent["id"])

    def _edit_group_set(self, sc: SimClient, editor: Editor) -> Queued | str:
        groups = self._groups_seen(sc)
        group = self._pick(groups)
        if group is None:
            return "no template group to change"
        roll = self.rnd.random()
        if roll < 0.5:
            title = self.world.next("TG")
            return editor.template_group_set(
                group["id"], lang="de", title=title, parent=None, top=False
            )
        parent = self._pick(groups) if roll < 0.85 else None
        return editor.template_group_set(
            group["id"], lang=None, title=None, parent=parent and parent["id"], top=parent is None
        )

    def _edit_group_rm(self, sc: SimClient, editor: Editor) -> Queued | str:
        group = self._pick(self._groups_seen(sc))
        if group is None:
            return "no template group to delete"
        return editor.template_group_rm(group["id"])

    def _edit_unit_new(self, sc: SimClient, editor: Editor) -> Queued | str:
        parent = self._pick([*self._units_seen(sc), None])
        return editor.unit_new(self.world.next("U"), parent and parent["id"])

    def _edit_unit_set(self, sc: SimClient, editor: Editor) -> Queued | str:
        unit = self._pick(self._units_seen(sc))
        if unit is None:
            return "no unit to change"
        roll = self.rnd.random()
        if roll < 0.3:
            return editor.unit_set(unit["id"], "title", self.world.next("U"))
        value = None if roll > 0.85 else f"Room {self.rnd.randint(1, 20)}"
        return editor.unit_set(unit["id"], self.room_field, value)

    def _edit_unit_move(self, sc: SimClient, editor: Editor) -> Queued | str:
        units = self._units_seen(sc)
        unit, parent = self._pick(units), self._pick([*units, None])
        if unit is None:
            return "no unit to move"
        return editor.unit_move(unit["id"], parent and parent["id"])

    def _edit_unit_rm(self, sc: SimClient, editor: Editor) -> Queued | str:
        unit = self._pick(self._units_seen(sc))
        if unit is None:
            return "no unit to delete"
        return editor.unit_rm(unit["id"])

    def note_client_edit(self, sc: SimClient, mutation: dict[str, Any]) -> None:
        """The server applied a client's edit (its first answer): what the world notes."""
        notes = {
            "profile": self._note_profile_edit,
            "snippet": self._note_snippet_edit,
            "unit": self._note_unit_edit,
            "template": self._note_template_edit,
            "template_group": self._note_group_edit,
        }
        note = notes.get(mutation["kind"])
        if note is not None:
            note(sc, mutation["op"], mutation["target"], mutation.get("set") or {})

    def _note_profile_edit(self, sc: SimClient, op: str, target: str, values: Any) -> None:
        profiles = self.world.profiles
        if op == "delete":
            profiles.pop(target, None)
        elif op == "create":
            profiles[target] = {"owner_id": sc.user["id"], "unit_id": values.get("unit_id")}
        elif "unit_id" in values and target in profiles:
            profiles[target]["unit_id"] = values["unit_id"]

    def _note_snippet_edit(self, sc: SimClient, op: str, target: str, values: Any) -> None:
        if op == "delete":
            self.world.snippets.pop(target, None)
        elif op == "create":
            personal = values.get("kind") == "personal"
            self.world.snippets[target] = {
                "kind": values.get("kind"),
                "template_id": values.get("template_id"),
                "owner_id": sc.user["id"] if personal else None,
            }

    def _note_unit_edit(self, sc: SimClient, op: str, target: str, values: Any) -> None:
        if op == "delete":
            self.world.units.pop(target, None)
        elif op == "create" or "parent_id" in values:
            self.world.units[target] = values.get("parent_id")

    def _note_group_edit(self, sc: SimClient, op: str, target: str, values: Any) -> None:
        world = self.world
        if op == "delete" and target in world.template_groups:
            world.template_groups.remove(target)
        elif op == "create":
            world.template_groups.append(target)
        parent = values.get("parent_id")
        if op == "delete" or ("parent_id" in values and parent is None):
            world.group_parents.pop(target, None)
        elif parent is not None:
            world.group_parents[target] = parent

    def _note_template_edit(self, sc: SimClient, op: str, target: str, values: Any) -> None:
        if target not in self.world.templates:
            return
        langs = self.world.templates[target]["langs"]
        for path, value in values.items():
            if path.startswith("files.") and value is None:
                langs.discard(path.removeprefix("files."))
            elif path.startswith("files."):
                langs.add(path.removeprefix("files."))

    def step_twin_edits(self) -> str:
        """Two devices of one user change the same profile before either syncs: the same
        field to different values (a conflict for the second to upload), to the same
        value (no conflict), or different fields (both win)."""
        pairs = [
            (a, b)
            for i, a in enumerate(self.clients)
            for b in self.clients[i + 1 :]
            if a.user["id"] == b.user["id"]
        ]
        if not pairs:
            return self.step_edit()
        a, b = self.rnd.choice(pairs)
        if self.rnd.random() < 0.5:
            a, b = b, a
        for sc in (a, b):
            sc.rnd.seed(self.rnd.getrandbits(64))
        me = a.user["id"]
        on_b = {r["id"] for r in self._profiles(b) if r.get("owner_id") == me}
        both = [r for r in self._profiles(a) if r.get("owner_id") == me and r["id"] in on_b]
        if not both:
            return f"{a.label} and {b.label} have no profile in common yet"
        profile = self.rnd.choice(both)["id"]
        roll = self.rnd.random()
        value = self._phone()
        edits = [(a, self.phone_field, value)]
        if roll < 0.65:
            edits.append((b, self.phone_field, self._phone()))
        elif roll < 0.8:
            edits.append((b, self.phone_field, value))
        else:
            edits.append((b, "title", self.world.next("P")))
        done = [self._set_profile(sc, profile, key, new) for sc, key, new in edits]
        outcomes = []
        for sc in (a, b):
            if self.rnd.random() < 0.4:
                result = self._faulty_sync(sc, "sync with faults after editing on two devices")
            else:
                result = self._clean_sync(sc, "sync after editing on two devices")
            outcomes.append(f"{result.status}/{result.uploaded} up/{result.conflicts} conflicts")
        return f"profile {profile} edited on two devices: {'; '.join(done)} -> {outcomes}"

    def _set_profile(self, sc: SimClient, profile: str, key: str, value: str) -> str:
        try:
            queued = sc.app.editor().profile_set(profile, key, value)
        except LOCAL_REFUSALS as exc:
            self.stats["edits refused at once"] += 1
            return f"{sc.label}: refused at once ({getattr(exc, 'message', exc)})"
        sc.made[queued.id] = queued.message
        self.stats["edits"] += 1
        return f"{sc.label}: {queued.id[:8]} {key}={value}"

    def _clean_sync(self, sc: SimClient, label: str) -> SyncResult:
        """A sync without injected faults: it must succeed unless the client is offline."""
        result = self._sync(sc, label)
        if sc.faults.offline:
            self._expect_fault_result(sc, result)
        else:
            self.require(result.status == "ok", f"{sc.label}: {label} failed: {result.error}")
        return result

    def step_upload_fault(self) -> str:
        """A crash or a lost answer aimed at the upload: at the edits themselves (applied
        or not, the answer never arrives) or at a file they need, or a file's upload that
        breaks off midway (the next sync sends the rest). Sent again, nothing may be
        applied twice (UploadAudit) - not even over an administrator who has set back
        what the edit changed meanwhile (then applying it again would show)."""
        sc = self._client()
        made = []
        if not sc.app.store.outbox.counts()["pending"] or self.rnd.random() < 0.5:
            with_file = self.rnd.random() < 0.5
            made = [self._edit(sc, with_file=with_file) for _ in range(self.rnd.randint(1, 2))]
        pending = sc.app.store.outbox.entries([EditState.PENDING])
        files = any(entry.files for entry in pending)
        target = BLOB_UPLOAD if files and self.rnd.random() < 0.5 else MUTATIONS
        faults = ["before", "after", "after", "lost"] + ["cut"] * 2 * (target == BLOB_UPLOAD)
        fault = self.rnd.choice(faults)
        at = self.rnd.choice([0, 0, 0, 1])
        if fault in ("lost", "cut"):
            what = self._upload_broken(sc, fault, target, at)
        else:
            what = self._crash_sync(sc, at, fault, only=target)
        if fault in ("after", "lost") and self.rnd.random() < 0.5:
            what += f"; set back: {self._take_back(sc) or 'nothing'}"
        if self.rnd.random() < 0.5:
            again = self._clean_sync(sc, "sync again")
            what += f"; again -> {again.status}, {again.uploaded} applied"
        return f"{what} (edited: {'; '.join(made) or 'nothing new'})"

    def _upload_broken(self, sc: SimClient, fault: str, target: str, at: int) -> str:
        if fault == "lost":
            sc.faults.one_off(drop_at=at, only=target)
            label = f"answer of {target} #{at} lost"
        else:
            sc.faults.arm(connect=0.0, drop=0.0, cut=0.0)
            sc.faults.cut_upload = 1.0  # every piece of a file breaks off midway
            label = "file uploads cut short"
        try:
            result = self._sync(sc, f"sync, {label}")
        finally:
            sc.faults.off()
        self._expect_fault_result(sc, result)
        return f"{sc.label}: {label} -> {result.status}"

    def _take_back(self, sc: SimClient) -> list[str]:
        """The administrator sets profiles back to what the user saw before their edits,
        which the server applied though the client never heard so."""
        before: dict[str, dict[str, Any]] = {}  # profile -> its values before the edits
        for entry in sc.app.store.outbox.entries([EditState.PENDING]):
            edit, first = entry.edit, self.audit.first.get(entry.id)
            if first is None or first["outcome"] != "applied" or edit.kind.value != "profile":
                continue
            values = before.setdefault(edit.target, {})
            for path, value in edit.base.items():
                if path.startswith("overrides.") or (path == "title" and value):
                    values.setdefault(path, value)
        done: list[str] = []
        for profile, values in before.items():
            overrides = {p.removeprefix("overrides."): v for p, v in values.items() if "." in p}
            body = {"overrides": overrides} if overrides else {}
            if "title" in values:
                body["title"] = values["title"]
            path = f"/admin/profiles/{profile}"
            if body and self._maybe("PATCH", path, (404,), json=body) is not None:
                done.append(f"{profile} {body}")
        return done

    def step_offline(self) -> str:
        """The network goes away for a few steps; the user goes on editing. The edits must
        wait in the outbox, pending, until the client is back (or the round's end)."""
        sc = self._client()
        if not sc.faults.offline:
            sc.faults.offline = True
            # Counted down after every step, this one included.
            sc.offline_steps = self.rnd.randint(2, 6)
            self.stats["offline periods"] += 1
        made = [self._edit(sc) for _ in range(self.rnd.randint(1, 3))]
        result = self._sync(sc, "sync while offline")
        self.require(
            result.status == "error" and result.error_code == "offline",
            f"{sc.label}: a sync without a network ended {result.status} {result.error_code}",
        )
        return f"{sc.label} offline ({sc.offline_steps} steps left), edited: {'; '.join(made)}"

    def _count_down_offline(self) -> None:
        for sc in self.clients:
            if sc.offline_steps:
                sc.offline_steps -= 1
                if not sc.offline_steps:
                    sc.faults.offline = False
                    self.note(f"  {sc.label} is back online")

    def _end_offline(self, sc: SimClient) -> None:
        sc.faults.offline = False
        sc.offline_steps = 0

    def step_settle(self) -> str:
        """The user settles what waits for them: keeps their side of a conflict (it goes up
        again under a new id) or the server's, discards a rejection, now and then drops a
        pending edit."""
        waiting = [
            sc
            for sc in self.clients
            if any(sc.app.store.outbox.counts()[s] for s in ("conflict", "rejected"))
        ]
        if not waiting:
            return self.step_edit()
        sc = self.rnd.choice(waiting)
        editor = sc.app.editor()
        done: list[str] = []
        for entry in sc.app.store.outbox.entries():
            roll = self.rnd.random()
            if entry.state is EditState.CONFLICT and roll < 0.5:
                queued = editor.resolve(entry.id, "mine")
                sc.settled[entry.id] = f"resolved: mine, again as {queued.id}"
                sc.made[queued.id] = entry.summary
                self.stats["conflicts kept mine"] += 1
                done.append(f"{entry.id[:8]} mine -> {queued.id[:8]}")
            elif entry.state is EditState.CONFLICT and roll < 0.9:
                editor.resolve(entry.id, "theirs")
                sc.settled[entry.id] = "resolved: theirs"
                self.stats["conflicts kept theirs"] += 1
                done.append(f"{entry.id[:8]} theirs")
            elif entry.state is EditState.REJECTED and roll < 0.8:
                editor.discard(entry.id)
                sc.settled[entry.id] = "discarded after its rejection"
                done.append(f"{entry.id[:8]} rejection discarded")
            elif entry.state is EditState.PENDING and roll < 0.05:
                editor.discard(entry.id)
                sc.settled[entry.id] = "discarded while pending"
                done.append(f"{entry.id[:8]} pending discarded")
        return f"{sc.label} settled: {', '.join(done) or 'nothing yet'}"

    def _retire(self, sc: SimClient) -> None:
        """The user leaves this device for a new one: it syncs once more, online, so that
        its edits go up; what still waits for a decision is discarded with it."""
        if not self.edits:
            return
        self._end_offline(sc)
        if sc.app.store.outbox.entries([EditState.PENDING, EditState.APPLIED]):
            result = self._sync(sc, "last sync before the device is replaced")
            self.require(result.status == "ok", f"{sc.label}: last sync failed: {result.error}")
        editor = sc.app.editor()
        for entry in sc.app.store.outbox.entries():
            editor.discard(entry.id)
            sc.settled[entry.id] = f"discarded with the device ({entry.state.value})"
        self.check_outbox(sc)
        self.retired.append(sc)

    # --- checks ----------------------------------------------------------------------------

    def _observe(self, sc: SimClient, where: str) -> None:
        store = sc.app.store
        problem = sc.watch.observe(
            f"{self.where} {where}", store.get(CURSOR), store.get_json(RECONCILE)
        )
        if problem:
            raise self.failure(problem)

    def check_instant(self) -> None:
        """What holds at any instant, also right after a crash: the cache is intact, holds
        only what the server sent, and every file it references is on disk and verified."""
        for sc in self.clients:
            self._check_store(sc)
            self._check_files(sc, exact=False)
            self.require(
                not sc.downloads_of_held_files,
                f"{sc.label}: downloaded files it held already: {sc.downloads_of_held_files}",
            )
            self.check_outbox(sc)

    def _check_store(self, sc: SimClient) -> None:
        with contextlib.closing(sqlite3.connect(sc.home / "cache.db")) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        self.require(verdict == "ok", f"{sc.label}: cache damaged: {verdict}")
        held = {(k, i, local.version, local.hash) for (k, i), local in _manifest(sc).items()}
        invented = sorted(held - sc.sent)
        self.require(not invented, f"{sc.label}: cache holds records never sent: {invented[:5]}")

    def _check_files(self, sc: SimClient, *, exact: bool) -> None:
        app = sc.app
        image_keys = {f["key"] for f in app.store.records("field") if f["type"] == "image"}
        needed = app.store.referenced_files(image_keys)
        # The index of which record needs which file is right at every commit: a clean-up
        # after a kill trusts it.
        with contextlib.closing(sqlite3.connect(sc.home / "cache.db")) as db:
            query = "SELECT DISTINCT sha FROM file_refs WHERE kind != ?"
            indexed = {sha for (sha,) in db.execute(query, (FILE_REF_KIND,))}
        self.require(
            indexed == needed,
            f"{sc.label}: file index wrong: missing {sorted(needed - indexed)[:3]},"
            f" extra {sorted(indexed - needed)[:3]}",
        )
        for sha in sorted(needed):
            path = app.files.path(sha)
            self.require(path.is_file(), f"{sc.label}: file {sha[:12]} referenced, not on disk")
            self.require(_sha_of_file(path) == sha, f"{sc.label}: file {sha[:12]} is damaged")
        if exact:
            held = {p.name for p in app.files.root.glob("??/??/*") if p.is_file()}
            # An edit's files stay until it is done (conflicts and rejections wait).
            needed |= {sha for entry in app.store.outbox.entries() for sha in entry.files}
            extra = sorted(held - needed)
            self.require(not extra, f"{sc.label}: files nothing references stay on disk: {extra}")

    def check_outbox(self, sc: SimClient) -> None:
        """Every edit is applied, rejected with a reason, or waiting - never silently lost.

        Each mutation id the client's Editor handed out is noted when it is made. Then it
        is in the outbox, pending until an answer reaches the client, after that holding
        that answer (applied with its version, a conflict with the server's values, a
        rejection with its code and reason), which must be the server's own answer as
        the audit saw it. An entry leaves the outbox only when it was answered *applied*
        (forgotten once pulled back) or the user said so (discard, resolve). The files of
        an entry stay on disk while it waits.
        """
        if not self.edits:
            return
        entries = {e.id: e for e in sc.app.store.outbox.entries()}
        strange = sorted(set(entries) - set(sc.made))
        self.require(not strange, f"{sc.label}: the outbox holds edits nobody made: {strange}")
        for ident, what in sc.made.items():
            if ident in sc.settled:
                self.require(
                    ident not in entries,
                    f"{sc.label}: edit {ident} ({what}) is {sc.settled[ident]} but still queued",
                )
                continue
            answer = sc.delivered.get(ident)
            entry = entries.get(ident)
            if entry is None:
                self.require(
                    answer is not None and answer["outcome"] == "applied",
                    f"{sc.label}: edit {ident} ({what}) left the outbox without being applied;"
                    f" the answer that reached the client: {answer}",
                )
                sc.settled[ident] = "applied"
                continue
            self._check_entry(sc, entry, answer)
            for sha in entry.files:
                self.require(
                    sc.app.files.has(sha),
                    f"{sc.label}: file {sha[:12]} of queued edit {ident} ({what}) is gone",
                )

    def _check_entry(
        self, sc: SimClient, entry: OutboxEntry, answer: dict[str, Any] | None
    ) -> None:
        what = f"{sc.label}: edit {entry.id} ({entry.summary}) is {entry.state.value}"
        if entry.state is EditState.PENDING:
            self.require(answer is None, f"{what}, but its answer reached the client: {answer}")
            return
        self.require(answer is not None, f"{what} without an answer")
        assert answer is not None
        first = self.audit.first.get(entry.id)
        self.require(
            first is not None and _gist(first) == _gist(answer),
            f"{what}: the client got {answer}, the server's first answer was {first}",
        )
        self.require(
            answer["outcome"] == entry.state.value, f"{what}, but the server answered {answer}"
        )
        if entry.state is not EditState.APPLIED and entry.id not in sc.reported:
            sc.reported.add(entry.id)
            kind = "conflict" if entry.state is EditState.CONFLICT else f"rejected: {entry.code}"
            self.stats[f"answered {kind}"] += 1
            said = f"conflict, theirs: {entry.theirs}" if entry.theirs else entry.reason
            self.note(f"  {sc.label}: {entry.id[:8]} ({entry.summary}) {said}")
        if entry.state is EditState.APPLIED:
            self.require(entry.version == answer.get("version"), f"{what} as {entry.version}")
        elif entry.state is EditState.CONFLICT:
            self.require(
                bool(entry.theirs) and entry.theirs == answer.get("theirs"),
                f"{what} with their values {entry.theirs}, the server said {answer}",
            )
        else:
            self.require(
                bool(entry.reason) and bool(entry.code) and entry.reason == answer.get("reason"),
                f"{what} with reason {entry.code}: {entry.reason}, the server said {answer}",
            )

    def _check_server_answers(self) -> None:
        """The server knows every edit it answered: its stored answer is the first one."""
        idents = sorted(self.audit.first)
        stored: dict[str, dict[str, Any]] = {}
        with self.server_db().read() as session:
            for start in range(0, len(idents), 400):
                batch = idents[start : start + 400]
                rows = session.query(AppliedMutation).filter(AppliedMutation.id.in_(batch))
                stored.update({row.id: dict(row.answer) for row in rows})
        for ident in idents:
            first = self.audit.first[ident]
            self.require(
                ident in stored and _gist(stored[ident]) == _gist(first),
                f"the server's record of edit {ident} is {stored.get(ident)}, it answered {first}",
            )

    def check_edits_answered(self) -> None:
        """At the end of a seed: every edit made went up and was answered, unless its user
        discarded it first (a device that is replaced discards what it can't send)."""
        if not self.edits:
            return
        for sc in [*self.clients, *self.retired]:
            for ident, what in sc.made.items():
                how = sc.settled.get(ident, "")
                self.require(
                    ident in self.audit.first or how.startswith("discarded"),
                    f"{sc.label}: edit {ident} ({what}) never reached the server ({how or 'kept'})",
                )
        self.note(
            f"edits: {len(self.audit.first)} answered in {self.audit.uploads} uploads,"
            f" {self.audit.effective} took effect, {self.audit.repeats} answers repeated,"
            f" {self.audit.consumed} change numbers used while nobody else wrote"
        )

    def check_round(self) -> None:
        """Faults off, every client syncs and must then hold exactly its user's view."""
        settings = {s["key"]: s["value"] for s in self._ok("GET", "/admin/settings")}
        for sc in self.clients:
            sc.faults.off()
            self._end_offline(sc)
        if self.edits:
            # Edits first, all of them: a client's clean sync then finds nothing new later.
            for sc in self.clients:
                if sc.app.store.outbox.counts()["pending"]:
                    result = self._sync(sc, "clean sync of pending edits")
                    self.require(
                        result.status == "ok", f"{sc.label}: clean upload failed: {result.error}"
                    )
        for sc in self.clients:
            result = self._sync(sc, "clean sync")
            self.require(result.status == "ok", f"{sc.label}: clean sync failed: {result.error}")
            again = self._sync(sc, "second sync")
            self.require(
                again.status == "ok" and again.downloaded == again.deleted == again.files == 0,
                f"{sc.label}: a sync right after a sync was not a no-op: {again.to_json()}",
            )
            try:
                assert_client_matches_server(self.live, sc.app)
            except AssertionError as exc:
                raise self.failure(
                    f"{sc.label}: cache differs from the server's view: {exc}"
                ) from exc
            self._check_files(sc, exact=True)
            self._check_store(sc)
            status = sc.app.status()
            self.require(
                status.state.value == "idle" and status.last_update is not None,
                f"{sc.label}: after a good sync the status reads {status.state.value}",
            )
            held = sc.app.settings()
            for key in (CLIENT_SYNC_INTERVAL, CLIENT_SYNC_MAX_DELAY_AFTER_START):
                self.require(
                    held[key] == settings[key],
                    f"{sc.label}: holds {key}={held[key]}, the server {settings[key]}",
                )
        # Nothing changed while they synced: all must have got to the same, newest change.
        heads = {position(sc.app.store.get(CURSOR)) for sc in self.clients}
        self.require(
            len(heads) == 1 and all(h is not None and h[1] == 0 for h in heads),
            f"clients ended clean syncs at different places: {sorted(map(str, heads))}",
        )
        if self.edits:
            for sc in self.clients:
                counts = sc.app.store.outbox.counts()
                self.require(
                    counts["pending"] == counts["applied"] == 0,
                    f"{sc.label}: after clean syncs the outbox still holds {counts}",
                )
                self.check_outbox(sc)
            self._check_server_answers()
        views = [len(server_view(self.live, sc.user["id"])) for sc in self.clients]
        self.note(f"check passed; views hold {views} records")

    # --- admin steps: templates ------------------------------------------------------------

    def _note_template(self, record: dict[str, Any]) -> None:
        self.world.templates[record["id"]] = {
            "active": record["active"],
            "langs": set(record["files"]),
        }

    def op_create_template_group(self) -> str:
        record = self._ok(
            "POST", "/admin/template-groups", json={"titles": {"de": self.world.next("TG")}}
        )
        self.world.template_groups.append(record["id"])
        return f"template group {record['id']} created"

    def op_create_template(self) -> str:
        status = self.rnd.choice(["released", "released", "released", "in_test", "in_progress"])
        body: dict[str, Any] = {
            "kind": "docx",
            "titles": {"de": self.world.next("T")},
            "status": status,
            "use_rights": self._rights(),
            "change_rights": self._change_rights(),
        }
        group = self._pick([*self.world.template_groups, None])
        if group is not None:
            body["group_id"] = group
        record = self._ok("POST", "/admin/templates", json=body)
        self._note_template(record)
        langs = ["de", "en"] if self.rnd.random() < 0.3 else ["de"]
        for lang in langs if self.rnd.random() < 0.9 else []:
            self._set_file(record["id"], lang)
        return f"template {record['id']} created ({status}, use {body['use_rights']})"

    def _set_file(self, template: str, lang: str) -> None:
        sha = self._docx()
        self._ok(
            "PUT",
            f"/admin/templates/{template}/files/{lang}",
            json={"sha256": sha, "filename": f"{self.world.next('f')}.docx"},
        )
        self.world.templates[template]["langs"].add(lang)

    def _template(self, active: bool | None = None) -> str | None:
        return self._pick(
            t for t, v in self.world.templates.items() if active is None or v["active"] == active
        )

    def op_update_template(self) -> str:
        template = self._template()
        if template is None:
            return "no template to update"
        body = {"titles": {"de": self.world.next("T")}, "order": self.rnd.randint(0, 9)}
        if self.rnd.random() < 0.5:
            body["descriptions"] = {"de": self.world.next("D")}
        self._ok("PATCH", f"/admin/templates/{template}", json=body)
        return f"template {template} retitled"

    def op_set_template_file(self) -> str:
        template = self._template()
        if template is None:
            return "no template for a file"
        lang = self.rnd.choice(["de", "de", "en"])
        self._set_file(template, lang)
        return f"template {template} file {lang} set"

    def op_remove_template_file(self) -> str:
        template = self._pick(t for t, v in self.world.templates.items() if v["langs"])
        if template is None:
            return "no template file to remove"
        lang = self._pick(sorted(self.world.templates[template]["langs"]))
        self._ok("DELETE", f"/admin/templates/{template}/files/{lang}")
        self.world.templates[template]["langs"].discard(lang)
        return f"template {template} file {lang} removed"

    def op_set_status(self) -> str:
        template = self._template()
        if template is None:
            return "no template for a status"
        status = self.rnd.choice(["released", "in_test"])
        self._ok("POST", f"/admin/templates/{template}/status", json={"status": status})
        return f"template {template} set {status}"

    def op_set_use_rights(self) -> str:
        template = self._template()
        if template is None:
            return "no template for use rights"
        rights = self._rights()
        self._ok("PATCH", f"/admin/templates/{template}", json={"use_rights": rights})
        return f"template {template} use rights {rights}"

    def op_set_change_rights(self) -> str:
        template = self._template()
        if template is None:
            return "no template for change rights"
        rights = self._change_rights()
        self._ok("PATCH", f"/admin/templates/{template}", json={"change_rights": rights})
        return f"template {template} change rights {rights}"

    def op_move_template(self) -> str:
        template, group = self._template(), self._pick(self.world.template_groups)
        if template is None or group is None:
            return "no template to move"
        self._ok("PATCH", f"/admin/templates/{template}", json={"group_id": group})
        return f"template {template} moved to group {group}"

    def op_deactivate_template(self) -> str:
        template = self._template(active=True)
        if template is None:
            return "no active template"
        self._ok("POST", f"/admin/templates/{template}/deactivate")
        self.world.templates[template]["active"] = False
        return f"template {template} deactivated"

    def op_restore_template(self) -> str:
        template = self._template(active=False)
        if template is None:
            return "no deactivated template"
        self._ok("POST", f"/admin/templates/{template}/restore")
        self.world.templates[template]["active"] = True
        return f"template {template} restored"

    def op_purge_template(self) -> str:
        template = self._template()
        if template is None:
            return "no template to purge"
        self._purge_template(template)
        return f"template {template} purged"

    def _purge_template(self, template: str) -> None:
        if self.world.templates[template]["active"]:
            self._ok("POST", f"/admin/templates/{template}/deactivate")
        self._ok("DELETE", f"/admin/templates/{template}")
        del self.world.templates[template]
        for snippet, info in list(self.world.snippets.items()):
            if info.get("template_id") == template:
                del self.world.snippets[snippet]

    # --- admin steps: snippets -------------------------------------------------------------

    def _note_snippet(self, record: dict[str, Any]) -> None:
        self.world.snippets[record["id"]] = {
            "kind": record["kind"],
            "template_id": record["template_id"],
            "owner_id": record["owner_id"],
        }

    def op_create_snippet(self) -> str:
        kind = self.rnd.choice(["shared", "shared", "personal", "template"])
        body: dict[str, Any] = {"kind": kind, "title": self.world.next("S"), "body": self._text()}
        if kind == "shared":
            body["read_rights"] = self._rights() or ["*"]
        elif kind == "personal":
            body["owner_id"] = self._pick(self.world.users)
        else:
            template = self._template()
            if template is None:
                return "no template for a template snippet"
            body["template_id"] = template
        record = self._ok("POST", "/admin/snippets", json=body)
        self._note_snippet(record)
        return f"{kind} snippet {record['id']} created"

    def _editable_snippet(self) -> str | None:
        """A snippet someone can still change: a personal one needs its owner active."""
        users = self.world.users
        return self._pick(
            s
            for s, v in self.world.snippets.items()
            if v["owner_id"] is None or users[v["owner_id"]]["active"]
        )

    def op_update_snippet(self) -> str:
        snippet = self._editable_snippet()
        if snippet is None:
            return "no snippet to update"
        body: dict[str, Any] = {"body": self._text()}
        if self.rnd.random() < 0.3:
            body = {"title": self.world.next("S")}
        elif self.world.snippets[snippet]["kind"] == "shared" and self.rnd.random() < 0.5:
            body = {"read_rights": self._rights() or ["*"]}
        self._ok("PATCH", f"/admin/snippets/{snippet}", self._editor(snippet), json=body)
        return f"snippet {snippet} changed: {sorted(body)}"

    def op_delete_snippet(self) -> str:
        snippet = self._editable_snippet()
        if snippet is None:
            return "no snippet to delete"
        self._ok("DELETE", f"/admin/snippets/{snippet}", self._editor(snippet))
        del self.world.snippets[snippet]
        return f"snippet {snippet} deleted"

    def _editor(self, snippet: str) -> Api | None:
        """Who may change the snippet: a personal one only its owner, even for Sys."""
        owner = self.world.snippets[snippet]["owner_id"]
        if owner is None:
            return None
        if owner not in self.sessions:
            self.sessions[owner] = self.live.login(self.world.users[owner]["login"])
        return self.sessions[owner]

    # --- admin steps: units and profiles ---------------------------------------------------

    def _note_unit(self, record: dict[str, Any]) -> None:
        self.world.units[record["id"]] = record["parent_id"]

    def op_create_unit(self) -> str:
        body: dict[str, Any] = {"title": self.world.next("U")}
        parent = self._pick([*self.world.units, None])
        if parent is not None:
            body["parent_id"] = parent
        if self.rnd.random() < 0.4:
            body["fields"] = {self.logo_field: self._image()}
        record = self._ok("POST", "/admin/units", json=body)
        self._note_unit(record)
        return f"unit {record['id']} created under {parent}"

    def op_move_unit(self) -> str:
        unit = self._pick(self.world.units)
        if unit is None:
            return "no unit to move"
        below = self.world.subunits(unit)
        parent = self._pick([u for u in self.world.units if u not in below] + [None])
        body = {"parent_id": parent} if parent is not None else {"move_to_root": True}
        self._ok("PATCH", f"/admin/units/{unit}", json=body)
        self.world.units[unit] = parent
        return f"unit {unit} moved under {parent}"

    def op_update_unit(self) -> str:
        unit = self._pick(self.world.units)
        if unit is None:
            return "no unit to change"
        logo = self._image() if self.rnd.random() < 0.7 else None
        body = {"fields": {self.logo_field: logo}, "title": self.world.next("U")}
        self._ok("PATCH", f"/admin/units/{unit}", json=body)
        return f"unit {unit} logo {logo and logo[:8]}"

    def op_delete_unit(self) -> str:
        unit = self._pick(self.world.units)
        if unit is None:
            return "no unit to delete"
        if self._maybe("DELETE", f"/admin/units/{unit}", (409,)) is None:
            return f"unit {unit} still in use"
        del self.world.units[unit]
        return f"unit {unit} deleted"

    def op_create_profile(self) -> str:
        owner = self._pick(self.world.users)
        body: dict[str, Any] = {"owner_id": owner, "title": self.world.next("P")}
        unit = self._pick([*self.world.units, None])
        if unit is not None:
            body["unit_id"] = unit
        others = [u for u in self.world.users if u != owner]
        body["shared_with"] = self.rnd.sample(others, self.rnd.randint(0, min(2, len(others))))
        record = self._ok("POST", "/admin/profiles", json=body)
        self.world.profiles[record["id"]] = {"owner_id": owner, "unit_id": unit}
        return f"profile {record['id']} of {owner} shared with {body['shared_with']}"

    def op_share_profile(self) -> str:
        profile = self._pick(self.world.profiles)
        if profile is None:
            return "no profile to share"
        owner = self.world.profiles[profile]["owner_id"]
        others = [u for u in self.world.users if u != owner]
        shared = self.rnd.sample(others, self.rnd.randint(0, min(3, len(others))))
        self._ok("PATCH", f"/admin/profiles/{profile}", json={"shared_with": shared})
        return f"profile {profile} shared with {shared}"

    def op_profile_fields(self) -> str:
        """A profile's phone or title changed in the administration, where its owner's
        devices may have changed the same offline (a conflict when they upload)."""
        profile = self._pick(self.world.profiles)
        if profile is None:
            return "no profile to change"
        body: dict[str, Any] = {"title": self.world.next("P")}
        if self.rnd.random() < 0.7:
            phone = self._phone() if self.rnd.random() < 0.8 else None
            body = {"overrides": {self.phone_field: phone}}
        self._ok("PATCH", f"/admin/profiles/{profile}", json=body)
        return f"profile {profile} changed: {body}"

    def op_delete_profile(self) -> str:
        profile = self._pick(self.world.profiles)
        if profile is None:
            return "no profile to delete"
        self._ok("DELETE", f"/admin/profiles/{profile}")
        del self.world.profiles[profile]
        return f"profile {profile} deleted"

    # --- admin steps: accounts and settings ------------------------------------------------

    def _create_group(self) -> str:
        record = self._ok(
            "POST", "/admin/groups", json={"name": f"sim-{self.tag}-{self.world.next('g')}"}
        )
        self.world.groups.append(record["id"])
        return str(record["id"])

    def _create_user(self, roles: list[str], *, client: bool) -> str:
        login = f"s{self.tag}{self.world.next('u')}"
        record = self._ok(
            "POST", "/admin/users", json={"login": login, "roles": roles, "password": PASSWORD}
        )
        self.world.users[record["id"]] = {
            "id": record["id"],
            "login": login,
            "client": client,
            "active": True,
            "roles": [roles],  # every role set it had, the current one last
        }
        return str(record["id"])

    def _add_member(self, group: str, principal: str) -> None:
        kind, _, ident = principal.partition(":")
        self._ok("POST", f"/admin/groups/{group}/members", json={f"{kind}_id": ident})
        self.world.members[(group, principal)] = None

    def op_membership(self) -> str:
        group = self._pick(self.world.groups)
        user = self._pick(self.world.users)
        last = self.last_membership
        # Administrators take back what they just did: a scope that flaps back to what
        # a client's cursor was made for.
        known = last is not None and last[0] in self.world.groups and last[1] in self.world.users
        if last is not None and known and self.rnd.random() < 0.4:
            group, user = last
        self.last_membership = (group, user)
        return self._toggle_membership(group, user)

    def _toggle_membership(self, group: str, user: str) -> str:
        principal = f"user:{user}"
        if (group, principal) in self.world.members:
            self._ok("DELETE", f"/admin/groups/{group}/members/users/{user}")
            del self.world.members[(group, principal)]
            return f"user {user} left group {group}"
        self._add_member(group, principal)
        return f"user {user} joined group {group}"

    def op_nesting(self) -> str:
        nested = [m for m in self.world.members if m[1].startswith("group:")]
        if nested and self.rnd.random() < 0.5:
            group, principal = self.rnd.choice(nested)
            member = principal.removeprefix("group:")
            self._ok("DELETE", f"/admin/groups/{group}/members/groups/{member}")
            del self.world.members[(group, principal)]
            return f"group {member} no longer nested in {group}"
        group = self._pick(self.world.groups)
        candidates = [g for g in self.world.groups if group not in self.world.subgroups(g)]
        member = self._pick(
            c for c in candidates if (group, f"group:{c}") not in self.world.members
        )
        if member is None:
            return "no group to nest"
        self._add_member(group, f"group:{member}")
        return f"group {member} nested in {group}"

    def op_replace_group(self) -> str:
        """Delete a group (members lose what it granted) and make a fresh one."""
        group = self._pick(self.world.groups)
        self._ok("DELETE", f"/admin/groups/{group}")
        self.world.groups.remove(group)
        self.world.members = {
            m: None for m in self.world.members if m[0] != group and m[1] != f"group:{group}"
        }
        fresh = self._create_group()
        for user in self.rnd.sample(list(self.world.users), 2):
            self._add_member(fresh, f"user:{user}")
        return f"group {group} deleted, {fresh} created"

    def op_signature(self) -> str:
        """A user's signature (an image field of users): every client holds every user."""
        user = self._pick(self.world.users)
        image = self._image() if self.rnd.random() < 0.8 else ""
        fields = {self.signature_field: image} if image else {}
        self._ok("PATCH", f"/admin/users/{user}", json={"fields": fields})
        return f"user {user} signature {image[:8] or 'removed'}"

    def op_relabel_field(self) -> str:
        """Touches the image field after the units that use it: a client that doesn't hold
        the field yet then meets those units before it learns their logos are files."""
        field_id = self.rnd.choice([self.logo_field_id, self.signature_field_id])
        label = self.world.next("Label ")
        self._ok("PATCH", f"/admin/fields/{field_id}", json={"labels": {"de": label}})
        return f"field {field_id} relabelled"

    def op_settings(self) -> str:
        minutes = self.rnd.randint(1, 24 * 60)
        self._ok(
            "PATCH", "/admin/settings", json={"values": {CLIENT_SYNC_INTERVAL: minutes * MINUTE_MS}}
        )
        return f"{CLIENT_SYNC_INTERVAL} = {minutes} min"

    def op_roles(self) -> str:
        sc = self._client()
        roles = self.rnd.choice(_ROLE_SETS)
        previous = sc.user.get("roles", [])
        if previous and self.rnd.random() < 0.4:
            roles = previous[-1]  # taken back, see op_membership
        sc.user["roles"] = [*previous, roles]
        self._ok("PATCH", f"/admin/users/{sc.user['id']}", json={"roles": roles})
        return f"{sc.label} now has roles {roles}"

    def op_other_user(self) -> str:
        """Users who don't sync here: renamed, deactivated, restored or deleted for good."""
        user = self._pick(u for u, v in self.world.users.items() if not v["client"])
        if user is None:
            return "no other user"
        info = self.world.users[user]
        roll = self.rnd.random()
        if roll < 0.3:
            self._ok("PATCH", f"/admin/users/{user}", json={"display_name": self.world.next("N")})
            return f"user {user} renamed"
        if roll < 0.8:
            action = "restore" if not info["active"] else "deactivate"
            self._ok("POST", f"/admin/users/{user}/{action}")
            info["active"] = not info["active"]
            return f"user {user}: {action}"
        if info["active"]:
            self._ok("POST", f"/admin/users/{user}/deactivate")
        self._ok("DELETE", f"/admin/users/{user}")
        self._forget_user(user)
        fresh = self._create_user(self.rnd.choice(_ROLE_SETS), client=False)
        return f"user {user} deleted for good, {fresh} created"

    def _forget_user(self, user: str) -> None:
        world = self.world
        del world.users[user]
        self.sessions.pop(user, None)
        world.members = {m: None for m in world.members if m[1] != f"user:{user}"}
        world.profiles = {p: v for p, v in world.profiles.items() if v["owner_id"] != user}
        world.snippets = {s: v for s, v in world.snippets.items() if v["owner_id"] != user}

    def op_purge_tombstones(self) -> str:
        """The server's housekeeping with a retention of zero: every client whose cursor
        is older than the newest deletion must reconcile instead of missing it."""
        from docshelf.server.maintenance import purge_tombstones

        dropped = purge_tombstones(self.server_db(), timedelta(0))
        return f"tombstones purged: {dropped}"

    def server_db(self) -> Database:
        """The server's database, for housekeeping and for reading what it recorded."""
        if self._db is None:
            url = self.live.database_url
            if url is None:
                url = f"sqlite:///{(self.live.process.data_dir / 'docshelf.db').resolve()}"
            self._db = Database(url)
        return self._db


@dataclass
class _Job:
    """One creation of a concurrent burst: run from a thread, noted from the main one."""

    sim: Simulation
    path: str
    body: dict[str, Any]
    done: Callable[[dict[str, Any]], None]

    def run(self, api: Api) -> dict[str, Any]:
        return dict(self.sim._ok("POST", self.path, api, json=self.body))


_ROLE_SETS = [["user"], ["user"], ["layouter"], ["org"], ["layouter", "org"], ["sys"]]


def _manifest(sc: SimClient) -> dict[tuple[str, str], Any]:
    return sc.app.store.manifest()


class _WatchedHttp(httpx.Client):
    """The client's httpx.Client; notes a download of a file the client holds already."""

    def __init__(self, sc: SimClient, transport: FaultyTransport) -> None:
        super().__init__(transport=transport, timeout=60, trust_env=False)
        self._sc = sc

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        path = request.url.path
        if _is_download(request) and self._sc.client is not None:
            sha = path.rsplit("/", 1)[-1]
            if self._sc.client.files.has(sha):
                self._sc.downloads_of_held_files.append(sha)
        return super().send(request, **kwargs)
