"""The sync properties of architecture.md, each against a real server process."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from docshelf.client.app import Client
from docshelf.client.daemon import Daemon
from docshelf.domain.accounts import system_actor
from docshelf.domain.patches import TemplatePatch
from docshelf.protocol.cursor import Cursor
from docshelf.server.db.engine import Database
from docshelf.server.db.models import Template
from docshelf.server.demo.files import docx_bytes
from docshelf.server.services import templates as template_service
from support.api import FAST_HASHING, LiveServer, admin_cli, login, start_live
from support.postgres import PostgresCluster
from support.server import MakeServer, ServerProcess
from support.sync import assert_client_matches_server, client_for, ids, make_template, sync


def _cli(live: LiveServer, *args: str) -> None:
    done = admin_cli(
        list(args), data_dir=str(live.process.data_dir), database_url=live.database_url
    )
    assert done.returncode == 0, done.stderr


# --- property 3: resets reconcile, they don't wipe -------------------------------------


def test_restored_backup_makes_clients_reconcile_not_wipe(
    make_server: MakeServer,
    database_url: str | None,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    server = make_server(database_url, env=FAST_HASHING)
    live = start_live(server)
    _, user = live.new_user()
    kept = make_template(live, "Kept", data=docx_bytes("Kept", ["content"]))
    doomed = make_template(live, "Doomed")
    client = client_for(live, tmp_path / "client", user["login"])
    sync(client)
    backup = _backup(server, database_url, request)

    # After the backup: changes the restore will undo.
    make_template(live, "Lost after restore")
    live.admin.ok("PATCH", f"/admin/templates/{kept['id']}", json={"titles": {"de": "Kept v2"}})
    sync(client)
    _restore(server, database_url, backup)
    live.admin = login(server.url, "root")
    # The restored database lives on: its new change numbers repeat the lost ones.
    live.admin.ok("POST", f"/admin/templates/{doomed['id']}/deactivate")
    make_template(live, "New after restore")

    result = sync(client)
    assert result.reconciled
    assert result.bytes == 0, "files the client had were downloaded again"
    assert_client_matches_server(live, client)
    titles = {r["titles"]["de"] for r in client.store.records("template")}
    assert "Kept" in titles and "Kept v2" not in titles and "Lost after restore" not in titles
    assert doomed["id"] not in ids(client, "template")


def _backup(server: ServerProcess, database_url: str | None, request: pytest.FixtureRequest) -> str:
    if database_url is None:
        target = server.data_dir / "backup.db"
        source = sqlite3.connect(server.data_dir / "docshelf.db")
        copy = sqlite3.connect(target)
        source.backup(copy)
        source.close()
        copy.close()
        return str(target)
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    server.stop()  # a template database must have no connections
    name = f"backup_{secrets.token_hex(4)}"
    with cluster.connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{database_url.rsplit("/", 1)[1]}"')
    server.start()
    return cluster.url_for(name)


def _restore(server: ServerProcess, database_url: str | None, backup: str) -> None:
    server.stop()
    if database_url is None:
        db = server.data_dir / "docshelf.db"
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(backup, db)
    else:
        server.database_url = backup
    server.start()


def test_forgotten_deletions_make_old_clients_reconcile(live: LiveServer, tmp_path: Path) -> None:
    _, user = live.new_user()
    template = make_template(live, "Short-lived")
    client = client_for(live, tmp_path / "old", user["login"])
    sync(client)
    live.admin.ok("POST", f"/admin/templates/{template['id']}/deactivate")
    live.admin.ok("DELETE", f"/admin/templates/{template['id']}")
    _cli(live, "purge-tombstones", "--older-than-days", "0")
    result = sync(client)
    assert result.reconciled
    assert template["id"] not in ids(client, "template")
    assert_client_matches_server(live, client)


def test_cursor_of_another_protocol_version_is_not_trusted(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = live.new_user()
    client = client_for(live, tmp_path / "c", user["login"])
    sync(client)
    stored = client.store.get("cursor")
    assert stored
    old = Cursor.decode(stored)
    client.store.put(
        "cursor", Cursor(old.version + 1, old.epoch, old.seq, old.nonce, old.scope).encode()
    )
    result = sync(client)
    assert result.reconciled and result.downloaded == 0 and result.bytes == 0
    assert_client_matches_server(live, client)


# --- property 1: nothing is skipped ------------------------------------------------------


def _write_concurrently(url: str, template_ids: list[str], writers: int, rounds: int) -> None:
    """Writer threads committing template changes in overlapping transactions."""
    db = Database(url)

    def write(writer: int) -> None:
        rnd = random.Random(writer)
        for n in range(rounds):
            with db.change(f"writer{writer}") as change:
                for tid in rnd.sample(template_ids, 2):
                    row = change.session.get(Template, tid)
                    template_service.update_template(
                        change, system_actor(), row, TemplatePatch(titles={"de": f"w{writer}-{n}"})
                    )
                # Hold the transaction open so commits overlap with the readers' pages.
                time.sleep(rnd.uniform(0, 0.01))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose()


def _pull_until(stop: threading.Event, client: Client, failures: list[str]) -> None:
    try:
        while not stop.is_set():
            result = client.sync()
            if result.status != "ok":
                failures.append(str(result.error))
    except Exception as exc:  # a dying thread must fail the test, not just warn
        failures.append(repr(exc))


@pytest.mark.postgres
def test_no_change_is_skipped_under_concurrent_writers(
    make_server: MakeServer, pg_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = pg_cluster.create_database(f"concurrent_{secrets.token_hex(4)}")
    live = start_live(make_server(url, env=FAST_HASHING))
    writers = 6
    template_ids = [make_template(live, f"T{i}")["id"] for i in range(writers * 2)]
    clients = [
        client_for(live, tmp_path / f"c{i}", live.new_user()[1]["login"], page_size=3)
        for i in range(3)
    ]
    stop = threading.Event()
    failures: list[str] = []
    pullers = [threading.Thread(target=_pull_until, args=(stop, c, failures)) for c in clients]
    for thread in pullers:
        thread.start()
    _write_concurrently(url, template_ids, writers, rounds=20)
    stop.set()
    for thread in pullers:
        thread.join()
    assert not failures
    for client in clients:
        sync(client)
        assert_client_matches_server(live, client)
    live.close()


# --- property 6: files are content-addressed --------------------------------------------


def test_a_file_in_ten_templates_is_downloaded_once(live: LiveServer, tmp_path: Path) -> None:
    data = docx_bytes(f"Shared {secrets.token_hex(4)}", ["same bytes everywhere"])
    for i in range(10):
        make_template(live, f"Copy {i}", data=data)
    _, user = live.new_user()
    client = client_for(live, tmp_path / "c", user["login"])
    result = sync(client)
    sha = hashlib.sha256(data).hexdigest()
    assert client.files.path(sha).read_bytes() == data
    downloads = [f for f in client.files.root.glob("??/??/*") if f.name == sha]
    assert len(downloads) == 1
    # Other tests' files are in this server too; this one counted once among them.
    assert result.bytes >= len(data)
    before = result.bytes
    for i in range(3):
        make_template(live, f"Another copy {i}", data=data)
    assert sync(client).bytes == 0 and before > 0


# --- property 7: cheap when nothing changed ----------------------------------------------


def test_a_poll_without_changes_is_tiny(live: LiveServer, tmp_path: Path) -> None:
    _, user = live.new_user()
    client = client_for(live, tmp_path / "c", user["login"])
    sync(client)
    cursor = client.store.get("cursor")
    api = login(live.url, user["login"])
    response = api.get("/sync/changes", params={"cursor": cursor})
    assert response.status_code == 200
    body = response.json()
    assert body["changes"] == [] and not body["has_more"]
    assert body["settings"]["client_sync_interval_ms"] > 0
    wire = len(response.content) + sum(len(k) + len(v) + 4 for k, v in response.headers.items())
    assert wire < 1024, wire


# --- property 8: the server protects itself -----------------------------------------------


def _refused_pulls(server: ServerProcess) -> int:
    """How many pulls of the change feed the server has turned away with 503 so far."""
    count = 0
    for line in (server.data_dir / "logs" / "server.log").read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "request" and entry.get("status") == 503:
                count += str(entry.get("path", "")).endswith("/sync/changes")
    return count


def test_heavy_requests_beyond_the_cap_get_503_and_clients_wait(
    make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(None, env={**FAST_HASHING, "DOCSHELF_MAX_HEAVY_REQUESTS": "1"})
    live = start_live(server)
    # Larger than loopback's socket buffers: the server can't finish sending it while the
    # reader waits, so the download keeps its slot.
    big = b"PK\x03\x04" + secrets.token_bytes(64 * 1024 * 1024)
    sha = live.admin.upload(big)
    make_template(live, "Big", data=None)
    cursor = live.admin.ok("GET", "/sync/changes", params={"limit": 5000})["cursor"]
    holder = httpx.Client(base_url=server.url, timeout=30, trust_env=False)
    # Held by another device: one device alone may not take every slot (it would get
    # 429), the cap applies to everybody's requests together.
    headers = {"Authorization": f"Bearer {live.login('root').token}"}
    with holder.stream("GET", f"/api/v1/blobs/{sha}", headers=headers) as held:
        # The download is in flight: the one heavy slot is taken. The iterator must be kept:
        # collected, it would close the connection (a reset, as bytes are still unread) and
        # the server would see the client go away.
        chunks = held.iter_bytes(1024)
        next(chunks)
        refused = live.admin.get("/sync/changes")  # no cursor: an initial sync is heavy
        assert refused.status_code == 503, refused.text
        assert 2 <= int(refused.headers["Retry-After"]) <= 10
        # A poll with a cursor is cheap and always admitted.
        live.admin.ok("GET", "/sync/changes", params={"cursor": cursor})
        del chunks
    _, user = live.new_user()
    client = client_for(live, tmp_path / "c", user["login"])
    results = []
    with holder.stream("GET", f"/api/v1/blobs/{sha}", headers=headers) as held:
        chunks = held.iter_bytes(1024)
        next(chunks)
        refused_before = _refused_pulls(server)
        worker = threading.Thread(target=lambda: results.append(client.sync()))
        worker.start()
        # The client is turned away meanwhile (seen in the server's log) and waits.
        deadline = time.monotonic() + 60
        while _refused_pulls(server) == refused_before:
            assert time.monotonic() < deadline, "the client's sync was never turned away"
            assert worker.is_alive(), results
            time.sleep(0.05)
        del chunks
    worker.join(timeout=120)
    assert results and results[0].status == "ok", results
    holder.close()
    live.close()


# --- property 9: settings arrive with every sync and drive the schedule --------------------


def test_a_changed_interval_reaches_the_client_and_drives_its_schedule(
    live: LiveServer, tmp_path: Path
) -> None:
    _, user = live.new_user()
    client = client_for(live, tmp_path / "c", user["login"])
    sync(client)
    _cli(live, "settings", "set", "ClientSyncInterval", "120000")
    _cli(live, "settings", "set", "ClientSyncMaxDelayAfterStart", "0")
    now = [1000.0]
    # Without the hint listener: the settings changes above would hint a sync in seconds,
    # and this test is about the interval's schedule.
    daemon = Daemon(
        client, clock=lambda: now[0], wall=time.time, probe=lambda _url: True, hints=False
    )
    try:
        daemon.start()
        # A filled cache waits a random part of the (old, default) delay after start.
        first = daemon.scheduler.due_in()
        assert first is not None and 0 <= first <= 300
        now[0] += first
        daemon.step()  # the due sync runs and brings the new settings
        assert client.settings()["ClientSyncInterval"] == 120000
        due = daemon.scheduler.due_in()
        assert due is not None and 108 <= due <= 120, due
        assert client.status().next_sync is not None
    finally:
        daemon.stop()
        live.admin.ok(
            "PATCH",
            "/admin/settings",
            json={"values": {"ClientSyncInterval": 900000, "ClientSyncMaxDelayAfterStart": 300000}},
        )


def test_the_server_records_how_far_each_device_got(live: LiveServer, tmp_path: Path) -> None:
    _, user = live.new_user()
    client = client_for(live, tmp_path / "c", user["login"])
    sync(client)
    stored = client.store.get("cursor")
    assert stored
    devices = live.admin.ok("GET", f"/admin/users/{user['id']}/devices")
    device = next(d for d in devices if d["name"] == "test-c")
    assert device["last_sync_seq"] == Cursor.decode(stored).seq
    assert device["last_sync_at"] is not None
