"""Property 4: killed at any instant, a client resumes from its last committed page.

A real `docshelf sync` process is SIGKILLed again and again during a large initial
sync. Each run must continue where the last one committed — never re-fetching
committed pages, resuming a half-downloaded file by HTTP Range — and end
byte-identical to a clean sync.

The kills are placed by a proxy in front of the server, not by a timer: each run gets a
few pages of the feed and is held at the next, so the number of kills and where they
land do not depend on how fast the machine is.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from corpus import BENCH_PASSWORD, BENCH_USER, CorpusSpec, build

from docshelf.client.app import Client
from docshelf.client.paths import Home
from docshelf.client.read_ahead import pages_ahead
from docshelf.protocol.cursor import Cursor
from support.proxy import Hold, HoldingProxy, holding_proxy
from support.server import ServerProcess
from support.sync import View, client_view

PAGE = 40
KILLS = 6
# Generous: only a stuck sync takes this long, never a slow machine.
DEADLINE = 60.0
SPEC = CorpusSpec(records=900, files=10, min_file=300_000, max_file=1_200_000, seed=7)


def _cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "docshelf", "--home", str(home), *args]


def _env() -> dict[str, str]:
    return {**os.environ, "DOCSHELF_SYNC_PAGE_SIZE": str(PAGE)}


def _requests(server: ServerProcess, path_part: str) -> list[dict[str, object]]:
    log = server.data_dir / "logs" / "server.log"
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [e for e in entries if e.get("event") == "request" and path_part in str(e["path"])]


def _position(home: Path) -> tuple[int, int, str]:
    """The committed cursor as (seq, kind, item): the order the feed walks in."""
    # A generous busy timeout: the sync being watched may be writing just then.
    db = sqlite3.connect(home / "cache.db", timeout=DEADLINE)
    try:
        row = db.execute("SELECT value FROM state WHERE key = 'cursor'").fetchone()
    finally:
        db.close()
    if row is None:
        return (0, -1, "")
    cursor = Cursor.decode(row[0])
    return (cursor.seq, -1 if cursor.kind is None else cursor.kind, cursor.item or "")


def _plant_half_download(reference: Client, home: Path) -> str:
    """Leave the first half of one file in the victim's partial folder, exactly as a download
    killed half-way leaves it (a random kill can't be sure to hit a download on loopback)."""
    sha = sorted(reference.store.referenced_files(set()))[0]
    data = reference.files.path(sha).read_bytes()
    partial = home / "files" / ".partial"
    partial.mkdir(parents=True, exist_ok=True)
    (partial / f"{sha}.part").write_bytes(data[: len(data) // 2])
    return sha


def _wait_for(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the sync ended before {what}: {out.decode()} {err.decode()}")
        assert time.monotonic() < deadline, f"no {what} within {DEADLINE:g} s"
        time.sleep(0.02)


def _killed_run(home: Path, proxy: HoldingProxy, pages: int, committed: bool) -> None:
    """One `docshelf sync` that gets ``pages`` pages of the feed and is held at the next.

    It is killed as soon as it is held (the engine may be anywhere in the pages it has), or,
    with ``committed``, once it has stored at least one page more than before.
    """
    before = _position(home)
    proxy.hold_after(pages)
    process = subprocess.Popen(
        _cli(home, "sync", "--json"), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        _wait_for(proxy.held.is_set, "a held page request", process)
        if committed:
            _wait_for(lambda: _position(home) > before, "a committed page", process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate()


def test_killed_sync_resumes_and_ends_identical(tmp_path: Path, database_url: str | None) -> None:
    data_dir = tmp_path / "server"
    build(data_dir, SPEC, database_url)
    server = ServerProcess(data_dir, database_url)
    server.start()
    try:
        reference = Client(Home(tmp_path / "reference"), page_size=PAGE)
        reference.login(server.url, BENCH_USER, BENCH_PASSWORD)
        before = len(_requests(server, "/sync/changes"))
        assert reference.sync().status == "ok"
        clean_pages = len(_requests(server, "/sync/changes")) - before
        expected: View = client_view(reference)
        assert clean_pages > 10, "the corpus must span many pages"

        home = tmp_path / "victim"
        port = urlparse(server.url).port
        assert port is not None
        with holding_proxy(port, b"/sync/changes") as proxy:
            login = subprocess.run(
                _cli(
                    home, "login", "--server", proxy.url, "--user", BENCH_USER, "--password-stdin"
                ),
                input=BENCH_PASSWORD + "\n",
                text=True,
                capture_output=True,
                env=_env(),
                check=False,
            )
            assert login.returncode == 0, login.stderr
            start = len(_requests(server, "/sync/changes"))
            resumed_sha = _plant_half_download(reference, home)
            rnd = random.Random(11)
            positions = [_position(home)]
            for kill in range(KILLS):
                # Every other run is killed only after it committed, so the kills walk
                # through the whole feed; the others land wherever the engine is.
                _killed_run(home, proxy, rnd.randint(1, 3), committed=kill % 2 == 1)
                positions.append(_position(home))
                assert positions[-1] >= positions[-2], f"cursor went backwards: {positions}"
            assert positions[-1] > positions[0], f"no run got anywhere: {positions}"
            proxy.hold_after(0, Hold.NOTHING)
            finished = subprocess.run(
                _cli(home, "sync", "--json"), env=_env(), capture_output=True, timeout=300
            )
            assert finished.returncode == 0, f"sync failed: {finished.stdout!r}{finished.stderr!r}"
        victim = Client(Home(home), page_size=PAGE)
        assert client_view(victim) == expected
        for sha in victim.store.referenced_files(set()):
            assert victim.files.path(sha).read_bytes() == reference.files.path(sha).read_bytes()
        # Each kill may cost the pages on their way - the one being stored, the next one
        # planned with its files queued, those read ahead (at most pages_ahead(PAGE) waiting and
        # one being read) - never a committed one (the position above never went back).
        pages = len(_requests(server, "/sync/changes")) - start
        on_their_way = pages_ahead(PAGE) + 3
        assert pages <= clean_pages + on_their_way * KILLS + 1, (pages, clean_pages)
        resumed = [e for e in _requests(server, f"/blobs/{resumed_sha}") if e["status"] == 206]
        assert resumed, "the interrupted download was not resumed with a Range request"
        # A complete sync afterwards finds nothing to do.
        assert victim.sync().downloaded == 0
    finally:
        server.stop()
