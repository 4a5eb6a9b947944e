"""The client's quick poll (client/quick_poll.py): the request the engine would send, and
"nothing new" only for a page the engine would store nothing of.

A small recording HTTP server on 127.0.0.1 stands for the docshelf server here: what is
compared is the request on the wire, the engine's remote's against the quick poll's.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from docshelf.client import engine, quick_poll
from docshelf.client.errors import ServerUnreachable
from docshelf.client.files import FileStore
from docshelf.client.keys import CURSOR, DOCUMENT_FILES, SETTINGS, UNREPORTED_ERROR
from docshelf.client.remote import Remote
from docshelf.client.store import LocalStore
from docshelf.i18n import language
from docshelf.protocol.sync import ChangesPage

CURSOR_VALUE = "eyJzZXEiOjF9"
SETTINGS_SENT = {
    "client_sync_interval_ms": 900_000,
    "client_sync_max_delay_after_start_ms": 300_000,
    "languages": ["de", "en"],
}
# As the engine keeps them: SyncSettings dumped, the defaults filled in.
SETTINGS_KEPT = {**SETTINGS_SENT, "client_hint_max_delay_ms": 5_000, "client_hints_enabled": True}
PAGE: dict[str, Any] = {
    "protocol": 1,
    "cursor": CURSOR_VALUE,
    "changes": [],
    "has_more": False,
    "reset": False,
    "reset_reason": None,
    "remaining": 0,
    "settings": SETTINGS_SENT,
    "server_time": "2026-12-07T05:33:07.313882Z",
}


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.answer: Callable[[BaseHTTPRequestHandler], None] = _json_answer(PAGE)


def _json_answer(page: Any, status: int = 200) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(page).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


@contextmanager
def recording_server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            recorder.requests.append((self.path, headers))
            recorder.answer(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    finally:
        server.shutdown()
        server.server_close()


def test_the_server_sees_the_request_the_engine_sends() -> None:
    with recording_server() as (url, recorder):
        remote = Remote(url, "tok")
        try:
            page = remote.changes(CURSOR_VALUE, limit=250)
        finally:
            remote.close()
        assert isinstance(page, ChangesPage)
        assert quick_poll.poll(url, "tok", CURSOR_VALUE, SETTINGS_KEPT, limit=250)
    (engine_path, engine_headers), (quick_path, quick_headers) = recorder.requests
    assert quick_path == engine_path == f"/api/v1/sync/changes?limit=250&cursor={CURSOR_VALUE}"
    assert quick_headers == engine_headers
    assert quick_headers["authorization"] == "Bearer tok"
    assert quick_headers["accept-language"] == language.current_language()


def test_a_server_that_reports_an_error_header_goes_to_the_engine(tmp_path: Path) -> None:
    """The last failure's report is the engine's to send (with its header)."""
    store, files = settled(tmp_path)
    assert quick_poll.settled_cursor(store, files) == CURSOR_VALUE
    store.put(UNREPORTED_ERROR, "2026-12-07T05:00:00+00:00 b2ZmbGluZQ==")
    assert quick_poll.settled_cursor(store, files) is None


def settled(tmp_path: Path) -> tuple[LocalStore, FileStore]:
    """A cache as a sync that found everything leaves it."""
    store = LocalStore(tmp_path / "cache.db")
    files = FileStore(tmp_path / "files")
    sha = files.put_bytes(b"logo")
    store.put(CURSOR, CURSOR_VALUE)
    store.put(SETTINGS, json.dumps(SETTINGS_KEPT))
    store.put(engine.FILES_CLEAN, "1")
    store.put(DOCUMENT_FILES, json.dumps({"cursor": CURSOR_VALUE, "needed": [sha]}))
    return store, files


@pytest.mark.parametrize(
    "unsettle",
    [
        lambda store, files: store.put(CURSOR, None),
        lambda store, files: store.put(engine.FILES_CLEAN, None),
        lambda store, files: store.put(engine.RECONCILE, json.dumps({"generation": 1})),
        lambda store, files: store.put(engine.OWED, json.dumps([["template", "t1"]])),
        lambda store, files: store.put(SETTINGS, None),
        lambda store, files: store.put(DOCUMENT_FILES, json.dumps({"cursor": "old"})),
        lambda store, files: store.put(
            DOCUMENT_FILES, json.dumps({"cursor": CURSOR_VALUE, "needed": ["ab" * 32]})
        ),
        lambda store, files: (
            files.partial_dir.mkdir(parents=True, exist_ok=True),
            (files.partial_dir / f"{'cd' * 32}.part").write_bytes(b"half"),
        ),
        lambda store, files: store._db.execute(
            "INSERT INTO outbox (id, kind, op, target, edit, files, summary, state, created_at,"
            " updated_at) VALUES ('m1', 'profile', 'update', 'p1', '{}', '[]', '{}',"
            " 'rejected', 'x', 'x')"
        ),
    ],
    ids=[
        "first sync",
        "clean-up due",
        "reconciling",
        "records owed",
        "no settings",
        "tags' files found at another cursor",
        "a file tags need is missing",
        "a download half done",
        "an edit in the outbox",
    ],
)
def test_only_a_settled_cache_is_polled_quickly(
    tmp_path: Path, unsettle: Callable[[LocalStore, FileStore], Any]
) -> None:
    store, files = settled(tmp_path)
    assert quick_poll.settled_cursor(store, files) == CURSOR_VALUE
    unsettle(store, files)
    assert quick_poll.settled_cursor(store, files) is None
    store.close()


def test_the_engine_keeps_the_state_under_the_names_the_quick_poll_reads() -> None:
    assert (quick_poll.RECONCILE, quick_poll.OWED, quick_poll.FILES_CLEAN) == (
        engine.RECONCILE,
        engine.OWED,
        engine.FILES_CLEAN,
    )


def test_settings_compare_as_the_engine_keeps_them() -> None:
    page = ChangesPage.model_validate(PAGE)
    assert page.settings.model_dump() == SETTINGS_KEPT
    assert quick_poll.nothing_new(json.dumps(PAGE).encode(), CURSOR_VALUE, SETTINGS_KEPT)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"changes": [{"kind": "unit", "id": "u1", "op": "remove"}]}, "a change"),
        ({"has_more": True}, "more to come"),
        ({"reset": True}, "a reset"),
        ({"cursor": "eyJzZXEiOjJ9"}, "another cursor"),
        ({"protocol": 2}, "another protocol"),
        ({"protocol": True}, "a protocol that is no number"),
        ({"settings": {**SETTINGS_SENT, "client_sync_interval_ms": 60_000}}, "new settings"),
        ({"settings": {**SETTINGS_SENT, "client_hints_enabled": False}}, "hints turned off"),
        ({"settings": {**SETTINGS_SENT, "languages": ["de"]}}, "fewer languages"),
        ({"settings": {"languages": ["de"]}}, "settings missing"),
        ({"server_time": None}, "no server time"),
        ({"remaining": "0"}, "remaining not a number"),
    ],
)
def test_anything_but_a_plain_nothing_new_is_the_engines(change: dict[str, Any], why: str) -> None:
    body = json.dumps({**PAGE, **change}).encode()
    assert not quick_poll.nothing_new(body, CURSOR_VALUE, SETTINGS_KEPT), why


@pytest.mark.parametrize(
    "answer",
    [
        _json_answer({"detail": "busy"}, status=503),
        _json_answer({"detail": "signed out"}, status=401),
        _json_answer({**PAGE, "changes": [{"kind": "unit", "id": "u1", "op": "remove"}]}),
        _json_answer([1, 2]),
    ],
    ids=["busy", "signed out", "a change", "not a page"],
)
def test_answers_that_are_not_nothing_new_leave_the_sync_to_the_engine(
    answer: Callable[[BaseHTTPRequestHandler], None],
) -> None:
    with recording_server() as (url, recorder):
        recorder.answer = answer
        assert not quick_poll.poll(url, "tok", CURSOR_VALUE, SETTINGS_KEPT)
        assert len(recorder.requests) == 1


def test_a_refused_connection_leaves_the_sync_to_the_engine() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        assert not quick_poll.poll(f"http://127.0.0.1:{port}", "tok", CURSOR_VALUE, SETTINGS_KEPT)


def test_a_server_that_does_not_answer_in_time_is_reported_as_the_engine_reports_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()  # accepts, never answers
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(ServerUnreachable) as quick:
            quick_poll.poll(url, "tok", CURSOR_VALUE, SETTINGS_KEPT, timeout=0.5)
        remote = Remote(url, "tok", timeout=0.5)
        try:
            with pytest.raises(ServerUnreachable) as engines:
                remote.changes(CURSOR_VALUE)
        finally:
            remote.close()
    assert quick.value.message == engines.value.message


def test_a_proxy_in_the_environment_leaves_the_sync_to_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with recording_server() as (url, recorder):
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
        assert not quick_poll.poll(url, "tok", CURSOR_VALUE, SETTINGS_KEPT)
        assert recorder.requests == []
