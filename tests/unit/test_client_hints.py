"""The change-hint listener against a stand-in hint server on 127.0.0.1.

The server's endpoint is built elsewhere; this stand-in speaks the agreed wire format
(Server-Sent Events, refusals as problem+json) and lets each test script its answers.
Everything waits on events with generous deadlines; timing comes from injected chance
(0: reconnect at once) and an injected clock.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from docshelf.client.app import Client
from docshelf.client.config import ClientConfig, save_config
from docshelf.client.daemon import INTERVAL_SCALE_ENV, Daemon
from docshelf.client.engine import CURSOR, SETTINGS
from docshelf.client.hints import UNSUPPORTED_RETRY_S, HintListener
from docshelf.client.paths import Home
from docshelf.client.status import HintState, Status, read_status_file
from docshelf.domain.settings import CLIENT_SYNC_INTERVAL

DEADLINE = 20.0
TOKEN = "device-token-1"


@dataclass
class Answer:
    """One connection's answer: a refusal, or a stream fed from ``chunks`` (None ends it)."""

    status: int = 200
    problem: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: queue.SimpleQueue[bytes | None] = field(default_factory=queue.SimpleQueue)

    def send(self, text: str) -> None:
        self.chunks.put(text.encode())

    def end(self) -> None:
        self.chunks.put(None)


READY = 'event: ready\ndata: {"seq": 10, "heartbeat_s": 20}\n\n'


class HintServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HintHandler)
        self.answers: queue.SimpleQueue[Answer] = queue.SimpleQueue()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.closed = 0
        self.made: list[Answer] = []
        self.changed = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_until(self, check: Any) -> bool:
        with self.changed:
            return self.changed.wait_for(check, DEADLINE)

    def end_all(self) -> None:
        """End the streams still open or never asked for (their handlers return)."""
        for answer in self.made:
            answer.end()

    def stream(self, *texts: str) -> Answer:
        answer = Answer()
        self.made.append(answer)
        for text in texts:
            answer.send(text)
        self.answers.put(answer)
        return answer

    def refuse(self, status: int, code: str = "", **headers: str) -> None:
        problem = {"title": "Refused", "detail": "refused", "status": status, "code": code}
        self.answers.put(Answer(status=status, problem=problem, headers=headers))


class HintHandler(BaseHTTPRequestHandler):
    server: HintServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.changed:
            self.server.requests.append((self.path, dict(self.headers.items())))
            self.server.changed.notify_all()
        try:
            answer = self.server.answers.get(timeout=DEADLINE)
        except queue.Empty:
            answer = Answer(status=404, problem={"title": "Not found"})
        try:
            if answer.status != 200:
                body = json.dumps(answer.problem or {}).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/problem+json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            while True:
                chunk = answer.chunks.get(timeout=DEADLINE * 3)
                if chunk is None:
                    self.wfile.write(b"0\r\n\r\n")
                    break
                self.wfile.write(b"%X\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
        except OSError:
            pass  # the client went away: what the tests of stop() expect
        finally:
            self.close_connection = True
            with self.server.changed:
                self.server.closed += 1
                self.server.changed.notify_all()


@pytest.fixture
def server() -> Iterator[HintServer]:
    srv = HintServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    srv.end_all()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def signed_in(tmp_path: Path, server: HintServer, *, enabled: bool = True) -> Client:
    client = Client(Home(tmp_path / "home"))
    save_config(
        client.home.config_file,
        ClientConfig(
            server_url=server.url, login="anna", user_id="u1", device_id="d1", device_name="pc"
        ),
    )
    client.credentials.save(server.url, "anna", TOKEN)
    client.store.put(CURSOR, "cursor-42")
    set_enabled(client, enabled)
    return client


def set_enabled(client: Client, enabled: bool) -> None:
    client.store.put_json(SETTINGS, {"client_hints_enabled": enabled})


class Harness:
    def __init__(self, client: Client, clock: Clock | None = None) -> None:
        self.hints: list[float] = []
        self.got = threading.Condition()
        self.listener = HintListener(client, self._on_hint, rnd=lambda: 0.0, clock=clock or Clock())

    def _on_hint(self, max_delay_ms: float) -> None:
        with self.got:
            self.hints.append(max_delay_ms)
            self.got.notify_all()

    def wait_hints(self, count: int) -> bool:
        with self.got:
            return self.got.wait_for(lambda: len(self.hints) >= count, DEADLINE)

    def wait_state(self, state: HintState) -> bool:
        with self.got:
            return self.got.wait_for(lambda: self.listener.state is state, DEADLINE)

    def wait_off_until_sync(self) -> bool:
        with self.got:
            return self.got.wait_for(
                lambda: self.listener.waiting_for_sync and self.listener.state is HintState.OFF,
                DEADLINE,
            )


@pytest.fixture
def harness(tmp_path: Path, server: HintServer) -> Iterator[Harness]:
    client = signed_in(tmp_path, server)
    made = Harness(client)
    # State changes are published on the board: let them wake wait_state.
    client.board.subscribe(lambda _status: _notify(made))
    yield made
    made.listener.stop()
    client.close()


def _notify(harness: Harness) -> None:
    with harness.got:
        harness.got.notify_all()


def test_connects_with_cursor_and_token_and_says_connected(
    harness: Harness, server: HintServer
) -> None:
    server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    path, headers = server.requests[0]
    url = urlsplit(path)
    assert url.path == "/api/v1/sync/hints"
    assert parse_qs(url.query) == {"cursor": ["cursor-42"]}
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == "text/event-stream"
    status = read_status_file(harness.listener.client.home.status_file)
    assert status is not None and status.hints == "connected"


def test_before_the_first_sync_it_waits_for_that_sync(harness: Harness, server: HintServer) -> None:
    client = harness.listener.client
    client.store.put(CURSOR, None)
    server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTING)
    assert server.requests == []  # a stream now would only hint at once: a second full sync
    client.store.put(CURSOR, "cursor-42")
    harness.listener.sync_done(True)
    assert harness.wait_state(HintState.CONNECTED)
    assert len(server.requests) == 1


