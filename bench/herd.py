"""Herd benchmark: change hints to many held clients, and the syncs that follow.

One ``docshelf server`` process (SQLite by default; ``--postgres`` starts a throw-away
PostgreSQL from the installed binaries) and K lightweight simulated clients in this
process. Each client has its own device token and an up-to-date cursor, holds the hint
stream (``GET /sync/hints``) and, on a hint, waits a random 0..``max_delay_ms`` and then
syncs as the real client does: pages of ``/sync/changes`` until the end, then every file
it does not hold yet from ``/blobs/{sha256}``; a 429/503 is honoured (Retry-After plus
jitter). Scenarios:

1. a change visible to one user: which clients sync, and how long until they hold it;
2. a package visible to everyone, imported through the API, with ``ClientHintMaxDelay``
   0 and at its default: time until 50 / 95 / 100 % of the clients hold it, server peak
   CPU and RSS, most heavy requests in flight at once, refusals, failed syncs;
3. the baseline: the same package with hints off and the clients on a compressed
   interval schedule (every client polls once within ``--interval`` seconds).

    .venv/bin/python bench/herd.py                     # K = 2000 on SQLite
    .venv/bin/python bench/herd.py --clients 500 --postgres
    .venv/bin/python bench/herd.py --quick             # K = 200, a smoke run

Not a timed test; the table's ratios compare hints with the interval baseline of the same
run (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sync_bench import Server, docshelf_server, machine_facts, percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from docshelf.domain.accounts import system_actor  # noqa: E402
from docshelf.domain.ids import new_id  # noqa: E402
from docshelf.server.db.engine import Database  # noqa: E402
from docshelf.server.db.migrate import upgrade  # noqa: E402
from docshelf.server.db.models import Device  # noqa: E402
from docshelf.server.services import accounts, templates  # noqa: E402
from docshelf.server.services.passwords import Passwords, new_token, token_hash  # noqa: E402
from support.packages import PackageBuilder, office_file  # noqa: E402

API = "/api/v1"
ADMIN = "herd-admin"
ADMIN_PASSWORD = "herd-password"
HEADER = [
    "scenario",
    "clients",
    "synced",
    "p50 s",
    "p95 s",
    "100 % s",
    "peak syncs/s",
    "even spread/s",
    "heavy at once",
    "429/503",
    "failed",
    "server CPU s",
    "server RSS MB",
]


# --- the data: users, their devices, one template per user -------------------------------


@dataclass
class Seeded:
    tokens: list[str]  # device i belongs to user i % users
    user_ids: list[str]
    own_template: dict[str, str]  # user id -> a template only that user may see


def seed(db: Database, clients: int, users: int) -> Seeded:
    upgrade(db)
    actor = system_actor()
    password = Passwords(time_cost=1, memory_kib=1024).hash(ADMIN_PASSWORD)
    seeded = Seeded([], [], {})
    with db.change("herd") as change:
        accounts.create_user(change, actor, login=ADMIN, roles=["sys"], password_hash=password)
        group = templates.create_group(change, actor, titles={"de": "Herde"})
        for i in range(users):
            user = accounts.create_user(change, actor, login=f"herd{i}")
            seeded.user_ids.append(user.id)
            own = templates.create_template(
                change,
                actor,
                kind="docx",
                titles={"de": f"Nur für herd{i}"},
                group_id=group.id,
                status="released",
                use_rights=[f"user:{user.id}"],
            )
            seeded.own_template[user.id] = own.id
    with db.write() as session:
        for i in range(clients):
            token = new_token()
            seeded.tokens.append(token)
            session.add(
                Device(
                    id=new_id(),
                    user_id=seeded.user_ids[i % users],
                    name=f"herd-{i}",
                    token_hash=token_hash(token),
                    kind="client",
                )
            )
    return seeded


# --- one simulated client ----------------------------------------------------------------


@dataclass
class Counters:
    syncs: int = 0
    failed_syncs: int = 0
    refusals: int = 0  # 429/503 answers, each honoured
    heavy_in_flight: int = 0
    heavy_peak: int = 0
    sync_starts: list[float] = field(default_factory=list)
    connected: int = 0
    window_ms: float = 0.0  # the widest max_delay_ms a hint carried
    errors: dict[str, int] = field(default_factory=dict)  # failed syncs by exception
    resent: int = 0  # requests sent again after a closed keep-alive connection

    def heavy(self, delta: int) -> None:
        self.heavy_in_flight += delta
        self.heavy_peak = max(self.heavy_peak, self.heavy_in_flight)


class SimClient:
    """The protocol as the real client speaks it, without a cache on disk."""

    def __init__(
        self,
        index: int,
        token: str,
        host: str,
        port: int,
        http: httpx.AsyncClient,
        counters: Counters,
        rnd: random.Random,
    ) -> None:
        self.index = index
        self.token = token
        self.host = host
        self.port = port
        self.http = http
        self.counters = counters
        self.rnd = rnd
        self.cursor: str | None = None
        self.files: set[str] = set()
        self.seen: dict[str, float] = {}  # record id -> when a sync brought it
        self.synced = 0
        self.ready = asyncio.Event()
        self._wanted = asyncio.Event()
        self._delay_ms = 0.0
        self.hints_on = True

    # Each waits on its own event loop task; nothing here blocks.

    async def hold(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            if not self.hints_on:
                await asyncio.sleep(0.5)
                continue
            try:
                await self._stream(stop)
                failures = 0
            except (OSError, asyncio.IncompleteReadError, ValueError):
                failures += 1
                await asyncio.sleep(self.rnd.uniform(0, min(30.0, 0.5 * 2**failures)))

    async def _stream(self, stop: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            query = f"?cursor={self.cursor}" if self.cursor else ""
            writer.write(
                (
                    f"GET {API}/sync/hints{query} HTTP/1.1\r\nHost: {self.host}\r\n"
                    f"Authorization: Bearer {self.token}\r\nAccept: text/event-stream\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            status = await reader.readline()
            if b" 200 " not in status:
                raise ValueError(f"hint stream refused: {status!r}")
            chunked = False
            while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                chunked = chunked or header.lower().startswith(b"transfer-encoding: chunked")
            await self._events(_lines(reader, chunked), stop)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _events(self, lines: AsyncIterator[str], stop: asyncio.Event) -> None:
        event, data = "", ""
        async for line in lines:
            if stop.is_set():
                return
            if line == "":
                if event == "ready":
                    if not self.ready.is_set():
                        self.counters.connected += 1
                    self.ready.set()
                elif event == "hint":
                    window = float(json.loads(data).get("max_delay_ms", 0))
                    self.counters.window_ms = max(self.counters.window_ms, window)
                    self.want(window)
                elif event == "bye":
                    return
                event, data = "", ""
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()

    def want(self, max_delay_ms: float) -> None:
        self._delay_ms = max_delay_ms
        self._wanted.set()

    async def follow(self, stop: asyncio.Event) -> None:
        """Sync after each hint (or poll), after the random delay; hints meanwhile coalesce."""
        while not stop.is_set():
            await self._wanted.wait()
            await asyncio.sleep(self.rnd.uniform(0, self._delay_ms / 1000))
            self._wanted.clear()
            await self.sync()

    async def sync(self) -> None:
        """One sync; a failed one is tried again after a jittered backoff, as the real
        client's scheduler does."""
        for attempt in range(8):
            self.counters.syncs += 1
            self.counters.sync_starts.append(time.monotonic())
            self.synced += 1
            try:
                await self._pull()
                return
            except Exception as exc:
                self.counters.failed_syncs += 1
                name = type(exc).__name__
                self.counters.errors[name] = self.counters.errors.get(name, 0) + 1
                await asyncio.sleep(self.rnd.uniform(0, min(60.0, 2.0 * 2**attempt)))

    async def _request(self, method: str, path: str, heavy: bool, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        for _attempt in range(50):
            if heavy:
                self.counters.heavy(1)
            try:
                response = await self.http.request(method, path, headers=headers, **kwargs)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError):
                # A kept-alive connection the server had just closed: the request never
                # got there, and a GET is sent again, as the real client's transport does.
                self.counters.resent += 1
                continue
            finally:
                if heavy:
                    self.counters.heavy(-1)
            if response.status_code not in (429, 503):
                response.raise_for_status()
                return response
            self.counters.refusals += 1
            wait = float(response.headers.get("retry-after", "2"))
            await asyncio.sleep(wait + self.rnd.uniform(0, wait))
        raise RuntimeError("refused fifty times")

    async def _pull(self) -> None:
        while True:
            params: dict[str, Any] = {"limit": 500}
            if self.cursor:
                params["cursor"] = self.cursor
            response = await self._request(
                "GET", f"{API}/sync/changes", self.cursor is None, params=params
            )
            page = response.json()
            if page.get("reset"):
                raise RuntimeError("the benchmark's clients never reconcile")
            now = time.monotonic()
            for change in page["changes"]:
                if change["op"] != "upsert":
                    continue
                self.seen[change["id"]] = now
                for file in (change["record"].get("files") or {}).values():
                    await self._file(file["sha256"])
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return

    async def _file(self, sha: str) -> None:
        if sha in self.files:
            return
        await self._request("GET", f"{API}/blobs/{sha}", True)
        self.files.add(sha)


