"""What the client tells a person, in their language, and true: without a server.

The language a request asks answers in, server addresses without a scheme, edit
descriptions told when shown (older entries as they were), device names per home, the
next sync only while a daemon plans it, progress in bytes, and names for copies.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from docshelf.client.app import Client, default_device_name
from docshelf.client.config import ClientConfig, save_config
from docshelf.client.daemon import Daemon
from docshelf.client.descriptions import Description, describe
from docshelf.client.editing import Editor
from docshelf.client.errors import NoLocalCopy, ServerUnreachable
from docshelf.client.files import FileStore
from docshelf.client.lock import SyncLock
from docshelf.client.paths import Home
from docshelf.client.planner import Upsert
from docshelf.client.reading import safe_file_stem, template_copy
from docshelf.client.remote import Remote, normalize_server_url
from docshelf.client.status import Phase, Status, SyncState, write_status_file
from docshelf.client.store import LocalStore
from docshelf.domain.edits import Edit, EditKind, Op
from docshelf.domain.errors import InvalidInput
from docshelf.i18n import using
from docshelf.i18n.tools import english_leftovers

ANNA = "u-anna"


# --- requests ask for the current language ---------------------------------------------


@pytest.fixture
def echo_server() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that notes each request's Accept-Language."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Accept-Language", ""))
            body = json.dumps({"title": "Nope", "detail": "no", "code": "x"}).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_every_request_asks_for_the_language_spoken_at_that_moment(
    echo_server: tuple[str, list[str]],
) -> None:
    url, seen = echo_server
    remote = Remote(url, "token")
    try:
        for language in ("de", "en", "de"):
            with using(language), pytest.raises(Exception):  # noqa: B017 - any refusal
                remote.me()
    finally:
        remote.close()
    assert seen == ["de", "en", "de"]


def test_an_unreachable_server_is_told_in_german_without_claiming_a_local_copy() -> None:
    remote = Remote("http://127.0.0.1:9", "token", timeout=5)
    try:
        with using("de"), pytest.raises(ServerUnreachable) as raised:
            remote.me()
    finally:
        remote.close()
    assert raised.value.message == "Der Server unter http://127.0.0.1:9 ist nicht erreichbar."
    assert raised.value.title == "Server nicht erreichbar"
    assert "lokal" not in raised.value.message


# --- server addresses ------------------------------------------------------------------


def test_an_address_without_scheme_is_refused_with_the_fix() -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize_server_url("127.0.0.1:8480")
    assert refused.value.message == (
        "The server address 127.0.0.1:8480 lacks its scheme: write http://127.0.0.1:8480"
        " or https://127.0.0.1:8480."
    )
    with using("de"), pytest.raises(InvalidInput) as german:
        normalize_server_url("127.0.0.1:8480")
    assert "Schreiben Sie http://127.0.0.1:8480 oder https://127.0.0.1:8480" in german.value.message
    assert normalize_server_url(" HTTP://x.example/api/v1/ ") == "HTTP://x.example"


# --- edit descriptions -----------------------------------------------------------------


def _put(store: LocalStore, kind: str, record: dict[str, Any]) -> None:
    with store.transaction() as db:
        LocalStore.write_upserts(db, [Upsert(kind, record["id"], 1, "h", record)])


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "cache.db")
    _put(store, "user", {"id": ANNA, "login": "anna", "display_name": "Anna", "fields": {},
                         "roles": ["user"], "active": True})  # fmt: skip
    _put(store, "field", {"id": "f-phone", "key": "phone", "scope": "user", "type": "phone",
                          "labels": {"de": "Telefon", "en": "Phone"}, "order": 0})  # fmt: skip
    _put(store, "field", {"id": "f-fax", "key": "fax", "scope": "user", "type": "text",
                          "labels": {}, "order": 1})  # fmt: skip
    _put(store, "unit", {"id": "unit-hq", "parent_id": None, "title": "HQ", "fields": {},
                         "assignable_by": ["*"], "order": 0})  # fmt: skip
    _put(store, "profile", {"id": "p-anna", "owner_id": ANNA, "unit_id": "unit-hq",
                            "title": "Anna HQ", "overrides": {}, "shared_with": []})  # fmt: skip
    return store


def test_an_edit_is_described_in_the_language_it_is_shown_in(
    store: LocalStore, tmp_path: Path
) -> None:
    editor = Editor(store, FileStore(tmp_path / "files"), ANNA)
    queued = editor.profile_set("Anna HQ", "phone", "+41 44 123 45 67")
    editor.profile_set("Anna HQ", "unit", "HQ")
    [entry, unit_entry] = store.outbox.entries()
    # Stored as data, not as a sentence of the moment it was made.
    assert json.loads(entry.description) == {
        "kind": "profile_field",
        "fields": {
            "field": {"de": "Telefon", "en": "Phone"},
            "profile": "Anna HQ",
            "value": "+41 44 123 45 67",
        },
    }
    assert queued.message == (
        "Queued: Phone of profile 'Anna HQ' set to '+41 44 123 45 67'. It goes up at the next sync."
    )
    assert entry.summary == "Phone of profile 'Anna HQ' set to '+41 44 123 45 67'"
    with using("de"):
        assert entry.summary == "Telefon des Profils «Anna HQ» auf «+41 44 123 45 67» gesetzt"
        assert entry.to_json()["summary"] == entry.summary
        assert unit_entry.summary == "Einheit des Profils «Anna HQ» auf «HQ» gesetzt"
        assert english_leftovers(entry.summary + unit_entry.summary) == []


def test_a_field_without_labels_is_named_by_its_key(store: LocalStore, tmp_path: Path) -> None:
    editor = Editor(store, FileStore(tmp_path / "files"), ANNA)
    editor.profile_set("Anna HQ", "fax", "123")
    [entry] = store.outbox.entries()
    with using("de"):
        assert entry.summary == "fax des Profils «Anna HQ» auf «123» gesetzt"


def test_an_older_entry_keeps_its_english_sentence(store: LocalStore) -> None:
    with store.transaction():
        store.outbox.add(
            Edit(EditKind.PROFILE, Op.UPDATE, "p-anna", set={"title": "x"}),
            "title of profile 'Anna HQ' set to 'x'",
        )
    [entry] = store.outbox.entries()
    with using("de"):
        assert entry.summary == "title of profile 'Anna HQ' set to 'x'"
    assert describe("{not json") == "{not json"


def test_every_kind_of_description_reads_in_german() -> None:
    from docshelf.client.descriptions import TEXTS

    sample = {"field": {"de": "Telefon"}, "profile": "P", "value": "v", "title": "T",
              "login": "ben", "snippet": "S", "template": "V", "lang": "de", "filename": "f",
              "unit": "U", "parent": "O", "group": "G"}  # fmt: skip
    with using("de"):
        for kind in TEXTS:
            text = Description(kind, sample).render()
            assert english_leftovers(text) == [], kind


# --- device names ----------------------------------------------------------------------


def test_each_home_has_its_own_stable_device_name(tmp_path: Path) -> None:
    first, second = Home(tmp_path / "one"), Home(tmp_path / "two")
    assert default_device_name(first) != default_device_name(second)
    assert default_device_name(first) == default_device_name(Home(tmp_path / "one"))
    assert "@" in default_device_name(first) or " " in default_device_name(first)


# --- a home that never signed in -------------------------------------------------------


def test_reading_a_home_that_never_signed_in_says_so(tmp_path: Path) -> None:
    client = Client(Home(tmp_path / "fresh"))
    try:
        with pytest.raises(NoLocalCopy) as raised:
            client.require_local_copy()
        assert "docshelf login" in raised.value.message
        assert raised.value.code == "no_local_copy"
        with using("de"), pytest.raises(NoLocalCopy) as german:
            client.require_local_copy()
        assert german.value.title == "Noch keine lokale Kopie"
        assert "noch nicht angemeldet" in german.value.message
    finally:
        client.close()


# --- the next sync only while a daemon plans it ----------------------------------------


def _signed_in(tmp_path: Path) -> Client:
    client = Client(Home(tmp_path / "home"))
    save_config(
        client.home.config_file,
        ClientConfig(
            server_url="http://127.0.0.1:9", login="anna", user_id=ANNA, device_id="d",
            device_name="pc",
        ),
    )  # fmt: skip
    return client


def test_a_next_sync_is_shown_only_while_a_daemon_holds_its_lock(tmp_path: Path) -> None:
    client = _signed_in(tmp_path)
    planned = datetime.now().astimezone() + timedelta(minutes=10)
    # What a daemon that was killed left behind.
    write_status_file(client.home.status_file, Status(state=SyncState.IDLE, next_sync=planned))
    try:
        assert client.status().next_sync is None
        summary = client.summary()
        assert (summary["next_sync"], summary["daemon_running"]) == (None, False)

        daemon_lock = SyncLock(client.home.daemon_lock_file, what="docshelf daemon")
        assert daemon_lock.try_acquire()
        try:
            summary = client.summary()
            assert summary["daemon_running"] is True
            assert summary["next_sync"] == planned.isoformat()
        finally:
            daemon_lock.release()
        assert client.summary()["next_sync"] is None
    finally:
        client.close()


# --- progress --------------------------------------------------------------------------


def test_progress_in_bytes_reads_as_the_desktop_shows_it() -> None:
    status = Status(
        state=SyncState.SYNCING,
        phase=Phase.FILES,
        bytes_done=int(188.5 * 2**20),
        bytes_total=int(314.6 * 2**20),
    )
    with using("de"):
        assert status.progress_text() == "Dateien laden 188,5 von 314,6 MB · 59 %"
        assert Phase.RECONCILING.label == "Abgleichen"
    assert status.progress_text() == "Downloading files 188.5 of 314.6 MB · 59%"
    assert status.percent == 59
    assert Status(state=SyncState.IDLE).progress_text() is None


# --- names for copies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "stem"),
    [
        ("Brief: Kunde/Offerte", "Brief_ Kunde_Offerte"),
        ("  .Memo.  ", "Memo"),
        ("CON", "CON_"),
        ("", "document"),
        ("a" * 300, "a" * 120),
    ],
)
def test_a_title_becomes_a_safe_file_name(title: str, stem: str) -> None:
    assert safe_file_stem(title) == stem


def test_a_template_copy_is_named_from_its_title_in_the_files_language(
    store: LocalStore, tmp_path: Path
) -> None:
    _put(store, "template", {"id": "t-1", "group_id": None, "kind": "docx",
                             "status": "released", "active": True,
                             "titles": {"de": "Brief", "en": "Letter"}, "descriptions": {},
                             "use_rights": ["*"], "change_rights": [], "order": 0,
                             "files": {"de": {"sha256": "a" * 64, "filename": "wip_v7.DOCX",
                                              "size": 1},
                                       "en": {"sha256": "b" * 64, "filename": "x.docx",
                                              "size": 1}}})  # fmt: skip
    files = FileStore(tmp_path / "files")
    assert template_copy(store, files, "t-1", "de").name == "Brief.docx"
    copy = template_copy(store, files, "t-1", "en")
    assert (copy.name, copy.lang, copy.downloaded) == ("Letter.docx", "en", False)


def test_a_killed_daemon_leaves_no_next_sync_behind(tmp_path: Path) -> None:
    client = _signed_in(tmp_path)
    planned = datetime.now().astimezone() + timedelta(minutes=10)
    write_status_file(client.home.status_file, Status(state=SyncState.IDLE, next_sync=planned))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_DAEMON_LOCK, str(client.home.daemon_lock_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert client.summary()["next_sync"] == planned.isoformat()
        holder.kill()  # no goodbye: the status file still names the next sync
        holder.wait(timeout=60)
        summary = client.summary()
        assert (summary["next_sync"], summary["daemon_running"]) == (None, False)
    finally:
        holder.kill()
        holder.wait(timeout=60)
        client.close()


_HOLD_DAEMON_LOCK = """
import sys, time
from pathlib import Path
from docshelf.client.lock import SyncLock
lock = SyncLock(Path(sys.argv[1]), what="docshelf daemon")
assert lock.try_acquire()
print("held", flush=True)
time.sleep(600)
"""


def test_a_daemon_that_stops_takes_its_next_sync_with_it(tmp_path: Path) -> None:
    client = _signed_in(tmp_path)
    daemon = Daemon(client, hints=False, probe=lambda _url: False)
    try:
        daemon.start()
        running = client.summary()
        assert running["daemon_running"] is True and running["next_sync"] is not None
        daemon.stop()
        stopped = client.summary()
        assert (stopped["next_sync"], stopped["daemon_running"]) == (None, False)
    finally:
        client.close()
