"""A seeded, replayable simulation of the sync (architecture.md, "Testing the sync").

Several real clients (:class:`docshelf.client.app.Client`, each with its own home and a
small random page size) follow one real server while an administrator changes content
and rights through the HTTP API. Everything random comes from ``random.Random(seed)``,
so a seed names one sequence of steps. Faults are injected only at the HTTP boundary,
by :class:`FaultyTransport` under each client's ``httpx.Client``: a request fails before
it is sent, the server processes a request but its answer is lost, a file download
breaks off, or the client "crashes" (an exception no code of docshelf catches) at a
chosen request, after which the :class:`Client` object is thrown away and a new one is
opened on the same home, as a restarted process would.

After every step the simulation checks what must hold at any instant (the cache is
intact, holds only records the server really sent, every file its records name is on
disk and verified, the cursor never moved backwards); after every round it lets every
client sync cleanly and checks that each cache equals the server's view for its user.

Replays are faithful in the sequence of steps and faults. They cannot be byte-exact:
the server draws random ids, which decide the order of rows within one change and so
where pages split. A failure message says how to replay it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import random
import secrets
import sqlite3
import ssl
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from docshelf.client.app import Client
from docshelf.client.engine import CURSOR, RECONCILE, SyncResult
from docshelf.client.paths import Home
from docshelf.domain.settings import (
    CLIENT_SYNC_INTERVAL,
    CLIENT_SYNC_MAX_DELAY_AFTER_START,
    MINUTE_MS,
)
from docshelf.protocol.cursor import Cursor
from docshelf.protocol.sync import record_hash
from support.api import API, PASSWORD, Api, LiveServer
from support.sync import assert_client_matches_server, server_view

TEST_FILE = "tests/integration/test_sync_simulation.py"
DOCX_MAGIC = b"PK\x03\x04"
# Errors a sync may end with while faults are injected: the connection broke (offline)
# or a download stopped early. Anything else is a bug the simulation reports.
FAULT_ERRORS = frozenset({"offline", "download_incomplete"})
# Made once: loading the CA bundle for every sync's transport would double its time.
_TLS = ssl.create_default_context()


class SimulatedCrash(BaseException):
    """The client process dies here.

    A BaseException, like SystemExit: no ``except Exception`` in docshelf can swallow
    it, so the engine stops exactly where it is, as if the process were killed.
    """


class SimulationFailure(AssertionError):
    """A property did not hold; the message carries seed, round, step and how to replay."""


# --- faults at the HTTP boundary -----------------------------------------------------------


@dataclass
class Faults:
    """What one client's transport does to its requests; shared by its httpx clients."""

    enabled: bool = False
    connect_error: float = 0.0  # per request: fails before anything is sent
    drop_response: float = 0.0  # per request: the server did the work, the answer is lost
    cut_download: float = 0.0  # per file download: the connection breaks mid-file
    # One-off faults at the n-th request from now, counting only requests to paths that
    # end with ``only`` if that is set (to aim at, say, the second manifest page).
    crash_at: int | None = None
    crash_mode: str = "before"  # before sending / after the server answered / mid-download
    drop_at: int | None = None
    only: str | None = None
    requests: int = 0
    counted: int = 0
    events: list[str] = field(default_factory=list)

    def off(self) -> None:
        self.enabled = False
        self.crash_at = self.drop_at = None

    def arm(self, *, connect: float, drop: float, cut: float) -> None:
        self.off()
        self.enabled = True
        self.connect_error, self.drop_response, self.cut_download = connect, drop, cut
        self.requests = self.counted = 0
        self.only = None

    def one_off(
        self,
        *,
        crash_at: int | None = None,
        mode: str = "",
        drop_at: int | None = None,
        only: str | None = None,
    ) -> None:
        self.arm(connect=0.0, drop=0.0, cut=0.0)
        self.crash_at, self.crash_mode, self.drop_at = crash_at, mode, drop_at
        self.only = only

    def count(self, request: httpx.Request) -> tuple[int, int | None]:
        """The request's number, and its number among those the one-off faults count."""
        number = self.requests
        self.requests += 1
        if self.only is not None and not request.url.path.endswith(self.only):
            return number, None
        self.counted += 1
        return number, self.counted - 1


class _CutStream(httpx.SyncByteStream):
    """The first ``limit`` bytes of a download, then a broken connection (or a crash)."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int, fail: BaseException) -> None:
        self._inner = inner
        self._limit = limit
        self._fail = fail

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self._inner:
            room = self._limit - sent
            if len(chunk) >= room:
                if room > 0:
                    yield chunk[:room]
                break
            sent += len(chunk)
            yield chunk
        raise self._fail

    def close(self) -> None:
        self._inner.close()


Observer = Callable[[httpx.Request, httpx.Response], None]


class FaultyTransport(httpx.BaseTransport):
    """Wraps a real transport; decides per request whether and how it goes wrong.

    ``rnd`` decides the random faults; the one-off faults (crash, drop at request n) are
    scheduled by the simulation in ``faults``. ``observe`` sees every answer that does
    reach the client, read already (for JSON answers; downloads stream on).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        rnd: random.Random,
        faults: Faults,
        observe: Observer | None = None,
    ) -> None:
        self.inner = inner
        self.rnd = rnd
        self.faults = faults
        self.observe = observe

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        faults = self.faults
        number, counted = faults.count(request)
        what = f"#{number} {request.method} {request.url.path.removeprefix(API)}"
        download = request.method == "GET" and "/blobs/" in request.url.path
        crash = faults.enabled and counted is not None and faults.crash_at == counted
        if crash and faults.crash_mode == "before":
            faults.events.append(f"crash before {what}")
            raise SimulatedCrash(what)
        if faults.enabled and self.rnd.random() < faults.connect_error:
            faults.events.append(f"connect error {what}")
            raise httpx.ConnectError("simulated: connection refused", request=request)
        response = self.inner.handle_request(request)
        if crash and faults.crash_mode == "download" and download:
            faults.events.append(f"crash during download {what}")
            return self._cut(response, SimulatedCrash(what))
        lost = faults.enabled and (
            (counted is not None and faults.drop_at == counted)
            or self.rnd.random() < faults.drop_response
        )
        if crash or lost:
            # The server has done the work; the answer never arrives.
            response.read()
            response.close()
            faults.events.append(f"{'crash after' if crash else 'lost answer of'} {what}")
            if crash:
                raise SimulatedCrash(what)
            raise httpx.ReadError("simulated: connection reset", request=request)
        if download:
            if faults.enabled and self.rnd.random() < faults.cut_download:
                faults.events.append(f"download cut short {what}")
                broken = httpx.RemoteProtocolError(
                    "simulated: peer closed connection without sending complete message body",
                    request=request,
                )
                return self._cut(response, broken)
            return response
        return self._delivered(request, response)

    def _cut(self, response: httpx.Response, fail: BaseException) -> httpx.Response:
        size = int(response.headers.get("content-length", "0") or 0)
        limit = self.rnd.randint(0, max(0, size - 1))
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CutStream(response.stream, limit, fail),
            extensions=response.extensions,
        )

    def _delivered(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        # Read here so the observer sees what the client will see; the raw bytes go on
        # undecoded, the client decodes them as it would have.
        raw = b"".join(response.iter_raw())
        response.close()
        delivered = httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
        )
        if self.observe is not None:
            delivered.read()  # decoded, as the client will read it
            self.observe(request, delivered)
        return delivered

    def close(self) -> None:
        self.inner.close()