async def _lines(reader: asyncio.StreamReader, chunked: bool) -> AsyncIterator[str]:
    """The body's lines; with chunked transfer coding the chunks are undone first."""
    if not chunked:
        while raw := await reader.readline():
            yield raw.decode().rstrip("\r\n")
        return
    pending = b""
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return
        pending += await reader.readexactly(size)
        await reader.readexactly(2)  # the CRLF after each chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield raw.decode().rstrip("\r")


# --- measuring the server ----------------------------------------------------------------


class ServerProbe:
    """Samples the server's CPU and RSS from /proc every 100 ms."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_rss_mb = 0.0
        self.peak_cpu = 0.0  # CPU seconds per wall second over a sample
        self._task: asyncio.Task[None] | None = None

    def rss_mb(self) -> float:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.server.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    async def _run(self) -> None:
        last_cpu, last = self.server.cpu_seconds(), time.monotonic()
        while True:
            await asyncio.sleep(0.1)
            cpu, now = self.server.cpu_seconds(), time.monotonic()
            self.peak_cpu = max(self.peak_cpu, (cpu - last_cpu) / max(now - last, 1e-6))
            self.peak_rss_mb = max(self.peak_rss_mb, self.rss_mb())
            last_cpu, last = cpu, now

    def __enter__(self) -> ServerProbe:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


@dataclass
class Outcome:
    scenario: str
    clients: int
    synced: int
    arrivals: list[float]  # seconds after the change, per client that holds it
    peak_rate: float
    even_rate: float
    heavy_peak: int
    refusals: int
    failed: int
    cpu_s: float
    rss_mb: float

    def row(self) -> list[str]:
        arrivals = self.arrivals
        held = len(arrivals)

        def at(q: float) -> str:
            return f"{percentile(arrivals, q):.2f}" if held else "-"

        return [
            self.scenario,
            str(self.clients),
            str(self.synced),
            at(0.50),
            at(0.95),
            f"{max(arrivals):.2f}" if held == self.clients and held else f"{held} held",
            f"{self.peak_rate:.0f}",
            f"{self.even_rate:.0f}" if self.even_rate else "-",
            str(self.heavy_peak),
            str(self.refusals),
            str(self.failed),
            f"{self.cpu_s:.1f}",
            f"{self.rss_mb:.0f}",
        ]


def peak_rate(starts: list[float], window: float = 1.0) -> float:
    """Most syncs that started within any one window, per second."""
    ordered = sorted(starts)
    best, first = 0, 0
    for last, t in enumerate(ordered):
        while t - ordered[first] > window:
            first += 1
        best = max(best, last - first + 1)
    return best / window


# --- the run -----------------------------------------------------------------------------


class Herd:
    def __init__(self, server: Server, seeded: Seeded, args: argparse.Namespace) -> None:
        self.server = server
        self.seeded = seeded
        self.args = args
        port = int(server.base.rsplit(":", 1)[1])
        limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=200)
        self.http = httpx.AsyncClient(
            base_url=server.base, limits=limits, timeout=120, trust_env=False
        )
        self.admin = httpx.AsyncClient(base_url=server.base + API, timeout=300, trust_env=False)
        self.counters = Counters()
        rnd = random.Random(args.seed)
        self.clients = [
            SimClient(
                i, token, "127.0.0.1", port, self.http, self.counters, random.Random(rnd.random())
            )
            for i, token in enumerate(seeded.tokens)
        ]
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def sign_in_admin(self) -> None:
        response = await self.admin.post(
            "/auth/login",
            json={"login": ADMIN, "password": ADMIN_PASSWORD, "device_name": "herd"},
        )
        response.raise_for_status()
        self.admin.headers["Authorization"] = f"Bearer {response.json()['token']}"

    async def setting(self, key: str, value: Any) -> None:
        response = await self.admin.patch("/admin/settings", json={"values": {key: value}})
        response.raise_for_status()

    async def initial_syncs(self) -> None:
        """Each user's first client syncs from nothing; its devices share that cursor."""
        users = len(self.seeded.user_ids)
        firsts = self.clients[:users]
        gate = asyncio.Semaphore(8)

        async def one(client: SimClient) -> None:
            async with gate:
                await client._pull()

        await asyncio.gather(*(one(c) for c in firsts))
        for client in self.clients[users:]:
            first = firsts[client.index % users]
            client.cursor, client.files = first.cursor, set(first.files)

    async def start(self, hints: bool) -> float:
        """Start every client; with hints, they open their streams in two halves and the
        server's RSS growth over the second half, per stream, is returned (the first half
        pays for what any first connections cost: imports, buffers, caches)."""
        for client in self.clients:
            client.hints_on = hints
            self.tasks.append(asyncio.create_task(client.follow(self.stop)))
        if not hints:
            return 0.0
        half = len(self.clients) // 2
        await self._hold(self.clients[:half])
        probe = ServerProbe(self.server)
        before = probe.rss_mb()
        await self._hold(self.clients[half:])
        grown_kib = (probe.rss_mb() - before) * 1024
        return grown_kib / max(1, len(self.clients) - half)

    async def _hold(self, clients: list[SimClient]) -> None:
        target = self.counters.connected + len(clients)
        self.tasks += [asyncio.create_task(c.hold(self.stop)) for c in clients]
        deadline = time.monotonic() + self.args.connect_timeout
        while self.counters.connected < target:
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"only {self.counters.connected} of {target} clients hold"
                    " a hint stream; see the server log"
                )
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # let the server settle before its RSS is read

    async def halt(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        self.stop = asyncio.Event()

    def reset_counters(self) -> None:
        connected = self.counters.connected
        self.counters.__init__()  # type: ignore[misc]
        self.counters.connected = connected
        for client in self.clients:
            client.synced = 0

    async def wait_held(self, ids: set[str], holders: list[SimClient], deadline_s: float) -> None:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if all(ids <= c.seen.keys() for c in holders):
                return
            await asyncio.sleep(0.1)

    async def one_user(self) -> Outcome:
        """A change only user 0 may see: only user 0's devices may sync."""
        user = self.seeded.user_ids[0]
        template = self.seeded.own_template[user]
        holders = [c for c in self.clients if c.index % len(self.seeded.user_ids) == 0]
        self.reset_counters()
        cpu = self.server.cpu_seconds()
        changed = time.monotonic()
        response = await self.admin.patch(
            f"/admin/templates/{template}", json={"titles": {"de": "Nur für herd0, neu"}}
        )
        response.raise_for_status()
        for client in holders:
            client.seen.pop(template, None)
        await self.wait_held({template}, holders, 120)
        # Let hints to anyone else (there must be none) arrive and their syncs start.
        await asyncio.sleep(2 + self.args.hint_delay_ms / 1000)
        arrivals = [c.seen[template] - changed for c in holders if template in c.seen]
        return Outcome(
            "1 change, one user's",
            len(holders),
            sum(1 for c in self.clients if c.synced),
            arrivals,
            peak_rate(self.counters.sync_starts),
            0,
            self.counters.heavy_peak,
            self.counters.refusals,
            self.counters.failed_syncs,
            self.server.cpu_seconds() - cpu,
            0,
        )

    async def package(self, label: str, window_s: float, scratch: Path) -> Outcome:
        """A package every client may see, imported through the API."""
        builder = PackageBuilder()
        group = builder.group(f"Paket {label}")
        ids = {
            builder.template(f"{label} {i}", group=group, files={"de": office_file(f"{label}{i}")})
            for i in range(self.args.package_templates)
        }
        archive = builder.build(scratch / f"{label}.zip")
        self.reset_counters()
        cpu = self.server.cpu_seconds()
        with ServerProbe(self.server) as probe:
            changed = time.monotonic()
            response = await self.admin.post(
                "/admin/packages/import",
                content=archive.read_bytes(),
                headers={"Content-Type": "application/zip"},
            )
            response.raise_for_status()
            await self.wait_held(ids, self.clients, self.args.deadline)
        arrivals = [
            max(c.seen[i] for i in ids) - changed for c in self.clients if ids <= c.seen.keys()
        ]
        if self.counters.errors:
            print(f"  {label}: failed syncs by cause {self.counters.errors}")
        if self.counters.resent:
            print(f"  {label}: {self.counters.resent} requests sent again (connection closed)")
        return Outcome(
            label,
            len(self.clients),
            sum(1 for c in self.clients if c.synced),
            arrivals,
            peak_rate(self.counters.sync_starts),
            len(self.clients) / window_s if window_s else 0,
            self.counters.heavy_peak,
            self.counters.refusals,
            self.counters.failed_syncs,
            self.server.cpu_seconds() - cpu,
            probe.peak_rss_mb,
        )

    async def interval_baseline(self, scratch: Path) -> Outcome:
        """Hints off; every client polls on a compressed interval, as the fleet would."""
        interval = self.args.interval

        async def tick(client: SimClient) -> None:
            # The first poll at a random point of the interval, then every interval
            # minus 0-10 %: the schedule users know, shrunk.
            await asyncio.sleep(client.rnd.uniform(0, interval))
            while not self.stop.is_set():
                client.want(0)
                await asyncio.sleep(interval * (1 - 0.1 * client.rnd.random()))

        self.tasks += [asyncio.create_task(tick(c)) for c in self.clients]
        return await self.package("package, interval", interval, scratch)


async def measure(server: Server, seeded: Seeded, args: argparse.Namespace) -> list[Outcome]:
    herd = Herd(server, seeded, args)
    outcomes: list[Outcome] = []
    scratch = Path(tempfile.mkdtemp(prefix="herd-"))
    try:
        await herd.sign_in_admin()
        await herd.setting("ClientHintMaxDelay", 0)
        await herd.initial_syncs()
        args.held_kib = await herd.start(hints=True)
        print(
            f"  {len(herd.clients)} clients hold hint streams;"
            f" {args.held_kib:.1f} KiB of server RSS per further stream"
        )
        outcomes.append(await herd.one_user())
        outcomes.append(await herd.package("package, delay 0", 0, scratch))
        await herd.setting("ClientHintMaxDelay", args.hint_delay_ms)
        outcomes.append(await herd.package("package, default delay", 0, scratch))
        # The server widens the window with the audience; the clients were told which.
        window_s = herd.counters.window_ms / 1000
        outcomes[-1].even_rate = len(herd.clients) / window_s if window_s else 0
        args.window_s = window_s
        await herd.halt()
        await herd.setting("ClientHintsEnabled", False)
        await herd.start(hints=False)
        outcomes.append(await herd.interval_baseline(scratch))
        await herd.halt()
    finally:
        await herd.http.aclose()
        await herd.admin.aclose()
    return outcomes


# --- main --------------------------------------------------------------------------------


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextlib.contextmanager
def database(args: argparse.Namespace, data_dir: Path) -> Iterator[str | None]:
    if not args.postgres:
        yield None
        return
    from support.postgres import PostgresCluster

    with PostgresCluster() as cluster:
        yield cluster.create_database("herd")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000, help="simulated clients (K)")
    parser.add_argument("--users", type=int, default=100, help="users the clients belong to")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--package-templates", type=int, default=3)
    parser.add_argument(
        "--interval",
        type=float,
        default=60.0,
        help="the baseline's compressed ClientSyncInterval, in seconds",
    )
    parser.add_argument(
        "--hint-delay-ms",
        type=int,
        default=5000,
        help="ClientHintMaxDelay for the 'default delay' run",
    )
    parser.add_argument(
        "--connections", type=int, default=400, help="HTTP connections the clients' syncs share"
    )
    parser.add_argument("--connect-timeout", type=float, default=300)
    parser.add_argument(
        "--deadline",
        type=float,
        default=600,
        help="seconds to wait for every client to hold a package",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="K = 200, 20 users, 20 s interval")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.users, args.interval = 200, 20, 20.0
    args.users = min(args.users, args.clients)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    raise_open_files()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="herd-server-") as tmp:
        data_dir = Path(tmp)
        with database(args, data_dir) as url:
            db = Database(url or f"sqlite:///{data_dir / 'docshelf.db'}")
            try:
                seeded = seed(db, args.clients, args.users)
            finally:
                db.dispose()
            env = {"DOCSHELF_MAX_HINT_STREAMS": str(args.clients + 100)}
            os.environ.update(env)
            with docshelf_server(data_dir, url) as server:
                outcomes = asyncio.run(measure(server, seeded, args))
    rows = [o.row() for o in outcomes]
    print_table_with(HEADER, rows)
    facts = [
        *machine_facts(),
        f"{'PostgreSQL' if args.postgres else 'SQLite'}, one server process,"
        f" {args.clients} clients of {args.users} users, held stream"
        f" {args.held_kib:.1f} KiB of server RSS each (growth over the second half)",
    ]
    for fact in facts:
        print(f"  {fact}")
    if args.markdown:
        args.markdown.write_text(markdown_with(HEADER, rows, facts, time.monotonic() - started))
    return 0


def print_table_with(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def markdown_with(
    header: list[str], rows: list[list[str]], facts: list[str], runtime: float
) -> str:
    lines = [f"Herd run, {runtime / 60:.1f} min.", ""]
    lines += [f"- {fact}" for fact in facts]
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
