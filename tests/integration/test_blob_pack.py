"""Several files in one answer (``POST /api/v1/blobs/pack``), against a real server: the
frames of protocol/pack.py, who gets which file, the refusals, admission, and a client's
sync that really uses packs."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from docshelf.client.downloads import PACK_FILE_LIMIT
from docshelf.client.remote import Remote
from docshelf.protocol import pack
from support.api import API, Api, LiveServer
from support.sync import client_for, make_template, sync

MiB = 1024 * 1024
PROBLEM = "application/problem+json"


def _docx_like(size: int) -> bytes:
    """Random bytes that pass as a docx (only the first bytes are checked)."""
    return b"PK\x03\x04" + secrets.token_bytes(size - 4)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _unknown_sha() -> str:
    return _sha(secrets.token_bytes(32))


def _frames(api: Api, hashes: list[str]) -> list[tuple[str, bytes | None]]:
    """The pack answer to ``hashes``, read as the client reads it."""
    with api.http.stream("POST", "/blobs/pack", json={"files": hashes}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == pack.MEDIA_TYPE
        return [
            (frame.sha256, None if frame.size is None else b"".join(frame.chunks))
            for frame in pack.read_frames(response.iter_bytes())
        ]


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    if status != 503:  # admission refuses before the request gets an id into its answer
        assert body["request_id"] == response.headers["x-request-id"]
    return body


@dataclass
class Files:
    reader: Api  # may use the templates below
    outsider: Api  # a plain user who may not
    data: dict[str, bytes]  # sha -> bytes, the reader's files
    big_sha: str  # over a few of the server's 1 MiB reads
    hidden_sha: str  # only in a template still in test: plain users don't see it
    hidden: bytes


@pytest.fixture(scope="module")
def files(live: LiveServer) -> Files:
    reader, me = live.new_user()
    outsider, _ = live.new_user()
    use = [f"user:{me['id']}"]
    tag = secrets.token_hex(3)
    contents = [_docx_like(size) for size in (5000, 17, 64 * 1024, 3 * MiB + 17, 123_456)]
    for i, data in enumerate(contents):
        make_template(live, f"Pack {tag} {i}", use=use, data=data)
    hidden = _docx_like(700)
    make_template(live, f"Hidden {tag}", status="in_test", data=hidden)
    data = {_sha(d): d for d in contents}
    return Files(reader, outsider, data, _sha(contents[3]), _sha(hidden), hidden)


# --- the answer -------------------------------------------------------------------------------


def test_each_file_comes_whole_in_the_order_asked(files: Files) -> None:
    wanted = sorted(files.data)
    for order in (wanted, wanted[::-1], [files.big_sha, *wanted[:2]]):
        assert _frames(files.reader, order) == [(sha, files.data[sha]) for sha in order]


def test_a_pack_announces_its_length(files: Files) -> None:
    """Sent with its length, not chunked: the server then writes each piece as it is (a
    chunked answer costs a copy of every byte to frame it)."""
    hidden_and_shown = [files.hidden_sha, *sorted(files.data)]
    with files.reader.http.stream("POST", "/blobs/pack", json={"files": hidden_and_shown}) as r:
        body = r.read()
        assert r.headers.get("transfer-encoding") is None
        assert int(r.headers["content-length"]) == len(body)
    expected = pack.header(files.hidden_sha, None) + b"".join(
        pack.header(sha, len(files.data[sha])) + files.data[sha] for sha in sorted(files.data)
    )
    assert body == expected


def test_one_file_in_a_pack(files: Files) -> None:
    for sha, data in files.data.items():
        assert _frames(files.reader, [sha]) == [(sha, data)]


def test_files_the_caller_may_not_see_and_unknown_ones_are_not_served(files: Files) -> None:
    small = min(files.data, key=lambda sha: len(files.data[sha]))
    unknown = _unknown_sha()
    asked = [small, files.hidden_sha, unknown, files.big_sha]
    assert _frames(files.reader, asked) == [
        (small, files.data[small]),
        (files.hidden_sha, None),  # a template still in test
        (unknown, None),
        (files.big_sha, files.data[files.big_sha]),
    ]
    # Another user's files: none served.
    assert _frames(files.outsider, asked) == [(sha, None) for sha in asked]


def test_a_pack_serves_what_a_single_download_serves(live: LiveServer, files: Files) -> None:
    asked = [*sorted(files.data), files.hidden_sha, _unknown_sha()]
    for api in (files.reader, files.outsider, live.admin):
        frames = dict(_frames(api, asked))
        for sha in asked:
            single = api.get(f"/blobs/{sha}")
            assert single.status_code in (200, 404), single.text
            served = frames[sha]
            if single.status_code == 200:
                assert served == single.content
            else:
                assert served is None


def test_not_served_looks_the_same_for_hidden_and_missing_files(files: Files) -> None:
    unknown = _unknown_sha()
    with files.outsider.http.stream(
        "POST", "/blobs/pack", json={"files": [files.hidden_sha, unknown]}
    ) as response:
        body = response.read()
    assert body == pack.header(files.hidden_sha, None) + pack.header(unknown, None)


def test_a_system_administrator_is_served_every_stored_file(live: LiveServer, files: Files) -> None:
    asked = [files.hidden_sha, *sorted(files.data)]
    expected = {**files.data, files.hidden_sha: files.hidden}
    assert _frames(live.admin, asked) == [(sha, expected[sha]) for sha in asked]


def test_an_empty_file_is_a_frame_of_no_bytes(live: LiveServer, files: Files) -> None:
    empty = _sha(b"")
    uploaded = live.admin.put(f"/blobs/{empty}", content=b"")
    if not uploaded.is_success:
        pytest.skip(f"the server refuses empty files ({uploaded.status_code})")
    small = min(files.data, key=lambda sha: len(files.data[sha]))
    asked = [empty, small, empty]
    assert _frames(live.admin, asked) == [(empty, b""), (small, files.data[small]), (empty, b"")]


def test_the_client_s_remote_reads_the_pack(live: LiveServer, files: Files) -> None:
    remote = Remote(live.url, files.reader.token)
    try:
        asked = [files.big_sha, files.hidden_sha, *sorted(files.data)]
        with remote.fetch_pack(asked) as frames:
            got = [
                (frame.sha256, None if frame.size is None else b"".join(frame.chunks))
                for frame in frames
            ]
    finally:
        remote.close()
    assert got == [(sha, files.data.get(sha)) for sha in asked]


# --- refusals -------------------------------------------------------------------------------


def test_without_a_valid_token_a_pack_is_401(live: LiveServer, files: Files) -> None:
    signed_out, _ = live.new_user()
    signed_out.ok("POST", "/auth/logout")
    tokens = {
        "none": {},
        "unknown": {"Authorization": "Bearer not-a-token"},
        "revoked": {"Authorization": f"Bearer {signed_out.token}"},
    }
    anonymous = live.anonymous()
    for name, auth in tokens.items():
        response = anonymous.post("/blobs/pack", json={"files": sorted(files.data)}, headers=auth)
        body = _problem(response, 401)
        assert body["code"] == "signed_out", name
        assert not any(data in response.content for data in files.data.values())


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"files": [_sha(str(i).encode()) for i in range(257)]}, id="257-files"),
        pytest.param({"files": ["NOT-A-HASH"]}, id="bad-sha"),
        pytest.param({"files": ["A" * 64]}, id="upper-case-sha"),
        pytest.param({"files": ["0" * 63]}, id="short-sha"),
        pytest.param({"files": []}, id="no-files"),
        pytest.param({}, id="no-list"),
        pytest.param({"files": [_sha(b"x")], "more": 1}, id="unknown-field"),
    ],
)
def test_a_malformed_request_is_a_422_problem(files: Files, body: dict[str, object]) -> None:
    response = files.reader.post("/blobs/pack", json=body)
    assert _problem(response, 422)["code"] == "invalid"


def test_256_files_are_the_most_a_pack_takes(files: Files) -> None:
    asked = [*sorted(files.data), *[_unknown_sha() for _ in range(256 - len(files.data))]]
    frames = _frames(files.reader, asked)
    assert [sha for sha, _ in frames] == asked
    assert sum(1 for _, data in frames if data is not None) == len(files.data)


def test_only_post_is_a_pack(files: Files) -> None:
    # GET /blobs/pack would download a file named "pack": not a hash.
    response = files.reader.get("/blobs/pack")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


# --- admission: a pack is a heavy request ----------------------------------------------------


def _until_admitted(request: Callable[[], httpx.Response], seconds: float = 60) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        response = request()
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def test_a_pack_needs_a_heavy_slot_and_holds_it(one_slot: LiveServer) -> None:
    live = one_slot
    # Larger than loopback's socket buffers: the server can't finish sending it while the
    # reader waits, so the download keeps its slot.
    big = _docx_like(64 * MiB)
    big_sha = live.admin.upload(big)
    small = _docx_like(3000)
    small_sha = live.admin.upload(small)
    assert _frames(live.admin, [small_sha]) == [(small_sha, small)]

    # Held by another device: one device alone may not take every slot (it would get
    # 429), the cap applies to everybody's requests together.
    auth = {"Authorization": f"Bearer {live.login('root').token}"}
    holder = httpx.Client(base_url=live.url + API, timeout=30, trust_env=False)
    try:
        held_requests = [
            ("GET", f"/blobs/{big_sha}", None),
            ("POST", "/blobs/pack", {"files": [big_sha, small_sha]}),
        ]
        for method, path, body in held_requests:
            with holder.stream(method, path, headers=auth, json=body) as held:
                assert held.status_code == 200
                # Keep the iterator: collected, it would close the connection early.
                chunks = held.iter_bytes(64 * 1024)
                assert 0 < len(next(chunks)) < len(big)
                refused = live.admin.post("/blobs/pack", json={"files": [small_sha]})
                assert _problem(refused, 503)["code"] == "unavailable"
                assert 2 <= int(refused.headers["Retry-After"]) <= 10
                # And a held pack keeps a plain download out as well.
                assert live.admin.get(f"/blobs/{small_sha}").status_code == 503
                del chunks
            # Closed with most of it unread: the server sees the client go away.
            admitted = _until_admitted(
                lambda: live.admin.post("/blobs/pack", json={"files": [small_sha]})
            )
            assert admitted.status_code == 200, admitted.text
            assert pack.header(small_sha, len(small)) + small == admitted.content
    finally:
        holder.close()
    log = live.process.log_text(current_run_only=True)
    assert "Traceback" not in log, log[-4000:]


# --- a client's sync ---------------------------------------------------------------------------


class Calls:
    """The client's requests for files, counted where the engine makes them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.packs: list[list[str]] = []
        self.single: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        fetch_pack, fetch_file = Remote.fetch_pack, Remote.fetch_file

        def counted_pack(
            remote: Remote, hashes: list[str]
        ) -> AbstractContextManager[Iterator[pack.Frame]]:
            with self._lock:
                self.packs.append(list(hashes))
            return fetch_pack(remote, hashes)

        def counted_file(
            remote: Remote, sha256: str, offset: int = 0
        ) -> AbstractContextManager[Iterator[bytes]]:
            with self._lock:
                self.single.append((sha256, offset))
            return fetch_file(remote, sha256, offset)

        monkeypatch.setattr(Remote, "fetch_pack", counted_pack)
        monkeypatch.setattr(Remote, "fetch_file", counted_file)