def test_a_hint_reaches_the_owner_with_its_window(harness: Harness, server: HintServer) -> None:
    answer = server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    answer.send(": keepalive\n\n")
    answer.send('event: hint\ndata: {"seq": 11, "max_delay_ms": 7000}\n\n')
    assert harness.wait_hints(1)
    assert harness.hints == [7000.0]
    assert harness.listener.client.board.status.last_hint_at is not None


def test_bye_reconnects_and_reads_the_cursor_again(harness: Harness, server: HintServer) -> None:
    first = server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    harness.listener.client.store.put(CURSOR, "cursor-43")
    server.stream(READY, 'event: hint\ndata: {"seq": 12, "max_delay_ms": 1}\n\n')
    first.send('event: bye\ndata: {"reason": "lifetime", "reconnect_ms": 1000}\n\n')
    first.end()
    assert harness.wait_hints(1)
    assert parse_qs(urlsplit(server.requests[1][0]).query) == {"cursor": ["cursor-43"]}
    assert harness.listener.state is HintState.CONNECTED


def test_a_stream_cut_without_bye_reconnects(harness: Harness, server: HintServer) -> None:
    first = server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    server.stream(READY)
    first.end()
    assert server.wait_until(lambda: len(server.requests) == 2)
    assert harness.wait_state(HintState.CONNECTED)


def test_stop_ends_a_held_stream_at_once(harness: Harness, server: HintServer) -> None:
    server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    harness.listener.stop(timeout=DEADLINE)
    assert not harness.listener.running
    assert harness.listener.state is HintState.OFF


def test_reconnect_now_replaces_a_held_stream(harness: Harness, server: HintServer) -> None:
    server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    server.stream(READY)
    harness.listener.reconnect_now()
    assert server.wait_until(lambda: len(server.requests) == 2)
    assert harness.wait_state(HintState.CONNECTED)


def test_an_older_server_is_unsupported_for_an_hour(tmp_path: Path, server: HintServer) -> None:
    clock = Clock()
    client = signed_in(tmp_path, server)
    harness = Harness(client, clock)
    client.board.subscribe(lambda _status: _notify(harness))
    server.refuse(404)
    harness.listener.start()
    try:
        assert harness.wait_state(HintState.UNSUPPORTED)
        harness.listener.sync_done(ok=True)  # a poke alone doesn't ask again
        assert harness.wait_state(HintState.UNSUPPORTED)
        assert len(server.requests) == 1
        server.stream(READY)
        clock.now += UNSUPPORTED_RETRY_S
        harness.listener.sync_done(ok=True)
        assert harness.wait_state(HintState.CONNECTED)
        assert len(server.requests) == 2
    finally:
        harness.listener.stop()
        client.close()


def test_hints_off_on_the_server_waits_for_a_sync(harness: Harness, server: HintServer) -> None:
    server.refuse(503, "hints_off")
    harness.listener.start()
    assert harness.wait_off_until_sync()
    harness.listener.sync_done(ok=False)  # a failed sync changes nothing
    assert harness.wait_off_until_sync()
    assert len(server.requests) == 1
    server.stream(READY)
    harness.listener.sync_done(ok=True)
    assert harness.wait_state(HintState.CONNECTED)


