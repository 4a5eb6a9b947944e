"""The pull pipelines pages when several downloads run at once (network seam: httpx.MockTransport).

While a page's files download, the pages after it are fetched, planned against the cache as
it will be once the pages before are stored, and their files are queued. Pages are still
committed in order, each only with its files on disk (pages whose files are in by then share
one commit); the final cache is the same as without pipelining.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import random
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import pytest

from docshelf.client import status as status_module
from docshelf.client.config import PAGE_SIZE
from docshelf.client.engine import (
    CURSOR,
    FIRST_PAGE,
    OWED,
    PULL_GC_THRESHOLD,
    SyncEngine,
    SyncResult,
    _fewer_collections,
)
from docshelf.client.errors import OutdatedFiles, RemoteError
from docshelf.client.files import FileStore
from docshelf.client.read_ahead import ReadAhead
from docshelf.client.remote import Remote
from docshelf.client.status import Phase, Status, StatusBoard
from docshelf.client.store import LocalStore
from docshelf.protocol import pack

SETTINGS = {
    "client_sync_interval_ms": 900000,
    "client_sync_max_delay_after_start_ms": 0,
    "languages": ["de"],
}
WAIT_S = 30.0
THREAD_PREFIXES = ("docshelf-download", "docshelf-flush", "docshelf-read-ahead")


# --- content -----------------------------------------------------------------------------


def blob(tag: str, size: int) -> tuple[str, bytes]:
    data = (tag.encode() * (size // len(tag) + 1))[:size]
    return hashlib.sha256(data).hexdigest(), data


def template(ident: str, version: int, blobs: dict[str, bytes], *shas: str) -> dict[str, Any]:
    languages = ["de", "en", "fr", "it"]
    return {
        "kind": "template",
        "id": ident,
        "op": "upsert",
        "version": version,
        "record": {
            "id": ident,
            "version": version,
            "group_id": None,
            "kind": "document",
            "status": "published",
            "active": True,
            "titles": {"de": f"{ident} v{version}"},
            "descriptions": {},
            "use_rights": [],
            "change_rights": [],
            "files": {
                lang: {"sha256": sha, "size": len(blobs[sha]), "filename": f"{ident}.docx"}
                for lang, sha in zip(languages, shas, strict=False)
            },
            "order": 0,
        },
    }


def group(ident: str, version: int) -> dict[str, Any]:
    return {
        "kind": "group",
        "id": ident,
        "op": "upsert",
        "version": version,
        "record": {"id": ident, "version": version, "name": f"{ident} v{version}"},
    }


def unit(ident: str, version: int, fields: dict[str, str]) -> dict[str, Any]:
    record = {"id": ident, "version": version, "parent_id": None, "title": ident}
    record |= {"fields": fields, "assignable_by": None, "order": 0}
    return {"kind": "unit", "id": ident, "op": "upsert", "version": version, "record": record}


def field_def(ident: str, version: int, key: str, type_: str) -> dict[str, Any]:
    record = {"id": ident, "version": version, "key": key, "scope": "unit", "type": type_}
    record |= {"labels": {"de": key}, "order": 0}
    return {"kind": "field", "id": ident, "op": "upsert", "version": version, "record": record}


def remove(kind: str, ident: str) -> dict[str, Any]:
    return {"kind": kind, "id": ident, "op": "remove"}


def pages(*changes: list[dict[str, Any]], prefix: str = "c") -> list[dict[str, Any]]:
    """The feed as pages: page i carries cursor ``{prefix}{i}`` and is asked for with the one
    before (the first with the cursor the cache holds)."""
    answer = []
    for i, page_changes in enumerate(changes, start=1):
        answer.append(
            {
                "protocol": 1,
                "cursor": f"{prefix}{i}",
                "changes": page_changes,
                "has_more": i < len(changes),
                "remaining": sum(len(c) for c in changes[i:]),
                "settings": SETTINGS,
                "server_time": "2026-11-28T12:00:00Z",
            }
        )
    return answer


# --- the server --------------------------------------------------------------------------


@dataclass
class Server:
    """Answers the changes feed by cursor and serves files alone (with Range) or packed."""

    blobs: dict[str, bytes]
    feed: dict[str | None, dict[str, Any]] = field(default_factory=dict)
    packs: bool = True
    fail: set[str] = field(default_factory=set)  # files answered with a 500
    # Files whose answer waits for the event (set by the test).
    hold: dict[str, threading.Event] = field(default_factory=dict)
    # Set once a file (key: its hash) or a page (key: "changes after <cursor>") was asked for.
    asked: dict[str, threading.Event] = field(default_factory=dict)
    served: Counter[str] = field(default_factory=Counter)  # files sent, alone or packed
    ranges: list[tuple[str, int]] = field(default_factory=list)
    events: list[tuple[str, str | None]] = field(default_factory=list)  # in order of arrival
    limits: list[str | None] = field(default_factory=list)  # each page request's limit
    # Pages (key: the cursor they are asked with) whose answer waits for the event.
    hold_pages: dict[str | None, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, feed: list[dict[str, Any]], after: str | None = None) -> None:
        self.feed = {}
        for page in feed:
            self.feed[after] = page
            after = page["cursor"]

    def note(self, what: str, detail: str | None) -> None:
        with self.lock:
            self.events.append((what, detail))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/sync/changes"):
            return self._changes(request.url.params)
        if path.endswith("/blobs/pack"):
            if not self.packs:
                return httpx.Response(404, json={"detail": "no packs here"})
            wanted = json.loads(request.content)["files"]
            body = b""
            for sha in wanted:
                self.note("file", sha)
                self._wait_for(sha)
                if sha in self.fail or sha not in self.blobs:
                    body += pack.header(sha, None)  # fetched alone then, which says why
                    continue
                with self.lock:
                    self.served[sha] += 1
                body += pack.header(sha, len(self.blobs[sha])) + self.blobs[sha]
            return httpx.Response(200, content=body, headers={"Content-Type": pack.MEDIA_TYPE})
        if "/blobs/" in path and request.method == "GET":
            sha = path.rsplit("/", 1)[1]
            self.note("file", sha)
            self._wait_for(sha)
            if sha in self.fail:
                return httpx.Response(500, json={"detail": "disk on fire"})
            data = self.blobs.get(sha)
            if data is None:
                return httpx.Response(404, json={"detail": "no such file"})
            with self.lock:
                self.served[sha] += 1
            wanted_range = request.headers.get("Range")
            if wanted_range:
                offset = int(wanted_range.removeprefix("bytes=").removesuffix("-"))
                with self.lock:
                    self.ranges.append((sha, offset))
                return httpx.Response(206, content=data[offset:])
            return httpx.Response(200, content=data)
        return httpx.Response(404, json={"detail": f"unexpected {request.method} {path}"})

    def _changes(self, params: httpx.QueryParams) -> httpx.Response:
        cursor = params.get("cursor")
        self.note("changes", cursor)
        with self.lock:
            self.limits.append(params.get("limit"))
        self.asked.setdefault(f"changes after {cursor}", threading.Event()).set()
        held_page = self.hold_pages.get(cursor)
        if held_page is not None and not held_page.wait(WAIT_S):
            raise AssertionError(f"the page after {cursor} was held for ever")
        return self._page(cursor)

    def _page(self, cursor: str | None) -> httpx.Response:
        if cursor not in self.feed:
            return httpx.Response(500, json={"detail": "the feed broke off here"})
        return httpx.Response(200, json=self.feed[cursor])

    def _wait_for(self, sha: str) -> None:
        self.asked.setdefault(sha, threading.Event()).set()
        held = self.hold.get(sha)
        if held is not None and not held.wait(WAIT_S):
            raise AssertionError(f"file {sha[:8]} was held for ever")


class SpyStore(LocalStore):
    """Notes each cursor stored with the files on disk at that moment, and puts the commit
    in the server's event log (to tell what was asked for before a page was stored)."""

    def __init__(self, path: Path, files: FileStore, server: Server) -> None:
        super().__init__(path)
        self.spy_files = files
        self.server = server
        self.commits: list[tuple[str, set[str]]] = []

    def put(self, key: str, value: str | None, db: sqlite3.Connection | None = None) -> None:
        super().put(key, value, db)
        if key == CURSOR and value is not None:
            on_disk = {sha for sha in self.server.blobs if self.spy_files.has(sha)}
            self.commits.append((value, on_disk))
            self.server.note("commit", value)


