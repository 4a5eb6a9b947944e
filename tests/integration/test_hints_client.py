"""Change hints end to end: real ``docshelf daemon`` processes hold hint streams on real
server processes (SQLite and PostgreSQL) and sync when a change concerns their user.

The sync interval is 15 minutes in every test that expects a hint to bring the change, so
nothing but the hint can; the tests of the interval as the safety net shorten it for their
daemon (DOCSHELF_SYNC_INTERVAL_SCALE). Waits are on events (the daemon's status file, its
cache, the server's log) with generous deadlines; nothing assumes the machine's speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docshelf.client.app import Client
from docshelf.client.daemon import INTERVAL_SCALE_ENV
from docshelf.client.paths import Home
from docshelf.client.status import read_status_file
from docshelf.client.store import LocalStore
from docshelf.protocol.cursor import Cursor
from support.api import FAST_HASHING, PASSWORD, LiveServer, login, start_live
from support.hints import drain
from support.postgres import PostgresCluster
from support.proxy import Hold, holding_proxy
from support.server import MakeServer
from support.sync import make_template

DEADLINE = 60.0
MINUTE_MS = 60_000
# The daemons of the interval tests plan with a 20th of ClientSyncInterval (whose shortest
# is a minute), so that the safety net is seen in seconds rather than a minute.
SHORT_INTERVAL = {INTERVAL_SCALE_ENV: "0.05"}


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def settings(live: LiveServer, **values: Any) -> None:
    live.admin.ok("PATCH", "/admin/settings", json={"values": values})


def newest_seq(live: LiveServer) -> int:
    return Cursor.decode(drain(live.admin)).seq


class Desk:
    """A user's home with a running ``docshelf daemon``."""

    def __init__(
        self, home: Path, server_url: str, login: str, env: dict[str, str] | None = None
    ) -> None:
        self.home = home
        client = Client(Home(home))
        try:
            client.login(server_url, login, PASSWORD, device_name=f"desk-{home.name}")
            result = client.sync()
            assert result.status == "ok", result.error
        finally:
            client.close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "docshelf", "--home", str(home), "daemon"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )

    def status(self) -> Any:
        assert self.process.poll() is None, f"the daemon ended: {self.process.communicate()}"
        return read_status_file(self.home / "status.json")

    def hints(self) -> str | None:
        status = self.status()
        return None if status is None else status.hints

    def wait_hints(self, state: str, timeout: float = DEADLINE) -> None:
        wait_until(lambda: self.hints() == state, f"hints {state} in {self.home.name}", timeout)

    def titles(self) -> set[str]:
        store = LocalStore(self.home / "cache.db")
        try:
            return {
                title for record in store.records("template") for title in record["titles"].values()
            } | {record["title"] for record in store.records("profile")}
        finally:
            store.close()

    def wait_holds(self, title: str, timeout: float = DEADLINE) -> None:
        wait_until(lambda: title in self.titles(), f"{title!r} in {self.home.name}", timeout)

    def hinted_seqs(self) -> list[int]:
        log = self.home / "logs" / "client.log"
        events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return [e["seq"] for e in events if e.get("event") == "hint"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()


@pytest.fixture
def desks() -> Iterator[list[Desk]]:
    started: list[Desk] = []
    yield started
    for desk in started:
        desk.stop()


@pytest.fixture
def quiet(live: LiveServer) -> Iterator[None]:
    """A 15-minute interval, no start delay, hints at once; as they were afterwards."""
    settings(
        live,
        ClientSyncInterval=15 * MINUTE_MS,
        ClientSyncMaxDelayAfterStart=0,
        ClientHintMaxDelay=0,
        ClientHintsEnabled=True,
    )
    yield
    settings(live, ClientHintMaxDelay=5000, ClientHintsEnabled=True)


def desk_for(
    desks: list[Desk],
    tmp_path: Path,
    live: LiveServer,
    url: str | None = None,
    env: dict[str, str] | None = None,
) -> Desk:
    _, user = live.new_user(login_name=f"u{uuid.uuid4().hex[:8]}")
    desk = Desk(tmp_path / user["login"], url or live.url, user["login"], env)
    desks.append(desk)
    desk.user = user  # type: ignore[attr-defined]
    return desk


def _dispatch_of(live: LiveServer, seq: int) -> dict[str, Any]:
    """The server's log line of the hint dispatch that went through ``seq``."""
    found: dict[str, Any] = {}

    def logged() -> bool:
        for line in (live.data_dir / "logs" / "server.log").read_text().splitlines():
            if '"hints_dispatched"' in line and json.loads(line)["through"] >= seq:
                found.update(json.loads(line))
                return True
        return False

    wait_until(logged, f"the dispatch of change {seq}")
    return found


@pytest.mark.usefixtures("quiet")
def test_the_daemon_holds_a_change_within_seconds_not_at_its_interval(
    live: LiveServer, desks: list[Desk], tmp_path: Path
) -> None:
    desk = desk_for(desks, tmp_path, live)
    desk.wait_hints("connected")
    title = f"Neu {uuid.uuid4().hex[:6]}"
    make_template(live, title, use=["*"])
    seq = newest_seq(live)
    desk.wait_holds(title)
    assert seq in desk.hinted_seqs()
    status = desk.status()
    assert status.last_hint_at is not None and status.hints == "connected"
    answer = json.loads(
        subprocess.run(
            [sys.executable, "-m", "docshelf", "--home", str(desk.home), "status", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    )
    assert answer["hints"] == "connected" and answer["last_hint_at"] is not None


@pytest.mark.usefixtures("quiet")
def test_a_change_for_another_user_wakes_nobody_elses_sync(
    live: LiveServer, desks: list[Desk], tmp_path: Path
) -> None:
    anna = desk_for(desks, tmp_path, live)
    ben = desk_for(desks, tmp_path, live)
    anna.wait_hints("connected")
    ben.wait_hints("connected")
    ben_id = ben.user["id"]  # type: ignore[attr-defined]
    anna_id = anna.user["id"]  # type: ignore[attr-defined]
    only_ben = f"Nur Ben {uuid.uuid4().hex[:6]}"
    make_template(live, only_ben, use=[f"user:{ben_id}"])
    ben_seq = newest_seq(live)
    ben.wait_holds(only_ben)
    # Server side: the change's dispatch woke one stream of the ones held.
    dispatch = _dispatch_of(live, ben_seq)
    assert dispatch["through"] == ben_seq and dispatch["streams"] == 1, dispatch
    # Anna's own change comes after: her daemon hears of it, and of nothing before it.
    marker = f"Anna {uuid.uuid4().hex[:6]}"
    live.admin.ok("POST", "/admin/profiles", json={"owner_id": anna_id, "title": marker})
    anna_seq = newest_seq(live)
    anna.wait_holds(marker)
    assert only_ben not in anna.titles()
    seqs = anna.hinted_seqs()
    assert anna_seq in seqs and ben_seq not in seqs, seqs


@pytest.mark.usefixtures("quiet")
def test_a_cut_hint_connection_reconnects(
    live: LiveServer, desks: list[Desk], tmp_path: Path
) -> None:
    with holding_proxy(live.process.port, b"/sync/hints") as proxy:
        desk = desk_for(desks, tmp_path, live, url=proxy.url)
        desk.wait_hints("connected")
        proxy.cut()  # a proxy or a NAT drops the idle connection
        wait_until(lambda: proxy.connections_made >= 2, "the daemon's new hint connection")
        desk.wait_hints("connected")
        title = f"Nach dem Schnitt {uuid.uuid4().hex[:6]}"
        make_template(live, title, use=["*"])
        desk.wait_holds(title)


@pytest.mark.usefixtures("quiet")
def test_without_a_hint_connection_the_interval_still_syncs(
    live: LiveServer, desks: list[Desk], tmp_path: Path
) -> None:
    settings(live, ClientSyncInterval=MINUTE_MS)
    with holding_proxy(live.process.port, b"/sync/hints") as proxy:
        proxy.hold = Hold.REQUEST  # the hint request never reaches the server
        desk = desk_for(desks, tmp_path, live, url=proxy.url, env=SHORT_INTERVAL)
        wait_until(proxy.held.is_set, "the daemon's hint request")
        assert desk.hints() != "connected"
        title = f"Im Intervall {uuid.uuid4().hex[:6]}"
        make_template(live, title, use=["*"])
        # One interval (the shortest, 1 min, scaled to 3 s) and then some: the safety net.
        desk.wait_holds(title)


@pytest.mark.usefixtures("quiet")
def test_hints_switched_off_fall_back_to_the_interval(
    live: LiveServer, desks: list[Desk], tmp_path: Path
) -> None:
    desk = desk_for(desks, tmp_path, live, env=SHORT_INTERVAL)
    desk.wait_hints("connected")
    settings(live, ClientSyncInterval=MINUTE_MS, ClientHintsEnabled=False)
    # The switch itself is a change: it reaches the desk, which then stops listening.
    desk.wait_hints("off")
    title = f"Ohne Hinweis {uuid.uuid4().hex[:6]}"
    make_template(live, title, use=["*"])
    desk.wait_holds(title)
    assert desk.hints() == "off"


@pytest.mark.postgres
def test_a_desk_held_on_one_process_hears_a_change_made_through_another(
    pg_cluster: PostgresCluster, make_server: MakeServer, desks: list[Desk], tmp_path: Path
) -> None:
    name = f"docshelf_hints_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name)
    env = {**FAST_HASHING, "DOCSHELF_BLOB_DIR": str(tmp_path / "blobs")}
    first, second = make_server(url, env=env), make_server(url, env=env)
    live = start_live(first)
    through_second = login(second.url, "root")
    try:
        settings(live, ClientSyncMaxDelayAfterStart=0, ClientHintMaxDelay=0)
        live.new_user(login_name="anna")
        desk = Desk(tmp_path / "anna", first.url, "anna")
        desks.append(desk)
        desk.wait_hints("connected")
        body = {"kind": "docx", "titles": {"de": "Über den zweiten Prozess"}, "status": "released"}
        through_second.ok("POST", "/admin/templates", json=body)
        desk.wait_holds("Über den zweiten Prozess")
    finally:
        for desk_running in desks:
            desk_running.stop()  # before the database goes
        through_second.close()
        live.close()
        pg_cluster.drop_database(name)