def _request_log(live: LiveServer, start: int) -> list[dict[str, object]]:
    path = live.process.data_dir / "logs" / "server.log"
    with path.open("rb") as log:
        log.seek(start)
        lines = log.read().decode(errors="replace").splitlines()
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "request":
            entries.append(entry)
    return entries


def _log_size(live: LiveServer) -> int:
    path = live.process.data_dir / "logs" / "server.log"
    return path.stat().st_size if path.exists() else 0


def _logged_downloads(
    live: LiveServer, start: int, packs: int, single: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The pack requests and single downloads in the server's log since ``start``. Each
    line is written once its answer is sent, on a thread of its own: waited for."""
    deadline = time.monotonic() + 10
    while True:
        entries = _request_log(live, start)
        logged_packs = [
            e for e in entries if e.get("path") == f"{API}/blobs/pack" and e.get("method") == "POST"
        ]
        logged_single = [
            e
            for e in entries
            if e.get("method") == "GET" and str(e.get("path", "")).startswith(f"{API}/blobs/")
        ]
        done = len(logged_packs) >= packs and len(logged_single) >= single
        if done or time.monotonic() > deadline:
            return logged_packs, logged_single
        time.sleep(0.05)


@pytest.mark.parametrize("page_size", [500, 7])
def test_a_client_sync_downloads_small_files_in_packs(
    live: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_size: int
) -> None:
    _, user = live.new_user()
    use = [f"user:{user['id']}"]
    tag = secrets.token_hex(3)
    small = [_docx_like(1000 + 997 * i) for i in range(24)]
    big = _docx_like(PACK_FILE_LIMIT + 100)  # too large for a pack: alone
    for i, data in enumerate([*small, big]):
        make_template(live, f"Sync {tag} {i}", use=use, data=data)
    expected = {_sha(data): data for data in [*small, big]}
    small_shas = {_sha(data) for data in small}

    calls = Calls(monkeypatch)
    start = _log_size(live)
    client = client_for(live, tmp_path / "client", user["login"], page_size=page_size)
    result = sync(client)

    for sha, data in expected.items():
        assert client.files.has(sha), sha
        assert client.files.path(sha).read_bytes() == data
        assert client.files.partial_size(sha) == 0
    assert result.bytes == sum(len(data) for data in expected.values())
    assert result.files == len(expected)

    packed = [sha for asked in calls.packs for sha in asked]
    alone = [sha for sha, _ in calls.single]
    # Each file asked for once, in a pack or alone; the large one alone.
    assert sorted(packed + alone) == sorted(expected)
    assert _sha(big) in alone and _sha(big) not in packed
    assert calls.packs, "no pack asked for"
    assert len(calls.packs) + len(calls.single) <= len(expected) // 3
    if page_size == 500:
        # All on one page: the small files in one pack.
        assert [sorted(asked) for asked in calls.packs] == [sorted(small_shas)]
        assert alone == [_sha(big)]

    # And the server's log says so too.
    logged_packs, logged_single = _logged_downloads(
        live, start, len(calls.packs), len(calls.single)
    )
    assert len(logged_packs) == len(calls.packs)
    assert all(entry["status"] == 200 for entry in logged_packs)
    assert sorted(str(e["path"]) for e in logged_single) == sorted(
        f"{API}/blobs/{sha}" for sha in alone
    )

    # A second sync asks for nothing.
    calls.packs.clear()
    calls.single.clear()
    again = sync(client)
    assert again.bytes == 0
    assert calls.packs == [] and calls.single == []
