"""The summary's change-hint figures over real server processes, SQLite and PostgreSQL:
held hint connections added up across processes, and how far and how fast the newest
change spread to the clients that may see it."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from docshelf.protocol.cursor import Cursor
from support.api import API, FAST_HASHING, PASSWORD, Api, LiveServer, start_live
from support.server import MakeServer
from support.sync import make_template

DEADLINE = 60.0
# Small, so the test doesn't wait for the regular report; the page is polled anyway.
REPORTING = {**FAST_HASHING, "DOCSHELF_HINT_REPORT_SECONDS": "0.2"}
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class Summary:
    """A signed-in dashboard session reading the summary page."""

    def __init__(self, base_url: str, login: str) -> None:
        self.http = httpx.Client(base_url=base_url, trust_env=False, timeout=60)
        form = self.http.get("/dashboard/login")
        found = CSRF_RE.search(form.text)
        assert found, "the sign-in form has no form token"
        answer = self.http.post(
            "/dashboard/login",
            data={"csrf": found.group(1), "login": login, "password": PASSWORD},
        )
        assert answer.status_code == 303, answer.text

    def html(self) -> str:
        page = self.http.get("/dashboard", headers={"Accept-Language": "en"})
        assert page.status_code == 200, page.text
        return page.text

    def value(self, attribute: str, html: str | None = None) -> str | None:
        found = re.search(rf'{attribute}="([^"]*)"', html if html is not None else self.html())
        return found.group(1) if found else None

    def wait_for(self, attribute: str, expected: str) -> str:
        """Poll the page until ``attribute`` has ``expected``; returns that page."""
        deadline = time.monotonic() + DEADLINE
        while True:
            html = self.html()
            if self.value(attribute, html) == expected:
                return html
            assert time.monotonic() < deadline, (attribute, self.value(attribute, html))
            time.sleep(0.1)

    def close(self) -> None:
        self.http.close()


@contextmanager
def held_stream(base_url: str, api: Api, cursor: str) -> Iterator[None]:
    """Hold the device's hint stream (plain httpx) from its ``ready`` event until the end."""
    assert api.token is not None
    with (
        httpx.Client(
            base_url=base_url + API,
            headers={"Authorization": f"Bearer {api.token}", "Accept": "text/event-stream"},
            timeout=httpx.Timeout(DEADLINE),
            trust_env=False,
        ) as http,
        http.stream("GET", "/sync/hints", params={"cursor": cursor}) as response,
    ):
        assert response.status_code == 200
        # Kept while the stream is held: a dropped line iterator would close the response.
        lines = response.iter_lines()
        while next(lines).strip() != "event: ready":
            pass
        yield


def drain(api: Api, cursor: str | None = None) -> str:
    """Sync to the end; returns the up-to-date cursor."""
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = api.ok("GET", "/sync/changes", params=params)
        cursor = page["cursor"]
        if not page["has_more"]:
            return str(cursor)


def _started(make_server: MakeServer, database_url: str | None) -> Callable[[], LiveServer]:
    def start() -> LiveServer:
        return start_live(make_server(database_url, env=REPORTING))

    return start


def test_summary_adds_up_held_connections_and_shows_the_spread_of_the_newest_change(
    database_url: str | None, make_server: MakeServer
) -> None:
    live = _started(make_server, database_url)()
    # A second process on the same database (and, for SQLite, the same data dir).
    data_dir: Path = live.process.data_dir
    other = make_server(database_url, data_dir=data_dir, env=REPORTING)
    summary = Summary(live.url, "root")
    try:
        anna, _ = live.new_user(login_name=f"anna{secrets.token_hex(3)}")
        cursor = drain(anna)
        summary.wait_for("data-processes", "2")
        # Anna's client holds its stream on the other process: the summary adds it up.
        with held_stream(other.url, anna, cursor):
            html = summary.wait_for("data-held", "1")
            assert summary.value("data-processes", html) == "2"

            make_template(live, "Spread", use=["*"])
            seq = Cursor.decode(drain(live.admin)).seq
            # The administrator's client has it, anna's not yet: half of them.
            html = summary.html()
            assert summary.value("data-seq", html) == str(seq)
            assert summary.value("data-spread", html) == "1/2"
            assert 'data-took="50" data-reached="yes"' in html
            assert 'data-took="95" data-reached="no"' in html

            assert Cursor.decode(drain(anna, cursor)).seq == seq
            html = summary.html()
            assert summary.value("data-spread", html) == "2/2"
            assert summary.value("data-percent", html) == "100"
            took = re.findall(r'data-took="(\d+)" data-reached="yes">([^<]+)<', html)
            assert [share for share, _ in took] == ["50", "95"]
            assert all(re.fullmatch(r"\d+\.\d s|\d+ s|\d+ min( \d+ s)?", text) for _, text in took)
        summary.wait_for("data-held", "0")
        # A process that stops takes its row along, without waiting for it to go stale.
        other.stop()
        html = summary.wait_for("data-processes", "1")
        assert summary.value("data-held", html) == "0"
    finally:
        summary.close()
        live.close()
