"""``/metrics`` scraped from a real server process after real requests (issue #14).

Each test reads the metrics before and after what it does and compares: the module's
server is shared, so absolute values depend on the tests before.
"""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.api import API, FAST_HASHING, LiveServer, start_live
from support.hints import HintReader, drain
from support.server import MakeServer

MiB = 1024 * 1024
DEADLINE_S = 60.0  # generous: the events come at once on a healthy server
POLL = f"{API}/sync/changes"
DOWNLOAD = f"{API}/blobs/{{sha256}}"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{url}/metrics", headers=headers, trust_env=False, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_of(samples: Samples, route: str, method: str, status: int) -> float:
    labels = {"route": route, "method": method, "status": str(status)}
    return value(samples, "docshelf_http_requests_total", **labels)


def wait_for(url: str, check: Callable[[Samples], bool]) -> Samples:
    """The first scrape within the deadline that passes ``check`` (gauges follow events
    on the server's event loop)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        samples = scrape(url)
        if check(samples):
            return samples
        assert time.monotonic() < deadline, "the metrics did not get there in time"
        time.sleep(0.05)


# --- requests, polls, files ---------------------------------------------------------------


def test_a_poll_is_counted_under_its_route_template_and_timed_as_quick(live: LiveServer) -> None:
    user, _record = live.new_user()
    cursor = drain(user)
    before = scrape(live.url)
    for _ in range(3):
        assert user.get("/sync/changes", params={"cursor": cursor}).status_code == 200
    after = scrape(live.url)
    assert requests_of(after, POLL, "GET", 200) - requests_of(before, POLL, "GET", 200) == 3
    count = "docshelf_poll_duration_seconds_count"
    # An up-to-date poll within the minute is answered before routing (api/quick_poll.py).
    assert value(after, count, answer="quick") - value(before, count, answer="quick") == 3
    # The raw path with its query never becomes a label.
    assert not any("cursor" in str(labels) for _name, labels in after)


def test_a_404_is_counted_under_its_status_and_template(live: LiveServer) -> None:
    before = scrape(live.url)
    unknown = live.admin.get(f"/admin/templates/{secrets.token_hex(8)}")
    assert unknown.status_code == 404
    nowhere = live.admin.get(f"/no/such/{secrets.token_hex(8)}")
    assert nowhere.status_code == 404
    after = scrape(live.url)
    template = f"{API}/admin/templates/{{template_id}}"
    assert requests_of(after, template, "GET", 404) - requests_of(before, template, "GET", 404) == 1
    assert requests_of(after, "other", "GET", 404) - requests_of(before, "other", "GET", 404) == 1
    # Neither random id is a label of its own.
    assert not any(secrets_in(labels) for _name, labels in after)


def secrets_in(labels: frozenset[tuple[str, str]]) -> bool:
    return any(value.startswith(("/no/such/",)) for _key, value in labels)


def test_a_download_counts_its_bytes(live: LiveServer) -> None:
    data = b"PK\x03\x04" + secrets.token_bytes(3000)
    sha = live.admin.upload(data)
    before = scrape(live.url)
    whole = live.admin.get(f"/blobs/{sha}")
    assert whole.content == data
    part = live.admin.get(f"/blobs/{sha}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    after = scrape(live.url)
    sent = "docshelf_file_bytes_sent_total"
    assert (
        value(after, sent, route=DOWNLOAD) - value(before, sent, route=DOWNLOAD) == len(data) + 100
    )
    assert requests_of(after, DOWNLOAD, "GET", 206) - requests_of(before, DOWNLOAD, "GET", 206) == 1


def test_a_failing_file_store_is_counted(live: LiveServer) -> None:
    sha = live.admin.upload(secrets.token_bytes(5000))
    stored = next(path for path in (live.data_dir / "blobs").rglob(sha))
    # A file the store can't read (a link to itself: ELOOP), an OSError as from a broken
    # disk or mount.
    stored.unlink()
    stored.symlink_to(stored.name)
    try:
        before = scrape(live.url)
        failed = live.admin.get(f"/blobs/{sha}")
        assert failed.status_code == 500
        after = scrape(live.url)
    finally:
        stored.unlink()
    errors = "docshelf_blob_store_errors_total"
    assert value(after, errors, route=DOWNLOAD) - value(before, errors, route=DOWNLOAD) == 1
    # A file that is merely unknown is the caller's problem, not the store's.
    assert live.admin.get(f"/blobs/{'0' * 64}").status_code == 404
    assert value(scrape(live.url), errors, route=DOWNLOAD) == value(after, errors, route=DOWNLOAD)


def test_the_newest_change_and_the_pool_are_reported(live: LiveServer) -> None:
    live.new_user()  # a change
    samples = wait_for(live.url, lambda s: value(s, "docshelf_newest_change") > 0)
    user, _ = live.new_user()
    # The change number grows with the change just made.
    wait_for(
        live.url,
        lambda s: value(s, "docshelf_newest_change") > value(samples, "docshelf_newest_change"),
    )
    assert user.get("/me").status_code == 200
    samples = scrape(live.url)
    assert value(samples, "docshelf_db_pool_limit") >= 1
    # No request holds a connection while the scrape is answered.
    assert value(samples, "docshelf_db_pool_checked_out") == 0


# --- held hint streams --------------------------------------------------------------------


def test_a_held_hint_stream_is_counted_while_held_and_not_after(live: LiveServer) -> None:
    user, _record = live.new_user()
    cursor = drain(user)
    base = value(scrape(live.url), "docshelf_hint_streams")
    reader = HintReader(live.url, user.token or "", cursor)
    try:
        assert reader.response.status_code == 200
        wait_for(live.url, lambda s: value(s, "docshelf_hint_streams") == base + 1)
    finally:
        reader.close()
    wait_for(live.url, lambda s: value(s, "docshelf_hint_streams") == base)


# --- admission ----------------------------------------------------------------------------


@pytest.fixture
def four_slots(make_server: MakeServer) -> Iterator[LiveServer]:
    """Four heavy-request slots, so one device holds at most one (a quarter)."""
    server = make_server(None, env={**FAST_HASHING, "DOCSHELF_MAX_HEAVY_REQUESTS": "4"})
    live = start_live(server)
    try:
        yield live
    finally:
        live.close()


def test_slots_in_use_and_refusals_are_counted(one_slot: LiveServer) -> None:
    live = one_slot
    # Larger than loopback's socket buffers: the server can't finish sending it while the
    # reader waits, so the download keeps its slot (as in test_slow_clients.py).
    big = b"PK\x03\x04" + secrets.token_bytes(64 * MiB)
    sha = live.admin.upload(big)
    holder = live.login("root", device="holder")
    other = live.login("root", device="other")
    before = scrape(live.url)
    assert value(before, "docshelf_heavy_requests_limit") == 1
    assert value(before, "docshelf_heavy_requests_in_use") == 0
    auth = {"Authorization": f"Bearer {holder.token}"}
    http = httpx.Client(base_url=live.url + API, timeout=30, trust_env=False)
    with http, http.stream("GET", f"/blobs/{sha}", headers=auth) as held:
        chunks = held.iter_bytes(64 * 1024)
        assert 0 < len(next(chunks)) < len(big)
        during = scrape(live.url)
        assert value(during, "docshelf_heavy_requests_in_use") == 1
        # The slot is taken: another device's initial sync is refused (503) ...
        assert other.get("/sync/changes").status_code == 503
        # ... and the holder's own second one too, by its share (429).
        assert holder.get("/sync/changes").status_code == 429
        refused = scrape(live.url)
        del chunks
    name = "docshelf_heavy_requests_refused_total"
    assert value(refused, name, reason="busy") - value(before, name, reason="busy") == 1
    assert value(refused, name, reason="device") - value(before, name, reason="device") == 1
    assert requests_of(refused, POLL, "GET", 503) - requests_of(before, POLL, "GET", 503) == 1
    wait_for(live.url, lambda s: value(s, "docshelf_heavy_requests_in_use") == 0)


# --- who may scrape -----------------------------------------------------------------------


def test_a_configured_token_is_required(make_server: MakeServer) -> None:
    token = secrets.token_urlsafe(16)
    server = make_server(None, env={**FAST_HASHING, "DOCSHELF_METRICS_TOKEN": token})
    plain = httpx.get(f"{server.url}/metrics", trust_env=False, timeout=30)
    assert plain.status_code == 401
    assert plain.headers["content-type"] == "application/problem+json"
    assert "DOCSHELF_METRICS_TOKEN" in plain.json()["detail"]
    wrong = httpx.get(
        f"{server.url}/metrics", headers={"Authorization": "Bearer nope"}, trust_env=False
    )
    assert wrong.status_code == 401
    samples = scrape(server.url, token)
    assert requests_of(samples, "/metrics", "GET", 401) == 2


def test_loopback_is_refused_when_only_other_networks_may_scrape(make_server: MakeServer) -> None:
    server = make_server(None, env=FAST_HASHING, extra_args=["--metrics-networks", "10.0.0.0/8"])
    refused = httpx.get(f"{server.url}/metrics", trust_env=False, timeout=30)
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"


# --- several processes, one directory -----------------------------------------------------


@pytest.mark.postgres
def test_multiprocess_mode_adds_up_every_process(
    make_server: MakeServer, pg_cluster: object, tmp_path: Path
) -> None:
    from support.postgres import PostgresCluster

    assert isinstance(pg_cluster, PostgresCluster)
    url = pg_cluster.create_database(f"docshelf_metrics_{secrets.token_hex(6)}")
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**FAST_HASHING, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    try:
        first = start_live(make_server(url, env=env))
        second = make_server(url, env=env)
        user, _ = first.new_user()
        cursor = drain(user)
        for _ in range(4):
            assert user.get("/sync/changes", params={"cursor": cursor}).status_code == 200
        # Polls the first process answered, scraped from the second.
        samples = scrape(second.url)
        assert requests_of(samples, POLL, "GET", 200) >= 5
        reader = HintReader(first.url, user.token or "", cursor)
        try:
            wait_for(second.url, lambda s: value(s, "docshelf_hint_streams") == 1)
        finally:
            reader.close()
        # Both processes' limits, added up.
        assert value(scrape(second.url), "docshelf_heavy_requests_limit") == 32
        first.close()
        first.process.stop()
        # A stopped process's live gauges are gone; its counters stay.
        after = scrape(second.url)
        assert value(after, "docshelf_heavy_requests_limit") == 16
        assert requests_of(after, POLL, "GET", 200) >= 5
        second.stop()
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        pg_cluster.drop_database(url.rsplit("/", 1)[1])