def test_signed_out_waits_for_a_successful_sync(harness: Harness, server: HintServer) -> None:
    server.refuse(401, "unauthorized")
    harness.listener.start()
    assert harness.wait_off_until_sync()
    assert len(server.requests) == 1
    server.stream(READY)
    harness.listener.sync_done(ok=True)
    assert harness.wait_state(HintState.CONNECTED)
    assert len(server.requests) == 2


def test_busy_server_is_asked_again_after_retry_after(harness: Harness, server: HintServer) -> None:
    server.refuse(503, "unavailable", **{"Retry-After": "0"})
    server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    assert len(server.requests) == 2


def test_disabled_setting_means_no_connection_until_enabled(
    tmp_path: Path, server: HintServer
) -> None:
    client = signed_in(tmp_path, server, enabled=False)
    harness = Harness(client)
    client.board.subscribe(lambda _status: _notify(harness))
    try:
        harness.listener.start()
        harness.listener.sync_done(ok=True)  # still off: nothing to do
        server.stream(READY)
        set_enabled(client, True)
        harness.listener.sync_done(ok=True)
        assert harness.wait_state(HintState.CONNECTED)
        assert len(server.requests) == 1  # none while the setting said off
        set_enabled(client, False)
        harness.listener.sync_done(ok=True)
        assert harness.wait_state(HintState.OFF)
        assert len(server.requests) == 1
    finally:
        harness.listener.stop()
        client.close()


def test_bye_off_syncs_once_and_stays_off(harness: Harness, server: HintServer) -> None:
    answer = server.stream(READY)
    harness.listener.start()
    assert harness.wait_state(HintState.CONNECTED)
    answer.send('event: bye\ndata: {"reason": "off", "reconnect_ms": 0}\n\n')
    answer.end()
    assert harness.wait_hints(1)  # the sync that learns the settings
    assert harness.wait_state(HintState.OFF)
    assert len(server.requests) == 1


# --- the daemon's side --------------------------------------------------------------------


def test_a_hint_wakes_the_daemon_loop_and_makes_the_sync_due(
    tmp_path: Path, server: HintServer
) -> None:
    client = signed_in(tmp_path, server)
    daemon = Daemon(client, hints=False)
    try:
        daemon.start()
        with daemon._plan:
            daemon.scheduler.on_success()  # past the first sync: an interval away
        assert not daemon.wake.is_set()
        daemon.hint(0)
        assert daemon.wake.is_set()
        assert daemon.scheduler.due_in() == 0.0
    finally:
        client.close()


@pytest.mark.parametrize(("value", "scale"), [("0.05", 0.05), ("0", 1.0), ("2", 1.0), ("x", 1.0)])
def test_the_interval_scale_for_tests_shortens_the_planned_interval(
    tmp_path: Path, server: HintServer, monkeypatch: pytest.MonkeyPatch, value: str, scale: float
) -> None:
    monkeypatch.setenv(INTERVAL_SCALE_ENV, value)
    client = signed_in(tmp_path, server)
    daemon = Daemon(client, hints=False)
    try:
        daemon.start()
        with daemon._plan:
            daemon.scheduler.on_success()
            due = daemon.scheduler.due_in()
        interval_s = client.settings()[CLIENT_SYNC_INTERVAL] / 1000 * scale
        assert due is not None and 0.89 * interval_s <= due <= interval_s
    finally:
        daemon.stop()
        client.close()


# --- the status --------------------------------------------------------------------------


def test_old_status_files_read_with_hints_off() -> None:
    status = Status.from_json({"state": "idle"})
    assert status.hints == "off" and status.last_hint_at is None


def test_status_round_trip_keeps_the_hint_fields() -> None:
    status = Status.from_json(
        {"hints": "connected", "last_hint_at": "2026-01-02T03:04:05+01:00", "hints_pid": 1}
    )
    again = Status.from_json(json.loads(json.dumps(status.to_json())))
    assert again.hints == "connected" and again.last_hint_at == status.last_hint_at


def test_hints_of_a_process_that_is_gone_read_as_off() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    gone = int(done.stdout)
    assert Status(hints="connected", hints_pid=gone).with_live_hints().hints == "off"
    alive = Status(hints="connected", hints_pid=os.getpid())
    assert alive.with_live_hints().hints == "connected"


def test_a_syncs_fresh_status_keeps_the_listeners_hints(tmp_path: Path, server: HintServer) -> None:
    client = signed_in(tmp_path, server)
    try:
        client.board.update(hints="connected", hints_pid=1)
        client.board.publish(Status())
        assert client.board.status.hints == "connected"
    finally:
        client.close()
