"""Slow and unauthenticated clients must not hold what signed-in clients need (issue #12).

Raw sockets play the attackers: they send a request's headers and part of its body, then
hold still. Signed-in clients are the real sync client or plain HTTP.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from docshelf.client.app import Client
from docshelf.client.paths import Home
from docshelf.server.demo.files import docx_bytes
from support.api import API, FAST_HASHING, PASSWORD, LiveServer, start_live
from support.server import MakeServer
from support.sync import make_template

MiB = 1024 * 1024
# Generous: waiting on an event that comes at once on a healthy server.
DEADLINE_S = 30.0


def _raw_request(
    url: str, method: str, path: str, *, headers: dict[str, str], partial_body: bytes
) -> socket.socket:
    """A connection that sent the headers and part of the body, and now holds still."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=DEADLINE_S)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + partial_body)
    return sock


@contextmanager
def _held(sockets: list[socket.socket]) -> Iterator[list[socket.socket]]:
    with ExitStack() as stack:
        for sock in sockets:
            stack.callback(sock.close)
        yield sockets


def _read_response(sock: socket.socket, deadline: float) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer on ``sock`` (the server closes or sends the
    declared length); fails if none comes before ``deadline`` (monotonic)."""
    data = b""
    while b"\r\n\r\n" not in data or not _complete(data):
        left = deadline - time.monotonic()
        assert left > 0, f"no complete answer in time; got {data[:300]!r}"
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            continue
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return len(body) >= int(value)
    return False


def _start(make_server: MakeServer, database_url: str | None, **env: str) -> LiveServer:
    return start_live(make_server(database_url, env={**FAST_HASHING, **env}))


# --- admission only after authentication ---------------------------------------------------


def test_unauthenticated_slow_sockets_take_no_slot_from_signed_in_clients(
    make_server: MakeServer, database_url: str | None, tmp_path: Path
) -> None:
    # Bodies may stall for as long as the test runs: what is tested here is that the
    # sockets never get a slot, not that they are cut off.
    live = _start(
        make_server,
        database_url,
        DOCSHELF_BODY_TIMEOUT_SECONDS="3600",
        DOCSHELF_MIN_BODY_BYTES_PER_SECOND="0",
    )
    files = [docx_bytes(f"Doc {i} {secrets.token_hex(4)}", [f"text {i}"]) for i in range(5)]
    for i, data in enumerate(files):
        make_template(live, f"Slow clients {i}", data=data)
    user, record = live.new_user()

    credentials = [{}] * 10 + [{"Authorization": "Bearer not-a-token"}] * 10
    sockets = [
        _raw_request(
            live.url,
            "POST",
            f"{API}/sync/records",
            headers={
                **extra,
                "Content-Type": "application/json",
                "Content-Length": "100000",
            },
            partial_body=b'{"ids": [',
        )
        for extra in credentials
    ]
    with _held(sockets):
        # Each is turned away at once, without a slot; the socket stays open.
        deadline = time.monotonic() + DEADLINE_S
        answers = []
        for sock in sockets:
            try:
                answers.append(_read_response(sock, deadline))
            except AssertionError as exc:
                answers.append((0, {}, str(exc).encode()))
        # While they are held, a signed-in user's heavy requests are admitted ...
        assert user.get("/sync/changes").status_code == 200
        # ... and a real client's initial sync downloads every file, never turned away.
        statuses: list[int] = []

        def http() -> httpx.Client:
            return httpx.Client(
                timeout=30,
                trust_env=False,
                event_hooks={"response": [lambda r: statuses.append(r.status_code)]},
            )

        client = Client(Home(tmp_path / "client"), http=http)
        client.login(live.url, record["login"], PASSWORD, device_name="desk")
        result = client.sync()
        assert result.status == "ok", result.error
        assert 503 not in statuses and 429 not in statuses, statuses
        for data in files:
            assert client.files.has(hashlib.sha256(data).hexdigest())
        assert [status for status, _, _ in answers] == [401] * len(sockets), answers
        for _, headers, body in answers:
            assert headers["content-type"] == "application/problem+json"
            assert json.loads(body)["code"] == "signed_out"
    log = live.process.log_text(current_run_only=True)
    assert "Traceback" not in log, log[-4000:]
    live.close()


# --- at most a few slots per device --------------------------------------------------------


def test_one_device_holds_at_most_its_share_of_the_slots(
    make_server: MakeServer, database_url: str | None
) -> None:
    # Four slots: a quarter, one, per device.
    live = _start(make_server, database_url, DOCSHELF_MAX_HEAVY_REQUESTS="4")
    # Larger than loopback's socket buffers: the server can't finish sending it while the
    # reader waits, so the download keeps its slot.
    big = b"PK\x03\x04" + secrets.token_bytes(64 * MiB)
    sha = live.admin.upload(big)
    holder = live.login("root", device="holder")
    other = live.login("root", device="other")
    auth = {"Authorization": f"Bearer {holder.token}"}
    http = httpx.Client(base_url=live.url + API, timeout=30, trust_env=False)
    with http, http.stream("GET", f"/blobs/{sha}", headers=auth) as held:
        # Keep the iterator: collected, it would close the connection early.
        chunks = held.iter_bytes(64 * 1024)
        assert 0 < len(next(chunks)) < len(big)
        refused = holder.get("/sync/changes")
        assert refused.status_code == 429, refused.text
        assert refused.json()["code"] == "too_many_requests"
        assert 2 <= int(refused.headers["Retry-After"]) <= 10
        # Another device is admitted: slots are left, the limit is that device's.
        assert other.get("/sync/changes").status_code == 200
        del chunks
    # The download gone, the device is admitted again.
    deadline = time.monotonic() + DEADLINE_S
    while (response := holder.get("/sync/changes")).status_code == 429:
        assert time.monotonic() < deadline, "the slot was not given back"
        time.sleep(0.05)
    assert response.status_code == 200, response.text
    live.close()


# --- request bodies must keep coming -------------------------------------------------------


def test_a_stalled_upload_gets_408_and_frees_its_slot(
    make_server: MakeServer, database_url: str | None
) -> None:
    live = _start(
        make_server,
        database_url,
        DOCSHELF_MAX_HEAVY_REQUESTS="1",
        DOCSHELF_BODY_TIMEOUT_SECONDS="1",
    )
    other = live.login("root", device="other")
    data = b"PK\x03\x04" + secrets.token_bytes(100_000)
    sha = hashlib.sha256(data).hexdigest()
    # Signed in, so admitted: an upload (a heavy request) that stops halfway.
    sock = _raw_request(
        live.url,
        "PUT",
        f"{API}/blobs/{sha}",
        headers={
            "Authorization": f"Bearer {live.admin.token}",
            "Content-Type": "application/octet-stream",
            "Content-Length": str(len(data)),
        },
        partial_body=data[:1000],
    )
    with _held([sock]):
        status, headers, body = _read_response(sock, time.monotonic() + DEADLINE_S)
        assert status == 408, body
        assert headers["content-type"] == "application/problem+json"
        assert headers["connection"] == "close"
        assert json.loads(body)["code"] == "request_timeout"
        # The server closes the connection: the rest of the body can't become a request.
        ready, _, _ = select.select([sock], [], [], DEADLINE_S)
        assert ready and sock.recv(1) == b""
    # The one slot is free again for everybody (at once, or as soon as the route ended).
    deadline = time.monotonic() + DEADLINE_S
    while (response := other.get("/sync/changes")).status_code == 503:
        assert time.monotonic() < deadline, "the stalled upload kept its slot"
        time.sleep(0.05)
    assert response.status_code == 200, response.text
    # Nothing of the broken upload was kept; sent whole, it is.
    assert live.admin.get(f"/blobs/{sha}").status_code == 404
    assert live.admin.upload(data) == sha
    log = live.process.log_text(current_run_only=True)
    assert "Traceback" not in log, log[-4000:]
    live.close()