# --- cursors -------------------------------------------------------------------------------

# Where a cursor stands in the order the feed uses: every change up to ``seq`` applied,
# then (only for a page that split change seq + 1) the items up to (kind, item).
Position = tuple[int, int, int, str]


def position(token: str | None) -> Position | None:
    if token is None:
        return None
    cursor = Cursor.decode(token)
    if cursor.kind is None:
        return (cursor.seq, 0, -1, "")
    return (cursor.seq, 1, cursor.kind, cursor.item or "")


@dataclass
class CursorWatch:
    """The history of one client's stored cursor, and of its reconciliation's position.

    "Backwards" is defined on the stored cursor (``state.cursor``): its position in the
    feed's order must never decrease. A reconciliation doesn't touch the stored cursor
    while it runs; when it completes it stores the reset point, ``reset_to``, which the
    server chose as its newest change at the time it asked for the reset. That is at or
    after every cursor the server ever handed out in this history, so even across a
    reconciliation the stored cursor only moves forward. (Only a server whose history
    was rewound - a restored backup, another epoch - could legitimately send a client
    back; the simulation never rewinds the server.)

    The reconciliation itself walks the manifest by (kind, id); within one generation
    that position must not go back either. A new generation (the server asked for a
    fresh reconciliation) starts over from the beginning, legitimately.
    """

    label: str
    cursor: Position | None = None
    epoch: str | None = None
    reconcile: tuple[int, int, str] | None = None  # (generation, kind, id)
    history: list[str] = field(default_factory=list)

    def observe(self, where: str, cursor_token: str | None, reconcile: Any) -> str | None:
        """Record the current state; returns what went wrong, or None."""
        problem = self._observe_cursor(where, cursor_token)
        return problem or self._observe_reconcile(where, reconcile)

    def _observe_cursor(self, where: str, token: str | None) -> str | None:
        now = position(token)
        if now == self.cursor:
            return None
        epoch = Cursor.decode(token).epoch if token else None
        self.history.append(f"{where}: cursor {self.cursor} -> {now}")
        if token is not None and Cursor.decode(token).reset_to is not None:
            return f"{self.label}: a reconciliation cursor was stored as the cursor ({where})"
        if self.cursor is not None and (now is None or (epoch == self.epoch and now < self.cursor)):
            return f"{self.label}: cursor moved backwards at {where}: {self.cursor} -> {now}"
        self.cursor, self.epoch = now, epoch
        return None

    def _observe_reconcile(self, where: str, state: Any) -> str | None:
        if state is None:
            if self.reconcile is not None:
                self.history.append(f"{where}: reconciliation ended")
            self.reconcile = None
            return None
        cursor = Cursor.decode(state["cursor"])
        now = (int(state["generation"]), cursor.kind or 0, cursor.item or "")
        if now == self.reconcile:
            return None
        self.history.append(f"{where}: reconciliation {self.reconcile} -> {now}")
        previous = self.reconcile
        self.reconcile = now
        if previous is not None and now[0] == previous[0] and now < previous:
            return f"{self.label}: reconciliation moved backwards at {where}: {previous} -> {now}"
        if previous is not None and now[0] < previous[0]:
            return f"{self.label}: reconciliation generation went down at {where}"
        if self.cursor is not None and (cursor.reset_to or 0) < self.cursor[0]:
            return f"{self.label}: reset point {cursor.reset_to} lies before the cursor {where}"
        return None


# --- the clients ---------------------------------------------------------------------------


@dataclass
class SimClient:
    index: int
    user: dict[str, Any]
    home: Path
    page_size: int
    rnd: random.Random
    faults: Faults
    watch: CursorWatch
    client: Client | None = None
    # Every (kind, id, version, hash) the server delivered to this client.
    sent: set[tuple[str, str, int, str]] = field(default_factory=set)
    downloads_of_held_files: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"client {self.index} ({self.user['login']}, page size {self.page_size})"

    @property
    def app(self) -> Client:
        assert self.client is not None
        return self.client


def _record_keys(body: dict[str, Any]) -> Iterator[tuple[str, str, int, str]]:
    for change in body.get("changes", body.get("records", [])):
        if change.get("op") == "upsert" and change.get("record") is not None:
            yield (change["kind"], change["id"], change["version"], record_hash(change["record"]))


def _sha_of_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- what the administrator has made -------------------------------------------------------


@dataclass
class World:
    """The simulation's own notes of what exists on the server, to choose valid steps.

    Only ids and the relations needed to choose are kept: what each user may see is
    never predicted here; the server's view is the reference the clients are held to.
    """

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    # (group, "user:x" or "group:y"): a dict as an ordered set. Ids are random, so any
    # order derived from them (a set's, a sort's) would differ between replays.
    members: dict[tuple[str, str], None] = field(default_factory=dict)
    template_groups: list[str] = field(default_factory=list)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    snippets: dict[str, dict[str, Any]] = field(default_factory=dict)
    units: dict[str, str | None] = field(default_factory=dict)  # id -> parent
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # uploaded docx-like files
    images: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # snippet bodies, reused to share files
    counter: int = 0

    def next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def subgroups(self, group: str) -> set[str]:
        """``group`` and every group nested in it."""
        found, todo = {group}, [group]
        while todo:
            current = todo.pop()
            for parent, member in self.members:
                child = member.removeprefix("group:")
                if parent == current and member.startswith("group:") and child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def subunits(self, unit: str) -> set[str]:
        found, todo = {unit}, [unit]
        while todo:
            current = todo.pop()
            for child, parent in self.units.items():
                if parent == current and child not in found:
                    found.add(child)
                    todo.append(child)
        return found


# --- the simulation ------------------------------------------------------------------------