def make_engine(
    home: Path, server: Server, parallel: int, board: StatusBoard | None = None
) -> SyncEngine:
    remote = Remote(
        "http://server.test", "token", http=httpx.Client(transport=httpx.MockTransport(server))
    )
    files = FileStore(home / "files")
    return SyncEngine(
        SpyStore(home / "cache.db", files, server),
        files,
        remote,
        board or StatusBoard(None),
        sleep=lambda _s: None,
        rnd=random.Random(3),
        parallel_downloads=parallel,
    )


def leftover_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(THREAD_PREFIXES)]


def stored_files(engine: SyncEngine, blobs: dict[str, bytes]) -> set[str]:
    return {sha for sha in blobs if engine.files.has(sha)}


def pull_in_background(engine: SyncEngine) -> tuple[threading.Thread, list[BaseException]]:
    """A pull on a thread of its own, started; what it raised lands in the list."""
    failures: list[BaseException] = []

    def pull() -> None:
        try:
            engine.pull(SyncResult())
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)

    puller = threading.Thread(target=pull)
    puller.start()
    return puller, failures


def waiting_for_a_later_page(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set once the engine asks the read-ahead for a page after the first (it
    waits for one then, or looks whether it came)."""
    asked = threading.Event()
    taken = Counter[str]()

    def spy(method: Any) -> Any:
        def wrapped(self: ReadAhead, *args: Any) -> Any:
            taken["pages"] += 1
            if taken["pages"] > 1:
                asked.set()
            return method(self, *args)

        return wrapped

    monkeypatch.setattr(ReadAhead, "next", spy(ReadAhead.next))
    monkeypatch.setattr(ReadAhead, "poll", spy(ReadAhead.poll))
    return asked


def wait_until(check: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


# --- 1. the final cache, pipelined or not ------------------------------------------------

F_OLD = blob("old", 700)
F_GONE = blob("gone", 900)
F_A = blob("a", 300)
F_B1 = blob("b1", 400)
F_B2 = blob("b2", 500)
BLOBS_1 = dict([F_OLD, F_GONE, F_A, F_B1, F_B2])


def _second_pull(home: Path, parallel: int) -> tuple[SyncEngine, Server, SyncResult]:
    """A first pull fills the cache; the second one is the subject."""
    server = Server(BLOBS_1)
    engine = make_engine(home, server, parallel)
    server.serve(
        pages(
            [
                template("t-old", 1, BLOBS_1, F_OLD[0]),
                group("g-old", 1),
                template("t-gone", 1, BLOBS_1, F_GONE[0]),
            ],
            prefix="a",
        )
    )
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "a1"
    server.serve(
        pages(
            [
                # Upserted here, removed on page 2.
                template("t-a", 1, BLOBS_1, F_A[0]),
                group("g-a", 1),
                # Changed again on page 2 (and its file with it).
                template("t-b", 1, BLOBS_1, F_B1[0]),
                group("g-b", 1),
                # Removed here, back on page 2 (the same record, and a newer one).
                remove("template", "t-old"),
                remove("group", "g-old"),
                # Removed for good.
                remove("template", "t-gone"),
            ],
            [
                remove("template", "t-a"),
                remove("group", "g-a"),
                template("t-b", 2, BLOBS_1, F_B2[0]),
                group("g-b", 2),
                template("t-old", 1, BLOBS_1, F_OLD[0]),
                group("g-old", 3),
            ],
            [group("g-last", 1)],
        ),
        after="a1",
    )
    result = SyncResult()
    engine.pull(result)
    return engine, server, result


def _cache(engine: SyncEngine) -> dict[str, Any]:
    store = engine.store
    return {
        "cursor": store.get(CURSOR),
        "records": {
            (kind, ident): (local.version, store.record(kind, ident))
            for (kind, ident), local in store.manifest().items()
        },
        "files": stored_files(engine, BLOBS_1),
    }


@pytest.mark.parametrize("parallel", [1, 3])
def test_a_later_page_overrides_an_earlier_one(tmp_path: Path, parallel: int) -> None:
    engine, _server, result = _second_pull(tmp_path, parallel)
    store = engine.store
    # Upserted on page 1, removed on page 2: gone, and its file cleaned up.
    assert store.record("template", "t-a") is None
    assert store.record("group", "g-a") is None
    assert not engine.files.has(F_A[0])
    # Changed on page 1 and on page 2: page 2's version, page 2's file only.
    t_b = store.record("template", "t-b")
    assert t_b is not None and t_b["version"] == 2
    assert t_b["files"]["de"]["sha256"] == F_B2[0]
    assert engine.files.has(F_B2[0]) and not engine.files.has(F_B1[0])
    g_b = store.record("group", "g-b")
    assert g_b is not None and g_b["version"] == 2
    # Removed on page 1, back on page 2: present, with its file (not deleted as orphaned).
    t_old = store.record("template", "t-old")
    assert t_old is not None and t_old["version"] == 1
    assert engine.files.has(F_OLD[0])
    g_old = store.record("group", "g-old")
    assert g_old is not None and g_old["version"] == 3
    # Removed for good: gone with its file.
    assert store.record("template", "t-gone") is None
    assert not engine.files.has(F_GONE[0])
    assert store.record("group", "g-last") is not None
    assert store.get(CURSOR) == "c3"
    assert result.pages == 3
    assert leftover_threads() == []


def test_pipelined_and_one_by_one_end_with_the_same_cache(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "three").mkdir()
    one, _, one_result = _second_pull(tmp_path / "one", 1)
    three, _, three_result = _second_pull(tmp_path / "three", 3)
    assert _cache(three) == _cache(one)
    assert (three_result.downloaded, three_result.deleted, three_result.pages) == (
        one_result.downloaded,
        one_result.deleted,
        one_result.pages,
    )


# --- 2. pages commit in order, each with its files ---------------------------------------

F_P1 = blob("p1", 1000)
F_P2 = blob("p2", 2000)
F_P3 = blob("p3", 3000)
BLOBS_2 = dict([F_P1, F_P2, F_P3])
FEED_2 = pages(
    [template("t1", 1, BLOBS_2, F_P1[0]), group("g1", 1)],
    [template("t2", 1, BLOBS_2, F_P2[0]), group("g2", 1)],
    [template("t3", 1, BLOBS_2, F_P3[0]), group("g3", 1)],
)


def test_the_next_page_downloads_while_one_waits_but_commits_after_it(tmp_path: Path) -> None:
    server = Server(BLOBS_2)
    server.serve(FEED_2)
    # Page 1's file comes only once page 2's is asked for: the downloads overlap.
    server.asked[F_P2[0]] = threading.Event()
    server.hold[F_P1[0]] = server.asked[F_P2[0]]
    # Page 2's file comes only when the test says so.
    release = threading.Event()
    server.hold[F_P2[0]] = release
    engine = make_engine(tmp_path, server, 3)
    puller, failures = pull_in_background(engine)
    try:
        # Read from this thread: its own connection sees committed states only.
        wait_until(lambda: engine.store.get(CURSOR) == "c1", "page 1 to commit")
        assert engine.store.record("template", "t1") is not None
        assert engine.store.record("group", "g1") is not None
        assert engine.files.has(F_P1[0])
        # Page 2 is planned and its file asked for, but it waits for that file.
        assert server.asked[F_P2[0]].is_set()
        time.sleep(0.1)  # would page 2 commit without its file, it would by now
        assert engine.store.get(CURSOR) == "c1"
        assert engine.store.record("template", "t2") is None
        assert engine.store.record("group", "g2") is None
        assert not engine.files.has(F_P2[0])
    finally:
        release.set()
        puller.join(WAIT_S)
    assert not puller.is_alive()
    assert failures == []
    assert engine.store.get(CURSOR) == "c3"
    for ident in ("t1", "t2", "t3"):
        assert engine.store.record("template", ident) is not None
    # Cursors stored in order, each with the files of its page and the pages before on disk
    # (page 3's may have come with page 2's: one commit for both then).
    commits = engine.store.commits  # type: ignore[attr-defined]
    cursors = [cursor for cursor, _ in commits]
    assert cursors in (["c1", "c2", "c3"], ["c1", "c3"])
    files_by_page = {"c1": F_P1[0], "c2": F_P2[0], "c3": F_P3[0]}
    for cursor, on_disk in commits:
        upto = list(files_by_page)[: list(files_by_page).index(cursor) + 1]
        assert {files_by_page[c] for c in upto} <= on_disk
    assert F_P2[0] not in commits[0][1]
    # Pipelined: page 2 and its file were asked for before page 1 was stored.
    events = server.events
    assert events.index(("changes", "c1")) < events.index(("commit", "c1"))
    assert events.index(("file", F_P2[0])) < events.index(("commit", "c1"))
    assert leftover_threads() == []


def test_a_page_whose_files_came_is_stored_while_the_next_page_is_on_its_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page slow to come (a busy server, a slow line) holds back no commit: page 1 is
    stored once its file is in, though the engine is waiting for page 2 by then."""
    server = Server(BLOBS_2)
    server.serve(FEED_2)
    page_two = threading.Event()
    server.hold_pages["c1"] = page_two
    # Page 1's file comes only once the engine waits for the page after it.
    server.hold[F_P1[0]] = waiting_for_a_later_page(monkeypatch)
    engine = make_engine(tmp_path, server, 3)
    puller, failures = pull_in_background(engine)
    try:
        wait_until(lambda: engine.store.get(CURSOR) == "c1", "page 1 to commit")
        assert not page_two.is_set()
        assert engine.store.record("template", "t1") is not None
    finally:
        page_two.set()
        puller.join(WAIT_S)
    assert not puller.is_alive()
    assert failures == []
    assert engine.store.get(CURSOR) == "c3"
    assert leftover_threads() == []


def test_the_pages_after_one_are_asked_for_while_it_waits_for_its_file(tmp_path: Path) -> None:
    server = Server(BLOBS_2)
    feed = [[template("t1", 1, BLOBS_2, F_P1[0])]] + [[group(f"g{i}", 1)] for i in range(2, 7)]
    server.serve(pages(*feed))
    # Page 1's file comes only once the last of six pages has been asked for: the server
    # builds the pages after it meanwhile, not one or two at a time as the engine stores them.
    server.hold[F_P1[0]] = server.asked.setdefault("changes after c5", threading.Event())
    engine = make_engine(tmp_path, server, 3)
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "c6"
    events = server.events
    first_commit = next(i for i, event in enumerate(events) if event[0] == "commit")
    assert events.index(("changes", "c5")) < first_commit
    # In order; the pages that waited behind page 1 (their files in) share its commit.
    commits = [cursor for cursor, _ in engine.store.commits]  # type: ignore[attr-defined]
    assert commits == sorted(commits) and commits[-1] == "c6"
    assert len(commits) < 6
    assert leftover_threads() == []


def test_one_download_at_a_time_asks_for_a_page_only_after_the_last_is_stored(
    tmp_path: Path,
) -> None:
    server = Server(BLOBS_2)
    server.serve(FEED_2)
    engine = make_engine(tmp_path, server, 1)
    engine.pull(SyncResult())
    assert server.events == [
        ("changes", None),
        ("file", F_P1[0]),
        ("commit", "c1"),
        ("changes", "c1"),
        ("file", F_P2[0]),
        ("commit", "c2"),
        ("changes", "c2"),
        ("file", F_P3[0]),
        ("commit", "c3"),
    ]
    assert leftover_threads() == []


@pytest.mark.parametrize("packs", [True, False], ids=["packs", "single-gets"])
def test_a_failed_download_keeps_the_pages_before_and_nothing_after(
    tmp_path: Path, packs: bool
) -> None:
    server = Server(BLOBS_2, packs=packs, fail={F_P2[0]})
    server.serve(FEED_2)
    engine = make_engine(tmp_path, server, 3)
    with pytest.raises(RemoteError) as failure:
        engine.pull(SyncResult())
    assert failure.value.http_status == 500
    store = engine.store
    assert store.get(CURSOR) == "c1"
    assert store.record("template", "t1") is not None
    assert store.record("group", "g1") is not None
    for ident in ("t2", "t3"):
        assert store.record("template", ident) is None
    for ident in ("g2", "g3"):
        assert store.record("group", ident) is None
    assert engine.files.has(F_P1[0])
    assert not engine.files.has(F_P2[0])
    assert [cursor for cursor, _ in store.commits] == ["c1"]  # type: ignore[attr-defined]
    assert leftover_threads() == []

    # The server mends: the next pull goes on from page 2.
    server.fail.clear()
    result = SyncResult()
    engine.pull(result)
    assert store.get(CURSOR) == "c3"
    assert result.pages == 2
    assert {"t1", "t2", "t3"} == {r["id"] for r in store.records("template")}
    assert stored_files(engine, BLOBS_2) == set(BLOBS_2)
    assert leftover_threads() == []


def test_a_download_failing_while_the_next_page_comes_stores_nothing_without_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page 1's file fails while the engine waits for page 2 (held): the pull fails and
    stores nothing. Page 1 must not be stored as if its file were in, with the record that
    needs it left out: that record would be owed for ever, as no later page lists it."""
    server = Server(BLOBS_2, fail={F_P1[0]})
    server.serve(FEED_2)
    page_two = threading.Event()
    server.hold_pages["c1"] = page_two
    # Page 1's file fails only once the engine waits for page 2.
    server.hold[F_P1[0]] = waiting_for_a_later_page(monkeypatch)
    real_store = SyncEngine._store

    def noting_store(self: SyncEngine, *args: Any, **kwargs: Any) -> None:
        try:
            real_store(self, *args, **kwargs)
        except RemoteError:
            page_two.set()  # the failure is out: page 2 may come now, too late
            raise

    monkeypatch.setattr(SyncEngine, "_store", noting_store)
    engine = make_engine(tmp_path, server, 3)
    with pytest.raises(RemoteError) as failure:
        engine.pull(SyncResult())
    assert failure.value.http_status == 500
    assert engine.store.get(CURSOR) is None
    assert engine.store.record("template", "t1") is None
    assert engine.store.get_json(OWED) is None
    assert leftover_threads() == []
    # The server mends: the next pull takes it all.
    server.fail.clear()
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "c3"
    assert stored_files(engine, BLOBS_2) == set(BLOBS_2)


def test_a_failure_on_the_first_page_commits_nothing(tmp_path: Path) -> None:
    server = Server(BLOBS_2, fail={F_P1[0]})
    server.serve(FEED_2)
    engine = make_engine(tmp_path, server, 3)
    with pytest.raises(RemoteError):
        engine.pull(SyncResult())
    assert engine.store.get(CURSOR) is None
    assert engine.store.is_empty()
    assert leftover_threads() == []


# --- 3. a file needed by several pages ---------------------------------------------------

F_SHARED = blob("shared", 1500)
F_S1 = blob("s1", 100)
F_S2 = blob("s2", 200)
F_S3 = blob("s3", 300)
BLOBS_3 = dict([F_SHARED, F_S1, F_S2, F_S3])


@pytest.mark.parametrize("packs", [True, False], ids=["packs", "single-gets"])
@pytest.mark.parametrize("parallel", [1, 3])
def test_a_file_several_pages_need_is_downloaded_once(
    tmp_path: Path, parallel: int, packs: bool
) -> None:
    server = Server(BLOBS_3, packs=packs)
    server.serve(
        pages(
            [template("t1", 1, BLOBS_3, F_SHARED[0], F_S1[0])],
            [template("t2", 1, BLOBS_3, F_SHARED[0], F_S2[0])],
            [template("t3", 1, BLOBS_3, F_S3[0], F_SHARED[0])],
        )
    )
    if parallel > 1:
        # Page 1's copy is still on its way while page 2 is planned and its files queued.
        server.asked[F_S2[0]] = threading.Event()
        server.hold[F_SHARED[0]] = server.asked[F_S2[0]]
    engine = make_engine(tmp_path, server, parallel)
    result = SyncResult()
    engine.pull(result)
    assert server.served == Counter(dict.fromkeys(BLOBS_3, 1))
    assert stored_files(engine, BLOBS_3) == set(BLOBS_3)
    assert result.bytes == sum(len(data) for data in BLOBS_3.values())
    assert engine.store.get(CURSOR) == "c3"


# --- 4. what the result counts -----------------------------------------------------------

F_C1 = blob("c1", 1000)
F_C2 = blob("c2", 2000)
F_C3 = blob("c3", 3000)
F_C4 = blob("c4", 4000)
BLOBS_4 = dict([F_C1, F_C2, F_C3, F_C4])
PARTIAL = 1200  # of F_C4, left by an earlier pull


def _counting_pull(tmp_path: Path, parallel: int) -> tuple[SyncResult, Server, SyncEngine]:
    server = Server(BLOBS_4)
    server.serve(
        pages(
            # 2 records, 2 files.
            [template("t1", 1, BLOBS_4, F_C1[0], F_C2[0]), group("g1", 1)],
            # 2 records (one changed), 1 new file, one the page before brings.
            [template("t2", 1, BLOBS_4, F_C3[0], F_C1[0]), group("g1", 2)],
            # 1 record with a file partly here, 1 removed, 1 unchanged.
            [
                template("t3", 1, BLOBS_4, F_C4[0], F_C2[0]),
                remove("group", "g1"),
                template("t2", 1, BLOBS_4, F_C3[0], F_C1[0]),
            ],
        )
    )
    engine = make_engine(tmp_path, server, parallel)
    part = engine.files.partial_dir / f"{F_C4[0]}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(F_C4[1][:PARTIAL])
    result = SyncResult()
    engine.pull(result)
    return result, server, engine


@pytest.mark.parametrize("parallel", [1, 3])
def test_the_result_counts_records_files_bytes_and_pages(tmp_path: Path, parallel: int) -> None:
    result, server, engine = _counting_pull(tmp_path, parallel)
    assert result.pages == 3
    assert result.downloaded == 5  # t1, g1, t2, g1 again, t3
    assert result.deleted == 1
    assert result.bytes == sum(len(d) for d in BLOBS_4.values()) - PARTIAL
    assert server.ranges == [(F_C4[0], PARTIAL)]
    assert stored_files(engine, BLOBS_4) == set(BLOBS_4)
    assert engine.files.partial_size(F_C4[0]) == 0


def test_the_first_page_is_short_and_the_pages_after_it_long(tmp_path: Path) -> None:
    """Nothing of a pull starts before its first page is in, and a long page takes the
    server longer to build: the first is asked for at most FIRST_PAGE long, the pages read
    ahead after it at the engine's page size (fewer requests for the same records)."""
    _result, server, engine = _counting_pull(tmp_path, 3)
    assert engine.page_size == PAGE_SIZE > FIRST_PAGE
    assert server.limits == [str(FIRST_PAGE), str(PAGE_SIZE), str(PAGE_SIZE)]


@pytest.mark.parametrize("parallel", [1, 3])
def test_the_result_counts_the_files_stored(tmp_path: Path, parallel: int) -> None:
    result, _server, _engine = _counting_pull(tmp_path, parallel)
    assert result.files == 4


# --- 5. the status file ------------------------------------------------------------------


def test_the_status_file_is_rewritten_when_the_phase_changes_and_rarely_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = dict(blob(f"s{i}", 50 + i) for i in range(40))
    shas = sorted(blobs)
    feed = pages(
        *[
            [template(f"t{i}-{j}", 1, blobs, shas[2 * i + j]) for j in range(2)]
            + [group(f"g{i}", 1)]
            for i in range(20)
        ]
    )
    server = Server(blobs)
    server.serve(feed)
    writes: list[Status] = []
    real_write = status_module.write_status_file

    def counting_write(path: Path, status: Status) -> None:
        writes.append(status)
        real_write(path, status)

    monkeypatch.setattr(status_module, "write_status_file", counting_write)
    board = StatusBoard(tmp_path / "status.json")
    published: list[Phase | None] = []
    board.subscribe(lambda status: published.append(status.phase))
    engine = make_engine(tmp_path, server, 3, board)
    started = time.monotonic()
    engine.pull(SyncResult())
    elapsed = time.monotonic() - started

    changes = sum(1 for before, after in pairwise([None, *published]) if before != after)
    # Once per change of phase, and besides at most every 0.3 s.
    assert len(writes) <= changes + int(elapsed / 0.3) + 1
    assert len(writes) < len(published)
    assert {Phase.CONNECTING, Phase.CHANGES, Phase.FILES, Phase.CLEANING} <= set(published)
    assert writes[-1].phase == Phase.CLEANING


# --- image fields: which unit fields hold files ------------------------------------------

F_LOGO = blob("logo", 600)
BLOBS_IMG = dict([F_LOGO])


def file_refs(engine: SyncEngine) -> set[tuple[str, str, str]]:
    with contextlib.closing(sqlite3.connect(engine.store.path)) as db:
        return set(db.execute("SELECT sha, kind, id FROM file_refs"))


@pytest.mark.parametrize("parallel", [1, 3])
def test_an_image_field_learnt_after_its_units_is_indexed_in_the_same_commit(
    tmp_path: Path, parallel: int
) -> None:
    server = Server(BLOBS_IMG)
    # The field was touched after the unit: it comes on a later page. The feed breaks off
    # after it, so the pull ends without its clean-up, as a killed one would.
    unit_page = [unit("u1", 1, {"logo": F_LOGO[0], "city": "Bern"})]
    field_page = [field_def("f1", 1, "logo", "image")]
    server.serve(pages(unit_page, field_page, [group("g1", 1)])[:2])
    engine = make_engine(tmp_path, server, parallel)
    with pytest.raises(RemoteError, match="broke off"):
        engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "c2"
    assert engine.files.has(F_LOGO[0])  # caught up when the field came
    # The index that clean-ups trust says the unit needs its logo.
    assert file_refs(engine) == {(F_LOGO[0], "unit", "u1")}
    # The next pull finishes and cleans the whole file store up: the logo stays.
    server.serve(pages(unit_page, field_page, [group("g1", 1)]))
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "c3"
    assert engine.files.has(F_LOGO[0])
    assert file_refs(engine) == {(F_LOGO[0], "unit", "u1")}
    assert leftover_threads() == []


@pytest.mark.parametrize("parallel", [1, 3])
def test_an_image_field_turned_to_text_lets_its_files_go(tmp_path: Path, parallel: int) -> None:
    server = Server(BLOBS_IMG)
    server.serve(pages([field_def("f1", 1, "logo", "image"), unit("u1", 1, {"logo": F_LOGO[0]})]))
    engine = make_engine(tmp_path, server, parallel)
    engine.pull(SyncResult())
    assert engine.files.has(F_LOGO[0])
    assert file_refs(engine) == {(F_LOGO[0], "unit", "u1")}
    server.serve(pages([field_def("f1", 2, "logo", "text")], [group("g1", 1)], prefix="d"), "c1")
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "d2"
    assert file_refs(engine) == set()
    assert not engine.files.has(F_LOGO[0])
    assert leftover_threads() == []


def test_pages_after_an_image_field_is_dropped_are_indexed_without_it_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(BLOBS_IMG)
    server.serve(pages([field_def("f1", 1, "logo", "image"), unit("u1", 1, {"logo": F_LOGO[0]})]))
    engine = make_engine(tmp_path, server, 3)
    engine.pull(SyncResult())
    reindexed: list[tuple[str, ...]] = []
    index_files = LocalStore.index_files

    def counting(db: sqlite3.Connection, keys: set[str], kinds: Any = ("all",)) -> None:
        reindexed.append(tuple(kinds))
        if kinds == ("all",):
            index_files(db, keys)
        else:
            index_files(db, keys, kinds)

    monkeypatch.setattr(LocalStore, "index_files", staticmethod(counting))
    # The field turns to text on the first page; the pages after it were planned while it
    # was still an image field (pipelined), and carry units with values under its key.
    after = [[unit(f"u{i}", 1, {"logo": F_LOGO[0]})] for i in range(2, 6)]
    feed = pages([field_def("f1", 2, "logo", "text")], *after, prefix="d")
    server.serve(feed, "c1")
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "d5"
    assert file_refs(engine) == set()
    assert reindexed == [("unit", "user")]  # once, by the page that changed the field
    assert leftover_threads() == []


# --- 7. partial files ----------------------------------------------------------------------


@pytest.mark.parametrize("parallel", [1, 3])
def test_a_partial_no_record_needs_is_removed_at_the_end_of_the_pull(
    tmp_path: Path, parallel: int
) -> None:
    """A download stopped half-way, then its template left the user's view: the part file
    goes with the next complete pull (confidentiality), however fresh it is."""
    server = Server(BLOBS_1)
    engine = make_engine(tmp_path, server, parallel)
    engine.files.partial_dir.mkdir(parents=True)
    for sha, data in (F_GONE, F_A):  # t-gone's was stopped, t-a's is still wanted
        (engine.files.partial_dir / f"{sha}.part").write_bytes(data[: len(data) // 2])
    server.serve(pages([template("t-a", 1, BLOBS_1, F_A[0])], [remove("template", "t-gone")]))
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "c2"
    assert engine.files.has(F_A[0])
    assert server.ranges == [(F_A[0], len(F_A[1]) // 2)]  # resumed, not fetched again
    assert not engine.files.has(F_GONE[0])
    assert engine.files.partial_size(F_GONE[0]) == 0, "the lost template's partial stayed"
    assert not any(engine.files.partial_dir.glob("*.part"))


# --- 8. files that turn outdated between a page and their download -------------------------

F_OUT = blob("outdated", 600)
F_NEW = blob("newer", 700)
F_SIB = blob("sibling", 800)
BLOBS_OUT = dict([F_OUT, F_NEW, F_SIB])


def _pull_in_thread(engine: SyncEngine) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            engine.pull(SyncResult())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _outdate_while_held(
    tmp_path: Path, parallel: int, newer: dict[str, Any]
) -> tuple[SyncEngine, Server, list[BaseException]]:
    """A page lists t1 (file F_OUT) and t2 (F_SIB); while F_OUT's request is held, the
    server stops serving it and its feed gets ``newer`` after the page."""
    server = Server(dict(BLOBS_OUT))
    server.hold[F_OUT[0]] = threading.Event()
    server.serve(
        pages([template("t1", 1, BLOBS_OUT, F_OUT[0]), template("t2", 1, BLOBS_OUT, F_SIB[0])])
    )
    engine = make_engine(tmp_path, server, parallel)
    thread, errors = _pull_in_thread(engine)
    wait_until(lambda: F_OUT[0] in server.asked and server.asked[F_OUT[0]].is_set(), "F_OUT")
    del server.blobs[F_OUT[0]]
    server.serve(pages([newer], prefix="d"), after="c1")
    server.hold[F_OUT[0]].set()
    thread.join(WAIT_S)
    assert not thread.is_alive()
    return engine, server, errors


@pytest.mark.parametrize("parallel", [1, 3])
def test_a_file_outdated_before_its_download_brings_the_newer_record(
    tmp_path: Path, parallel: int
) -> None:
    engine, _server, errors = _outdate_while_held(
        tmp_path, parallel, template("t1", 2, BLOBS_OUT, F_NEW[0])
    )
    assert errors == []
    assert engine.store.get(CURSOR) == "d1"
    assert engine.store.record("template", "t1")["files"]["de"]["sha256"] == F_NEW[0]  # type: ignore[index]
    assert engine.store.record("template", "t2") is not None
    assert stored_files(engine, BLOBS_OUT) == {F_NEW[0], F_SIB[0]}
    assert engine.store.get("owed") is None
    assert leftover_threads() == []


@pytest.mark.parametrize("parallel", [1, 3])
def test_a_template_gone_before_its_file_came_is_not_stored(tmp_path: Path, parallel: int) -> None:
    engine, _server, errors = _outdate_while_held(tmp_path, parallel, remove("template", "t1"))
    assert errors == []
    assert engine.store.get(CURSOR) == "d1"
    assert engine.store.record("template", "t1") is None
    assert engine.store.record("template", "t2") is not None
    assert stored_files(engine, BLOBS_OUT) == {F_SIB[0]}
    assert engine.store.get("owed") is None


@pytest.mark.parametrize("parallel", [1, 3])
def test_an_outdated_file_with_no_newer_record_fails_the_pull_but_stores_nothing_half(
    tmp_path: Path, parallel: int
) -> None:
    server = Server(dict(BLOBS_OUT))
    del server.blobs[F_OUT[0]]  # a server that lists a file it won't serve
    server.serve(
        pages([template("t1", 1, BLOBS_OUT, F_OUT[0]), template("t2", 1, BLOBS_OUT, F_SIB[0])])
    )
    server.feed["c1"] = pages([], prefix="e")[0] | {"cursor": "c1"}  # nothing after it
    engine = make_engine(tmp_path, server, parallel)
    with pytest.raises(OutdatedFiles, match="template t1"):
        engine.pull(SyncResult())
    # The rest of the page is stored; t1 is not, and stays owed for the next pull.
    assert engine.store.get(CURSOR) == "c1"
    assert engine.store.record("template", "t1") is None
    assert engine.store.record("template", "t2") is not None
    assert engine.store.get_json("owed") == [["template", "t1"]]
    assert leftover_threads() == []

    # Later the template changes on the server: the next pull settles what it owed.
    server.blobs[F_NEW[0]] = F_NEW[1]
    server.serve(pages([template("t1", 2, BLOBS_OUT, F_NEW[0])], prefix="d"), after="c1")
    engine.pull(SyncResult())
    assert engine.store.get(CURSOR) == "d1"
    assert engine.store.record("template", "t1") is not None
    assert engine.store.get("owed") is None


# --- 9. the collector during a pull --------------------------------------------------------


@dataclass
class ThresholdServer(Server):
    """Notes the collector's threshold whenever a page is asked for."""

    thresholds: list[int] = field(default_factory=list)

    def _page(self, cursor: str | None) -> httpx.Response:
        self.thresholds.append(gc.get_threshold()[0])
        return super()._page(cursor)


@pytest.mark.parametrize("fails", [False, True], ids=["succeeds", "fails"])
def test_a_pull_collects_garbage_less_often_and_then_as_before(tmp_path: Path, fails: bool) -> None:
    before = gc.get_threshold()
    server = ThresholdServer(BLOBS_2, fail={F_P1[0]} if fails else set())
    server.serve(FEED_2)
    engine = make_engine(tmp_path, server, 3)
    with contextlib.suppress(RemoteError):
        engine.pull(SyncResult())
    assert server.thresholds and min(server.thresholds) >= PULL_GC_THRESHOLD > before[0]
    assert gc.get_threshold() == before


def test_overlapping_pulls_restore_the_collector_when_the_last_one_ends() -> None:
    """The thresholds are the process's: two pulls at once (two homes in one process) must
    not leave them raised when the first to start ends last, nor lower them under the other."""
    before = gc.get_threshold()
    first, second = _fewer_collections(), _fewer_collections()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[0] == PULL_GC_THRESHOLD  # the second pull still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before