class Simulation:
    """One seed: setup, ``rounds`` rounds of random steps, teardown.

    A round is 5-10 steps drawn by weight from the client steps (sync with random faults,
    crash and restart, a lost answer, a scope that flaps around a broken sync, a sync
    during concurrent writes, a new device) and the administrator's changes; after each
    step :meth:`check_instant`, after each round :meth:`check_round`. Any failure raises
    :class:`SimulationFailure` with the seed, the step, the recent steps and every
    client's cursor history.
    """

    def __init__(
        self,
        seed: int,
        live: LiveServer,
        tmp_path: Path,
        clients: int = 3,
        *,
        rounds: int = 6,
        steps_per_round: tuple[int, int] = (5, 10),
        seeds_in_run: list[int] | None = None,
    ) -> None:
        self.seed = seed
        self.live = live
        self.tmp_path = tmp_path
        self.rounds = rounds
        self.steps_per_round = steps_per_round
        self.seeds_in_run = seeds_in_run or [seed]
        self.rnd = random.Random(seed)
        self.world = World()
        # Names only need to be unique on a server shared with other seeds.
        self.tag = secrets.token_hex(3)
        self.log: list[str] = []
        self.where = "setup"
        self.clients: list[SimClient] = []
        self._n_clients = clients
        self.database = "sqlite" if live.database_url is None else "postgresql"
        self._db: Any = None  # the server's database, for housekeeping (tombstone purge)
        self.logo_field = self.logo_field_id = ""
        self.signature_field = self.signature_field_id = ""
        self.devices = 0
        self.last_membership: tuple[str, str] | None = None
        self.sessions: dict[str, Api] = {}  # users' own sign-ins, for their personal snippets
        self.started = time.monotonic()
        self.stats: Counter[str] = Counter()

    # --- running ---------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.setup()
            for number in range(1, self.rounds + 1):
                self.round(number)
            self.where = "teardown"
            self.teardown()
        except SimulationFailure:
            self.clean_up_after_failure()
            raise
        except (Exception, SimulatedCrash) as exc:
            failure = self.failure(f"{type(exc).__name__}: {exc}")
            self.clean_up_after_failure()
            raise failure from exc
        finally:
            self.close()
            # Shown by pytest with -s or -rP: what the seed did, with timings.
            print("\n".join(self.log))
            print(f"seed {self.seed}: {dict(sorted(self.stats.items()))}")

    def round(self, number: int) -> None:
        count = self.rnd.randint(*self.steps_per_round)
        for step in range(1, count + 1):
            self.where = f"round {number} step {step}"
            self.note(self.random_step())
            self.check_instant()
        self.where = f"round {number} check"
        self.check_round()

    def random_step(self) -> str:
        ops = self.client_steps() + self.admin_steps()
        weights = [w for w, _ in ops]
        _, op = self.rnd.choices(ops, weights=weights)[0]
        return op()

    def note(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.log.append(f"{elapsed:7.2f}s [{self.where}] {text}")

    def failure(self, what: str) -> SimulationFailure:
        seeds = ",".join(str(s) for s in self.seeds_in_run)
        lines = [
            f"sync simulation failed: seed={self.seed} at {self.where} ({self.database})",
            f"  {what}",
            "replay this seed alone:",
            f"  pytest {TEST_FILE} --sim-seed {self.seed} --sim-rounds {self.rounds}"
            f" -k {self.database}",
            f"  or: DOCSHELF_SIM_SEEDS={self.seed} DOCSHELF_SIM_ROUNDS={self.rounds}"
            f" pytest {TEST_FILE} -k {self.database}",
            f"replay with the seeds that ran before it on the same server: "
            f"DOCSHELF_SIM_SEEDS={seeds}",
            "last steps:",
            *(f"  {line}" for line in self.log[-40:]),
        ]
        for sc in self.clients:
            lines.append(f"{sc.label}: cursor history (last 15 of {len(sc.watch.history)}):")
            lines.extend(f"    {h}" for h in sc.watch.history[-15:])
            if sc.faults.events:
                lines.append(f"  faults: {'; '.join(sc.faults.events[-8:])}")
        return SimulationFailure("\n".join(lines))

    def require(self, condition: bool, what: str) -> None:
        if not condition:
            raise self.failure(what)

    # --- setup and teardown ----------------------------------------------------------------

    def setup(self) -> None:
        self._ok(
            "PATCH", "/admin/settings", json={"values": {CLIENT_SYNC_INTERVAL: 15 * MINUTE_MS}}
        )
        logo = self._ok(
            "POST",
            "/admin/fields",
            json={"key": f"logo_{self.tag}", "scope": "unit", "type": "image"},
        )
        self.logo_field, self.logo_field_id = logo["key"], logo["id"]
        signature = self._ok(
            "POST",
            "/admin/fields",
            json={"key": f"signature_{self.tag}", "scope": "user", "type": "image"},
        )
        self.signature_field, self.signature_field_id = signature["key"], signature["id"]
        for _ in range(3):
            self._create_group()
        self._add_member(self.world.groups[0], f"group:{self.world.groups[1]}")
        roles = [["user"], ["layouter"]]
        for index in range(self._n_clients + 2):
            role = roles[index] if index < len(roles) else self.rnd.choice(_ROLE_SETS)
            self._create_user(role, client=index < self._n_clients)
        for user in list(self.world.users):
            for group in self.rnd.sample(self.world.groups, self.rnd.randint(0, 2)):
                self._add_member(group, f"user:{user}")
        for _ in range(2):
            self.op_create_template_group()
        # Enough that a reconciliation takes several manifest pages.
        for _ in range(4):
            self.op_create_template()
        for _ in range(3):
            self.op_create_snippet()
        self.op_create_unit()
        self.op_create_unit()
        self.op_create_profile()
        client_users = [u for u in self.world.users.values() if u["client"]]
        for index, user in enumerate(client_users):
            self.clients.append(self._new_client(index, user))
        self.note(f"setup done: {len(self.clients)} clients, tag {self.tag}")

    def _new_client(self, index: int, user: dict[str, Any], device: int = 0) -> SimClient:
        sc = SimClient(
            index=index,
            user=user,
            home=self.tmp_path / f"client{index}-{device}",
            page_size=self.rnd.randint(3, 7),
            rnd=random.Random(f"{self.seed}-transport-{index}-{device}"),
            faults=Faults(),
            watch=CursorWatch(f"client {index}"),
        )
        sc.client = self._open(sc)
        sc.app.login(self.live.url, user["login"], PASSWORD, device_name=f"sim-{index}")
        return sc

    def _open(self, sc: SimClient) -> Client:
        """A Client on the client's home, as a freshly started process would open it."""

        def observe(request: httpx.Request, response: httpx.Response) -> None:
            path = request.url.path
            if response.is_success and path.endswith(("/sync/changes", "/sync/records")):
                sc.sent.update(_record_keys(response.json()))

        def http() -> httpx.Client:
            inner = httpx.HTTPTransport(verify=_TLS)
            transport = FaultyTransport(inner, sc.rnd, sc.faults, observe)
            return _WatchedHttp(sc, transport)

        return Client(Home(sc.home), http=http, page_size=sc.page_size)

    def teardown(self) -> None:
        """Delete what this seed made, so the next seed on the same server starts small.

        Also a last round of its own: mass deletions must leave every client too.
        """
        self._delete_content()
        self.check_round()
        for sc in self.clients:
            sc.app.close()
            sc.client = None
        self._delete_accounts()

    def _delete_content(self) -> None:
        world = self.world
        for user, info in world.users.items():
            if not info["active"]:  # to sign in as the owner of personal snippets
                self._ok("POST", f"/admin/users/{user}/restore")
                info["active"] = True
        for profile in list(world.profiles):
            self._ok("DELETE", f"/admin/profiles/{profile}")
        for snippet in [s for s, v in world.snippets.items() if v["kind"] != "template"]:
            self._ok("DELETE", f"/admin/snippets/{snippet}", self._editor(snippet))
        for template in list(world.templates):
            self._purge_template(template)
        # Leaves first: a unit with sub-units can't be deleted.
        for unit in sorted(world.units, key=lambda u: -len(self._ancestors(u))):
            self._ok("DELETE", f"/admin/units/{unit}")
        for group in world.template_groups:
            self._ok("DELETE", f"/admin/template-groups/{group}")
        world.profiles.clear()
        world.snippets.clear()
        world.units.clear()
        world.template_groups.clear()
        self._ok(
            "PATCH", "/admin/settings", json={"values": {CLIENT_SYNC_INTERVAL: 15 * MINUTE_MS}}
        )

    def _delete_accounts(self) -> None:
        for group in self.world.groups:
            self._ok("DELETE", f"/admin/groups/{group}")
        for user in self.world.users:
            self._ok("POST", f"/admin/users/{user}/deactivate")
            self._ok("DELETE", f"/admin/users/{user}")
        self._ok("DELETE", f"/admin/fields/{self.logo_field_id}")
        self._ok("DELETE", f"/admin/fields/{self.signature_field_id}")
        # Forget the deletions too: the next seed on this server then starts as it would on
        # a fresh one (pages count tombstones), which keeps a seed's replay faithful.
        self.op_purge_tombstones()

    def clean_up_after_failure(self) -> None:
        """Best effort: leave the server to the next seed as if this one had finished (its
        leftovers would make the next seeds fail too, or differ from their replays)."""
        for sc in self.clients:
            sc.faults.off()
        try:
            self._delete_content()
            self._delete_accounts()
        except (Exception, SimulatedCrash) as exc:
            self.note(f"clean-up after the failure failed too: {exc}")

    def _ancestors(self, unit: str) -> list[str]:
        chain: list[str] = []
        parent = self.world.units.get(unit)
        while parent is not None:
            chain.append(parent)
            parent = self.world.units.get(parent)
        return chain

    def close(self) -> None:
        for sc in self.clients:
            if sc.client is not None:
                with contextlib.suppress(Exception):
                    sc.client.close()
                sc.client = None
        if self._db is not None:
            self._db.dispose()

    # --- talking to the server as the administrator ----------------------------------------

    def _request(
        self, method: str, path: str, api: Api | None = None, **kwargs: Any
    ) -> httpx.Response:
        return (api or self.live.admin).request(method, path, **kwargs)

    def _ok(self, method: str, path: str, api: Api | None = None, **kwargs: Any) -> Any:
        response = self._request(method, path, api, **kwargs)
        if not response.is_success:
            raise self.failure(
                f"admin {method} {path} -> {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else None

    def _maybe(self, method: str, path: str, refusals: tuple[int, ...], **kwargs: Any) -> Any:
        """A change the server may refuse for a good reason (a cycle, a unit in use)."""
        response = self._request(method, path, **kwargs)
        if response.status_code in refusals:
            self.note(f"  refused ({response.status_code}): {method} {path}")
            return None
        if not response.is_success:
            raise self.failure(
                f"admin {method} {path} -> {response.status_code}: {response.text[:500]}"
            )
        return response.json() if response.content else True

    def _upload(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self._ok("PUT", f"/blobs/{sha}", content=data)
        return sha

    # --- random choices --------------------------------------------------------------------

    def _pick(self, items: Any) -> Any:
        seq = list(items)
        return self.rnd.choice(seq) if seq else None

    def _rights(self) -> list[str]:
        """Use or read rights: mostly everyone or a group, sometimes a person, rarely nobody."""
        roll = self.rnd.random()
        group = self._pick(self.world.groups)
        if roll < 0.45 or group is None:
            return ["*"]
        if roll < 0.8:
            return [f"group:{group}"]
        if roll < 0.95:
            user = self._pick(self.world.users)
            return sorted({f"group:{group}", f"user:{user}"})
        return []

    def _change_rights(self) -> list[str]:
        roll = self.rnd.random()
        if roll < 0.5:
            return []
        if roll < 0.8 and self.world.groups:
            return [f"group:{self._pick(self.world.groups)}"]
        return [f"user:{self._pick(self.world.users)}"]

    def _docx(self) -> str:
        """A file for a template: often one uploaded before (same content, same hash)."""
        if self.world.files and self.rnd.random() < 0.4:
            return str(self._pick(self.world.files))
        size = self.rnd.choice([64, 300, 2_000, 9_000, 40_000, 150_000])
        sha = self._upload(DOCX_MAGIC + self.rnd.randbytes(size))
        self.world.files.append(sha)
        return sha

    def _image(self) -> str:
        if self.world.images and self.rnd.random() < 0.4:
            return str(self._pick(self.world.images))
        sha = self._upload(b"\x89PNG\r\n\x1a\n" + self.rnd.randbytes(self.rnd.randint(50, 5000)))
        self.world.images.append(sha)
        return sha

    def _text(self) -> str:
        if self.world.texts and self.rnd.random() < 0.3:
            return str(self._pick(self.world.texts))
        text = f"Snippet text {self.world.next('b')} " + "x" * self.rnd.randint(0, 300)
        self.world.texts.append(text)
        return text

    # --- the steps -------------------------------------------------------------------------

    def client_steps(self) -> list[tuple[float, Callable[[], str]]]:
        return [
            (16, self.step_sync),
            (8, self.step_crash),
            (6, self.step_drop),
            (3, self.step_flap),
            (3, self.step_burst),
            (1, self.step_restart),
            (1, self.step_new_device),
        ]

    def admin_steps(self) -> list[tuple[float, Callable[[], str]]]:
        return [
            (4, self.op_create_template),
            (2, self.op_update_template),
            (3, self.op_set_template_file),
            (1, self.op_remove_template_file),
            (3, self.op_set_status),
            (3, self.op_set_use_rights),
            (1, self.op_set_change_rights),
            (1, self.op_move_template),
            (2, self.op_deactivate_template),
            (1, self.op_restore_template),
            (1, self.op_purge_template),
            (3, self.op_create_snippet),
            (2, self.op_update_snippet),
            (1, self.op_delete_snippet),
            (2, self.op_create_unit),
            (1, self.op_move_unit),
            (1, self.op_update_unit),
            (1, self.op_delete_unit),
            (2, self.op_create_profile),
            (2, self.op_share_profile),
            (1, self.op_delete_profile),
            (3, self.op_membership),
            (1, self.op_nesting),
            (1, self.op_settings),
            (1, self.op_roles),
            (1, self.op_other_user),
            (0.5, self.op_replace_group),
            (0.5, self.op_relabel_field),
            (1, self.op_signature),
            (0.5, self.op_create_template_group),
            (0.3, self.op_purge_tombstones),
        ]

    # --- client steps ----------------------------------------------------------------------

    def _client(self) -> SimClient:
        sc = self.rnd.choice(self.clients)
        # The transport's own random faults start afresh from the seed at every step: how
        # many requests earlier syncs made (pages split by random ids) can't shift them.
        sc.rnd.seed(self.rnd.getrandbits(64))
        return sc

    def _sync(self, sc: SimClient, label: str) -> SyncResult:
        before = len(sc.faults.events)
        try:
            result = sc.app.sync()
        finally:
            self._observe(sc, label)
        faults = "; ".join(sc.faults.events[before:]) or "no faults"
        self.stats["syncs"] += 1
        self.stats["failed syncs"] += result.status != "ok"
        self.stats["reconciliations"] += result.reconciled
        self.stats["faults"] += len(sc.faults.events) - before
        error = f" {result.error_code}" if result.error_code else ""
        self.note(f"  {sc.label} {label}: {result.status}{error} ({faults})")
        return result

    def _expect_fault_result(self, sc: SimClient, result: SyncResult) -> None:
        if result.status == "ok":
            return
        self.require(
            result.error_code in FAULT_ERRORS,
            f"{sc.label}: sync failed with an error faults don't explain:"
            f" {result.error_code}: {result.error}",
        )

    def step_sync(self) -> str:
        sc = self._client()
        # A sync between two steps makes a handful of requests: rates high enough that a
        # fault happens in most of them.
        sc.faults.arm(
            connect=self.rnd.choice([0.0, 0.05, 0.15]),
            drop=self.rnd.choice([0.0, 0.1, 0.25]),
            cut=self.rnd.choice([0.0, 0.3, 0.7]),
        )
        try:
            result = self._sync(sc, "sync with faults")
        finally:
            sc.faults.off()
        self._expect_fault_result(sc, result)
        return f"{sc.label}: sync with faults -> {result.status}"

    def step_crash(self) -> str:
        sc = self._client()
        # Early requests mostly: a sync between two admin steps needs only a few.
        at = self.rnd.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 7, 9])
        mode = self.rnd.choice(["before", "after", "download"])
        return self._crash_sync(sc, at, mode)

    def _crash_sync(self, sc: SimClient, at: int, mode: str, only: str | None = None) -> str:
        sc.faults.one_off(crash_at=at, mode=mode, only=only)
        target = f"{only} request" if only else "request"
        try:
            result = self._sync(sc, f"sync, crash {mode} {target} #{at}")
        except SimulatedCrash as crash:
            self.stats["crashes"] += 1
            self.restart(sc, f"crashed at {crash}")
            return f"{sc.label}: crashed ({mode}) at request {crash}; restarted"
        finally:
            sc.faults.off()
        self.require(
            result.status == "ok", f"{sc.label}: sync without faults failed: {result.error}"
        )
        return f"{sc.label}: sync ended before crash point #{at}"

    def step_drop(self) -> str:
        sc = self._client()
        at = self.rnd.choice([0, 1, 1, 2, 2, 3, 4, 5, 7])
        sc.faults.one_off(drop_at=at)
        try:
            result = self._sync(sc, f"sync, answer #{at} lost")
        finally:
            sc.faults.off()
        self._expect_fault_result(sc, result)
        return f"{sc.label}: sync with answer #{at} lost -> {result.status}"

    def step_flap(self) -> str:
        """A group is given something new and a user joins it; that user's next sync breaks
        off in the reconciliation the new scope asks for, and the administrator takes the
        membership back before the client syncs again: its scope is then once more the one
        its old cursor was made for. (op_membership takes changes back too, at random.)"""
        sc = self._client()
        user = sc.user["id"]
        outside = [g for g in self.world.groups if (g, f"user:{user}") not in self.world.members]
        if not outside:
            return f"{sc.label} is in every group already"
        group = self._pick(outside)
        # What the reconciliation fetches for the group is what could wrongly stay.
        grant = [f"group:{group}"]
        body = {"kind": "docx", "titles": {"de": self.world.next("T")}, "status": "released"}
        self._note_template(
            self._ok("POST", "/admin/templates", json={**body, "use_rights": grant})
        )
        body = {"kind": "shared", "title": self.world.next("S"), "body": self._text()}
        self._note_snippet(self._ok("POST", "/admin/snippets", json={**body, "read_rights": grant}))
        self._toggle_membership(group, user)
        # Aimed at a later manifest page, after the records of the earlier ones were
        # fetched and stored (if the reconciliation has that many pages).
        at = self.rnd.randint(1, 4)
        if self.rnd.random() < 0.5:
            sc.faults.one_off(drop_at=at, only="/sync/manifest")
            try:
                result = self._sync(sc, f"sync, answer of manifest page #{at} lost")
            finally:
                sc.faults.off()
            self._expect_fault_result(sc, result)
        else:
            mode = self.rnd.choice(["before", "after"])
            self._crash_sync(sc, at, mode, only="/sync/manifest")
        self._toggle_membership(group, user)
        return f"{sc.label} joined and left group {group} around a sync broken at page #{at}"

    def step_new_device(self) -> str:
        """The user signs in on another computer: an empty cache catches up on everything
        that happened so far, in whatever order the rows were last touched."""
        old = self._client()
        old.app.close()
        old.client = None
        self.devices += 1
        sc = self._new_client(old.index, old.user, self.devices)
        self.clients[old.index] = sc
        return f"{old.label} replaced by a new device: {sc.label}"

    def step_restart(self) -> str:
        sc = self._client()
        self.restart(sc, "restarted")
        return f"{sc.label}: restarted without syncing"

    def restart(self, sc: SimClient, why: str) -> None:
        """Throw the Client away and open a new one on its home, then check what is on disk."""
        sc.app.close()
        sc.client = self._open(sc)
        self.stats["restarts"] += 1
        self._observe(sc, why)
        status = sc.app.status()
        self.require(
            status.state.value != "syncing",
            f"{sc.label}: a fresh process reads 'syncing' from a dead sync",
        )

    def step_burst(self) -> str:
        """Several administrators commit at once while a client syncs (out-of-order commits
        on PostgreSQL: a client must not skip a change whose number was drawn earlier but
        committed later)."""
        sc = self._client()
        jobs = [self._burst_job() for _ in range(self.rnd.randint(2, 5))]
        sc.faults.arm(connect=0.0, drop=self.rnd.choice([0.0, 0.05]), cut=0.0)
        apis = [Api(self.live.url, self.live.admin.token) for _ in jobs]
        try:
            with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
                futures = [pool.submit(job.run, api) for job, api in zip(jobs, apis, strict=True)]
                result = self._sync(sc, "sync during concurrent writes")
                records = [f.result() for f in futures]
        finally:
            sc.faults.off()
            for api in apis:
                api.close()
        # Noted in the order the jobs were drawn, not the order they committed in, so the
        # choices that follow are the same in every replay.
        for job, record in zip(jobs, records, strict=True):
            job.done(record)
        self._expect_fault_result(sc, result)
        made = ", ".join(f"{job.path} {r['id']}" for job, r in zip(jobs, records, strict=True))
        return f"{sc.label}: synced during {len(jobs)} concurrent changes: {made}"

    def _burst_job(self) -> _Job:
        """A change that commutes with the others of its burst (each makes something new)."""
        kind = self.rnd.choice(["snippet", "template", "unit"])
        title = self.world.next(kind[0].upper())
        if kind == "snippet":
            body = {"kind": "shared", "title": title, "body": self._text(), "read_rights": ["*"]}
            return _Job(self, "/admin/snippets", body, self._note_snippet)
        if kind == "unit":
            return _Job(self, "/admin/units", {"title": title}, self._note_unit)
        body = {"kind": "docx", "titles": {"de": title}, "status": "released"}
        return _Job(self, "/admin/templates", body, self._note_template)

    # --- checks ----------------------------------------------------------------------------

    def _observe(self, sc: SimClient, where: str) -> None:
        store = sc.app.store
        problem = sc.watch.observe(
            f"{self.where} {where}", store.get(CURSOR), store.get_json(RECONCILE)
        )
        if problem:
            raise self.failure(problem)

    def check_instant(self) -> None:
        """What holds at any instant, also right after a crash: the cache is intact, holds
        only what the server sent, and every file it references is on disk and verified."""
        for sc in self.clients:
            self._check_store(sc)
            self._check_files(sc, exact=False)
            self.require(
                not sc.downloads_of_held_files,
                f"{sc.label}: downloaded files it held already: {sc.downloads_of_held_files}",
            )
            self.check_outbox(sc)

    def _check_store(self, sc: SimClient) -> None:
        with contextlib.closing(sqlite3.connect(sc.home / "cache.db")) as db:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
        self.require(verdict == "ok", f"{sc.label}: cache damaged: {verdict}")
        held = {(k, i, local.version, local.hash) for (k, i), local in _manifest(sc).items()}
        invented = sorted(held - sc.sent)
        self.require(not invented, f"{sc.label}: cache holds records never sent: {invented[:5]}")

    def _check_files(self, sc: SimClient, *, exact: bool) -> None:
        app = sc.app
        image_keys = {f["key"] for f in app.store.records("field") if f["type"] == "image"}
        needed = app.store.referenced_files(image_keys)
        for sha in sorted(needed):
            path = app.files.path(sha)
            self.require(path.is_file(), f"{sc.label}: file {sha[:12]} referenced, not on disk")
            self.require(_sha_of_file(path) == sha, f"{sc.label}: file {sha[:12]} is damaged")
        if exact:
            held = {p.name for p in app.files.root.glob("??/??/*") if p.is_file()}
            extra = sorted(held - needed)
            self.require(not extra, f"{sc.label}: files nothing references stay on disk: {extra}")

    def check_outbox(self, sc: SimClient) -> None:
        """No outbox entry lost - the hook for when clients upload local edits.

        There is no outbox yet. When it lands: note every entry (client mutation id) before
        each step; after it, each entry must be still queued or acknowledged by the server
        (applied, or reported as a conflict / permanent rejection), never gone silently;
        and add client-side edits to the random steps.
        """

    def check_round(self) -> None:
        """Faults off, every client syncs and must then hold exactly its user's view."""
        settings = {s["key"]: s["value"] for s in self._ok("GET", "/admin/settings")}
        for sc in self.clients:
            sc.faults.off()
            result = self._sync(sc, "clean sync")
            self.require(result.status == "ok", f"{sc.label}: clean sync failed: {result.error}")
            again = self._sync(sc, "second sync")
            self.require(
                again.status == "ok" and again.downloaded == again.deleted == again.files == 0,
                f"{sc.label}: a sync right after a sync was not a no-op: {again.to_json()}",
            )
            try:
                assert_client_matches_server(self.live, sc.app)
            except AssertionError as exc:
                raise self.failure(
                    f"{sc.label}: cache differs from the server's view: {exc}"
                ) from exc
            self._check_files(sc, exact=True)
            self._check_store(sc)
            status = sc.app.status()
            self.require(
                status.state.value == "idle" and status.last_update is not None,
                f"{sc.label}: after a good sync the status reads {status.state.value}",
            )
            held = sc.app.settings()
            for key in (CLIENT_SYNC_INTERVAL, CLIENT_SYNC_MAX_DELAY_AFTER_START):
                self.require(
                    held[key] == settings[key],
                    f"{sc.label}: holds {key}={held[key]}, the server {settings[key]}",
                )
        # Nothing changed while they synced: all must have got to the same, newest change.
        heads = {position(sc.app.store.get(CURSOR)) for sc in self.clients}
        self.require(
            len(heads) == 1 and all(h is not None and h[1] == 0 for h in heads),
            f"clients ended clean syncs at different places: {sorted(map(str, heads))}",
        )
        views = [len(server_view(self.live, sc.user["id"])) for sc in self.clients]
        self.note(f"check passed; views hold {views} records")

    # --- admin steps: templates ------------------------------------------------------------

    def _note_template(self, record: dict[str, Any]) -> None:
        self.world.templates[record["id"]] = {
            "active": record["active"],
            "langs": set(record["files"]),
        }

    def op_create_template_group(self) -> str:
        record = self._ok(
            "POST", "/admin/template-groups", json={"titles": {"de": self.world.next("TG")}}
        )
        self.world.template_groups.append(record["id"])
        return f"template group {record['id']} created"

    def op_create_template(self) -> str:
        status = self.rnd.choice(["released", "released", "released", "in_test", "in_progress"])
        body: dict[str, Any] = {
            "kind": "docx",
            "titles": {"de": self.world.next("T")},
            "status": status,
            "use_rights": self._rights(),
            "change_rights": self._change_rights(),
        }
        group = self._pick([*self.world.template_groups, None])
        if group is not None:
            body["group_id"] = group
        record = self._ok("POST", "/admin/templates", json=body)
        self._note_template(record)
        langs = ["de", "en"] if self.rnd.random() < 0.3 else ["de"]
        for lang in langs if self.rnd.random() < 0.9 else []:
            self._set_file(record["id"], lang)
        return f"template {record['id']} created ({status}, use {body['use_rights']})"

    def _set_file(self, template: str, lang: str) -> None:
        sha = self._docx()
        self._ok(
            "PUT",
            f"/admin/templates/{template}/files/{lang}",
            json={"sha256": sha, "filename": f"{self.world.next('f')}.docx"},
        )
        self.world.templates[template]["langs"].add(lang)

    def _template(self, active: bool | None = None) -> str | None:
        return self._pick(
            t for t, v in self.world.templates.items() if active is None or v["active"] == active
        )

    def op_update_template(self) -> str:
        template = self._template()
        if template is None:
            return "no template to update"
        body = {"titles": {"de": self.world.next("T")}, "order": self.rnd.randint(0, 9)}
        if self.rnd.random() < 0.5:
            body["descriptions"] = {"de": self.world.next("D")}
        self._ok("PATCH", f"/admin/templates/{template}", json=body)
        return f"template {template} retitled"

    def op_set_template_file(self) -> str:
        template = self._template()
        if template is None:
            return "no template for a file"
        lang = self.rnd.choice(["de", "de", "en"])
        self._set_file(template, lang)
        return f"template {template} file {lang} set"

    def op_remove_template_file(self) -> str:
        template = self._pick(t for t, v in self.world.templates.items() if v["langs"])
        if template is None:
            return "no template file to remove"
        lang = self._pick(sorted(self.world.templates[template]["langs"]))
        self._ok("DELETE", f"/admin/templates/{template}/files/{lang}")
        self.world.templates[template]["langs"].discard(lang)
        return f"template {template} file {lang} removed"

    def op_set_status(self) -> str:
        template = self._template()
        if template is None:
            return "no template for a status"
        status = self.rnd.choice(["released", "in_test"])
        self._ok("POST", f"/admin/templates/{template}/status", json={"status": status})
        return f"template {template} set {status}"

    def op_set_use_rights(self) -> str:
        template = self._template()
        if template is None:
            return "no template for use rights"
        rights = self._rights()
        self._ok("PATCH", f"/admin/templates/{template}", json={"use_rights": rights})
        return f"template {template} use rights {rights}"

    def op_set_change_rights(self) -> str:
        template = self._template()
        if template is None:
            return "no template for change rights"
        rights = self._change_rights()
        self._ok("PATCH", f"/admin/templates/{template}", json={"change_rights": rights})
        return f"template {template} change rights {rights}"

    def op_move_template(self) -> str:
        template, group = self._template(), self._pick(self.world.template_groups)
        if template is None or group is None:
            return "no template to move"
        self._ok("PATCH", f"/admin/templates/{template}", json={"group_id": group})
        return f"template {template} moved to group {group}"

    def op_deactivate_template(self) -> str:
        template = self._template(active=True)
        if template is None:
            return "no active template"
        self._ok("POST", f"/admin/templates/{template}/deactivate")
        self.world.templates[template]["active"] = False
        return f"template {template} deactivated"

    def op_restore_template(self) -> str:
        template = self._template(active=False)
        if template is None:
            return "no deactivated template"
        self._ok("POST", f"/admin/templates/{template}/restore")
        self.world.templates[template]["active"] = True
        return f"template {template} restored"

    def op_purge_template(self) -> str:
        template = self._template()
        if template is None:
            return "no template to purge"
        self._purge_template(template)
        return f"template {template} purged"

    def _purge_template(self, template: str) -> None:
        if self.world.templates[template]["active"]:
            self._ok("POST", f"/admin/templates/{template}/deactivate")
        self._ok("DELETE", f"/admin/templates/{template}")
        del self.world.templates[template]
        for snippet, info in list(self.world.snippets.items()):
            if info.get("template_id") == template:
                del self.world.snippets[snippet]

    # --- admin steps: snippets -------------------------------------------------------------

    def _note_snippet(self, record: dict[str, Any]) -> None:
        self.world.snippets[record["id"]] = {
            "kind": record["kind"],
            "template_id": record["template_id"],
            "owner_id": record["owner_id"],
        }

    def op_create_snippet(self) -> str:
        kind = self.rnd.choice(["shared", "shared", "personal", "template"])
        body: dict[str, Any] = {"kind": kind, "title": self.world.next("S"), "body": self._text()}
        if kind == "shared":
            body["read_rights"] = self._rights() or ["*"]
        elif kind == "personal":
            body["owner_id"] = self._pick(self.world.users)
        else:
            template = self._template()
            if template is None:
                return "no template for a template snippet"
            body["template_id"] = template
        record = self._ok("POST", "/admin/snippets", json=body)
        self._note_snippet(record)
        return f"{kind} snippet {record['id']} created"

    def _editable_snippet(self) -> str | None:
        """A snippet someone can still change: a personal one needs its owner active."""
        users = self.world.users
        return self._pick(
            s
            for s, v in self.world.snippets.items()
            if v["owner_id"] is None or users[v["owner_id"]]["active"]
        )

    def op_update_snippet(self) -> str:
        snippet = self._editable_snippet()
        if snippet is None:
            return "no snippet to update"
        body: dict[str, Any] = {"body": self._text()}
        if self.rnd.random() < 0.3:
            body = {"title": self.world.next("S")}
        elif self.world.snippets[snippet]["kind"] == "shared" and self.rnd.random() < 0.5:
            body = {"read_rights": self._rights() or ["*"]}
        self._ok("PATCH", f"/admin/snippets/{snippet}", self._editor(snippet), json=body)
        return f"snippet {snippet} changed: {sorted(body)}"

    def op_delete_snippet(self) -> str:
        snippet = self._editable_snippet()
        if snippet is None:
            return "no snippet to delete"
        self._ok("DELETE", f"/admin/snippets/{snippet}", self._editor(snippet))
        del self.world.snippets[snippet]
        return f"snippet {snippet} deleted"

    def _editor(self, snippet: str) -> Api | None:
        """Who may change the snippet: a personal one only its owner, even for Sys."""
        owner = self.world.snippets[snippet]["owner_id"]
        if owner is None:
            return None
        if owner not in self.sessions:
            self.sessions[owner] = self.live.login(self.world.users[owner]["login"])
        return self.sessions[owner]

    # --- admin steps: units and profiles ---------------------------------------------------

    def _note_unit(self, record: dict[str, Any]) -> None:
        self.world.units[record["id"]] = record["parent_id"]

    def op_create_unit(self) -> str:
        body: dict[str, Any] = {"title": self.world.next("U")}
        parent = self._pick([*self.world.units, None])
        if parent is not None:
            body["parent_id"] = parent
        if self.rnd.random() < 0.4:
            body["fields"] = {self.logo_field: self._image()}
        record = self._ok("POST", "/admin/units", json=body)
        self._note_unit(record)
        return f"unit {record['id']} created under {parent}"

    def op_move_unit(self) -> str:
        unit = self._pick(self.world.units)
        if unit is None:
            return "no unit to move"
        below = self.world.subunits(unit)
        parent = self._pick([u for u in self.world.units if u not in below] + [None])
        body = {"parent_id": parent} if parent is not None else {"move_to_root": True}
        self._ok("PATCH", f"/admin/units/{unit}", json=body)
        self.world.units[unit] = parent
        return f"unit {unit} moved under {parent}"

    def op_update_unit(self) -> str:
        unit = self._pick(self.world.units)
        if unit is None:
            return "no unit to change"
        logo = self._image() if self.rnd.random() < 0.7 else None
        body = {"fields": {self.logo_field: logo}, "title": self.world.next("U")}
        self._ok("PATCH", f"/admin/units/{unit}", json=body)
        return f"unit {unit} logo {logo and logo[:8]}"

    def op_delete_unit(self) -> str:
        unit = self._pick(self.world.units)
        if unit is None:
            return "no unit to delete"
        if self._maybe("DELETE", f"/admin/units/{unit}", (409,)) is None:
            return f"unit {unit} still in use"
        del self.world.units[unit]
        return f"unit {unit} deleted"

    def op_create_profile(self) -> str:
        owner = self._pick(self.world.users)
        body: dict[str, Any] = {"owner_id": owner, "title": self.world.next("P")}
        unit = self._pick([*self.world.units, None])
        if unit is not None:
            body["unit_id"] = unit
        others = [u for u in self.world.users if u != owner]
        body["shared_with"] = self.rnd.sample(others, self.rnd.randint(0, min(2, len(others))))
        record = self._ok("POST", "/admin/profiles", json=body)
        self.world.profiles[record["id"]] = {"owner_id": owner, "unit_id": unit}
        return f"profile {record['id']} of {owner} shared with {body['shared_with']}"

    def op_share_profile(self) -> str:
        profile = self._pick(self.world.profiles)
        if profile is None:
            return "no profile to share"
        owner = self.world.profiles[profile]["owner_id"]
        others = [u for u in self.world.users if u != owner]
        shared = self.rnd.sample(others, self.rnd.randint(0, min(3, len(others))))
        self._ok("PATCH", f"/admin/profiles/{profile}", json={"shared_with": shared})
        return f"profile {profile} shared with {shared}"

    def op_delete_profile(self) -> str:
        profile = self._pick(self.world.profiles)
        if profile is None:
            return "no profile to delete"
        self._ok("DELETE", f"/admin/profiles/{profile}")
        del self.world.profiles[profile]
        return f"profile {profile} deleted"

    # --- admin steps: accounts and settings ------------------------------------------------

    def _create_group(self) -> str:
        record = self._ok(
            "POST", "/admin/groups", json={"name": f"sim-{self.tag}-{self.world.next('g')}"}
        )
        self.world.groups.append(record["id"])
        return str(record["id"])

    def _create_user(self, roles: list[str], *, client: bool) -> str:
        login = f"s{self.tag}{self.world.next('u')}"
        record = self._ok(
            "POST", "/admin/users", json={"login": login, "roles": roles, "password": PASSWORD}
        )
        self.world.users[record["id"]] = {
            "id": record["id"],
            "login": login,
            "client": client,
            "active": True,
            "roles": [roles],  # every role set it had, the current one last
        }
        return str(record["id"])

    def _add_member(self, group: str, principal: str) -> None:
        kind, _, ident = principal.partition(":")
        self._ok("POST", f"/admin/groups/{group}/members", json={f"{kind}_id": ident})
        self.world.members[(group, principal)] = None

    def op_membership(self) -> str:
        group = self._pick(self.world.groups)
        user = self._pick(self.world.users)
        last = self.last_membership
        # Administrators take back what they just did: a scope that flaps back to what
        # a client's cursor was made for.
        known = last is not None and last[0] in self.world.groups and last[1] in self.world.users
        if last is not None and known and self.rnd.random() < 0.4:
            group, user = last
        self.last_membership = (group, user)
        return self._toggle_membership(group, user)

    def _toggle_membership(self, group: str, user: str) -> str:
        principal = f"user:{user}"
        if (group, principal) in self.world.members:
            self._ok("DELETE", f"/admin/groups/{group}/members/users/{user}")
            del self.world.members[(group, principal)]
            return f"user {user} left group {group}"
        self._add_member(group, principal)
        return f"user {user} joined group {group}"

    def op_nesting(self) -> str:
        nested = [m for m in self.world.members if m[1].startswith("group:")]
        if nested and self.rnd.random() < 0.5:
            group, principal = self.rnd.choice(nested)
            member = principal.removeprefix("group:")
            self._ok("DELETE", f"/admin/groups/{group}/members/groups/{member}")
            del self.world.members[(group, principal)]
            return f"group {member} no longer nested in {group}"
        group = self._pick(self.world.groups)
        candidates = [g for g in self.world.groups if group not in self.world.subgroups(g)]
        member = self._pick(
            c for c in candidates if (group, f"group:{c}") not in self.world.members
        )
        if member is None:
            return "no group to nest"
        self._add_member(group, f"group:{member}")
        return f"group {member} nested in {group}"

    def op_replace_group(self) -> str:
        """Delete a group (members lose what it granted) and make a fresh one."""
        group = self._pick(self.world.groups)
        self._ok("DELETE", f"/admin/groups/{group}")
        self.world.groups.remove(group)
        self.world.members = {
            m: None for m in self.world.members if m[0] != group and m[1] != f"group:{group}"
        }
        fresh = self._create_group()
        for user in self.rnd.sample(list(self.world.users), 2):
            self._add_member(fresh, f"user:{user}")
        return f"group {group} deleted, {fresh} created"

    def op_signature(self) -> str:
        """A user's signature (an image field of users): every client holds every user."""
        user = self._pick(self.world.users)
        image = self._image() if self.rnd.random() < 0.8 else ""
        fields = {self.signature_field: image} if image else {}
        self._ok("PATCH", f"/admin/users/{user}", json={"fields": fields})
        return f"user {user} signature {image[:8] or 'removed'}"

    def op_relabel_field(self) -> str:
        """Touches the image field after the units that use it: a client that doesn't hold
        the field yet then meets those units before it learns their logos are files."""
        field_id = self.rnd.choice([self.logo_field_id, self.signature_field_id])
        label = self.world.next("Label ")
        self._ok("PATCH", f"/admin/fields/{field_id}", json={"labels": {"de": label}})
        return f"field {field_id} relabelled"

    def op_settings(self) -> str:
        minutes = self.rnd.randint(1, 24 * 60)
        self._ok(
            "PATCH", "/admin/settings", json={"values": {CLIENT_SYNC_INTERVAL: minutes * MINUTE_MS}}
        )
        return f"{CLIENT_SYNC_INTERVAL} = {minutes} min"

    def op_roles(self) -> str:
        sc = self._client()
        roles = self.rnd.choice(_ROLE_SETS)
        previous = sc.user.get("roles", [])
        if previous and self.rnd.random() < 0.4:
            roles = previous[-1]  # taken back, see op_membership
        sc.user["roles"] = [*previous, roles]
        self._ok("PATCH", f"/admin/users/{sc.user['id']}", json={"roles": roles})
        return f"{sc.label} now has roles {roles}"

    def op_other_user(self) -> str:
        """Users who don't sync here: renamed, deactivated, restored or deleted for good."""
        user = self._pick(u for u, v in self.world.users.items() if not v["client"])
        if user is None:
            return "no other user"
        info = self.world.users[user]
        roll = self.rnd.random()
        if roll < 0.3:
            self._ok("PATCH", f"/admin/users/{user}", json={"display_name": self.world.next("N")})
            return f"user {user} renamed"
        if roll < 0.8:
            action = "restore" if not info["active"] else "deactivate"
            self._ok("POST", f"/admin/users/{user}/{action}")
            info["active"] = not info["active"]
            return f"user {user}: {action}"
        if info["active"]:
            self._ok("POST", f"/admin/users/{user}/deactivate")
        self._ok("DELETE", f"/admin/users/{user}")
        self._forget_user(user)
        fresh = self._create_user(self.rnd.choice(_ROLE_SETS), client=False)
        return f"user {user} deleted for good, {fresh} created"

    def _forget_user(self, user: str) -> None:
        world = self.world
        del world.users[user]
        self.sessions.pop(user, None)
        world.members = {m: None for m in world.members if m[1] != f"user:{user}"}
        world.profiles = {p: v for p, v in world.profiles.items() if v["owner_id"] != user}
        world.snippets = {s: v for s, v in world.snippets.items() if v["owner_id"] != user}

    def op_purge_tombstones(self) -> str:
        """The server's housekeeping with a retention of zero: every client whose cursor
        is older than the newest deletion must reconcile instead of missing it."""
        from docshelf.server.db.engine import Database
        from docshelf.server.maintenance import purge_tombstones

        if self._db is None:
            url = self.live.database_url
            if url is None:
                url = f"sqlite:///{(self.live.process.data_dir / 'docshelf.db').resolve()}"
            self._db = Database(url)
        dropped = purge_tombstones(self._db, timedelta(0))
        return f"tombstones purged: {dropped}"


@dataclass
class _Job:
    """One creation of a concurrent burst: run from a thread, noted from the main one."""

    sim: Simulation
    path: str
    body: dict[str, Any]
    done: Callable[[dict[str, Any]], None]

    def run(self, api: Api) -> dict[str, Any]:
        return dict(self.sim._ok("POST", self.path, api, json=self.body))


_ROLE_SETS = [["user"], ["user"], ["layouter"], ["org"], ["layouter", "org"], ["sys"]]


def _manifest(sc: SimClient) -> dict[tuple[str, str], Any]:
    return sc.app.store.manifest()


class _WatchedHttp(httpx.Client):
    """The client's httpx.Client; notes a download of a file the client holds already."""

    def __init__(self, sc: SimClient, transport: FaultyTransport) -> None:
        super().__init__(transport=transport, timeout=60, trust_env=False)
        self._sc = sc

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and "/blobs/" in path and self._sc.client is not None:
            sha = path.rsplit("/", 1)[-1]
            if self._sc.client.files.has(sha):
                self._sc.downloads_of_held_files.append(sha)
        return super().send(request, **kwargs)
