"""Admission control: each server process caps its concurrent heavy requests.

Initial syncs, reconciliations, file downloads and uploads are what a Monday morning or a
package import brings in bulk. Beyond the cap the server answers 503 with a
``Retry-After`` (spread at random, so the refused clients don't come back
together); clients back off with jitter. Polls with a cursor are cheap and always
admitted.

A slot goes only to a signed-in device, and to one device only a few of them: the token
is checked before a slot is taken, so that sockets without a valid token (or one device
opening many connections) can't take the slots signed-in clients need. Requests without a
valid token are answered 401 here, as the route would answer them.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docshelf.domain.errors import DocshelfError, NotAuthenticated
from docshelf.i18n import N_, ntr, tr
from docshelf.protocol import API_PREFIX
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem
from docshelf.server.api.middleware import request_id
from docshelf.server.metrics import Metrics

_HEAVY_PREFIXES = (
    f"{API_PREFIX}/sync/manifest",
    f"{API_PREFIX}/sync/records",
    f"{API_PREFIX}/admin/packages/",
)
_BLOBS = f"{API_PREFIX}/blobs/"
_PACK = f"{API_PREFIX}/blobs/pack"
_CHANGES = f"{API_PREFIX}/sync/changes"
_AUTHORIZATION = b"authorization"
NO_TOKEN = N_("Sign in first: this request carries no device token.")

# A device token -> the key its slots are counted under (the device's id); raises
# NotAuthenticated for an unknown, revoked or deactivated one.
Identify = Callable[[str], str]


def is_heavy(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    method = scope.get("method")
    if path.startswith(_HEAVY_PREFIXES):
        return True
    if path.startswith(_BLOBS):
        # Moving files' bytes either way is heavy; asking how far an upload got, or which
        # files are missing, is not.
        if method == "POST":
            return path == _PACK
        return method == "PUT" or (method == "GET" and not path.endswith("/upload"))
    # A pull without a cursor is a whole initial sync.
    return path == _CHANGES and b"cursor=" not in scope.get("query_string", b"")


def per_client_limit(limit: int) -> int:
    """Slots one device may hold at once: a quarter of the cap, at least one."""
    return max(1, limit // 4)


def bearer_token(scope: Scope) -> str | None:
    """The one bearer token of the request; None for none, another scheme or two headers."""
    values = [v for n, v in scope.get("headers", ()) if n == _AUTHORIZATION]
    if len(values) != 1:
        return None
    scheme, _, credentials = bytes(values[0]).decode("latin-1").partition(" ")
    token = credentials.strip()
    return token if scheme.lower() == "bearer" and token else None


class HeavyRequestLimit:
    """``in_thread``: check the token on a worker thread (a database across the network
    must not hold up the event loop; SQLite answers from the page cache sooner)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        identify: Identify,
        *,
        per_client: int | None = None,
        in_thread: bool = True,
        heavy: Callable[[Scope], bool] = is_heavy,
        rnd: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.per_client = per_client or per_client_limit(limit)
        self.identify = identify
        self.in_thread = in_thread
        self.heavy = heavy
        # One event loop per process: no lock needed, as long as nothing awaits between
        # the check of a count and its increment.
        self.in_flight = 0
        self.by_client: dict[str, int] = {}
        self._rnd = rnd or random.Random()
        self.metrics = metrics
        if metrics is not None:
            metrics.heavy_limit.set(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.heavy(scope):
            await self.app(scope, receive, send)
            return
        client = await self._client(scope, send)
        if client is None:
            return  # refused already
        held = self.by_client.get(client, 0)
        if held >= self.per_client:
            detail = ntr(
                "This device already has {n} large download or upload running; wait for it"
                " to finish.",
                "This device already has {n} large downloads or uploads running; wait for"
                " them to finish.",
                held,
            )
            if self.metrics is not None:
                self.metrics.heavy_refusal("device")
            title = tr("Too many requests")
            await self._refuse(scope, send, 429, title, detail, "too_many_requests")
            return
        if self.in_flight >= self.limit:
            if self.metrics is not None:
                self.metrics.heavy_refusal("busy")
            detail = tr("The server is serving many downloads at the moment; try again shortly.")
            await self._refuse(scope, send, 503, tr("Server busy"), detail, "unavailable")
            return
        self.in_flight += 1
        self.by_client[client] = held + 1
        if self.metrics is not None:
            self.metrics.heavy_in_use.inc()
        slot = _Slot(self, client)
        try:
            await self.app(scope, receive, slot.sending(send))
        finally:
            slot.release()

    def _give_back(self, client: str) -> None:
        if self.metrics is not None:
            self.metrics.heavy_in_use.dec()
        self.in_flight -= 1
        left = self.by_client[client] - 1
        if left:
            self.by_client[client] = left
        else:
            del self.by_client[client]

    async def _client(self, scope: Scope, send: Send) -> str | None:
        """The key of the signed-in device, or None after answering the request."""
        token = bearer_token(scope)
        if token is None:
            await _signed_out(scope, send, NotAuthenticated(tr(NO_TOKEN)))
            return None
        try:
            if self.in_thread:
                return await anyio.to_thread.run_sync(self.identify, token)
            return self.identify(token)
        except NotAuthenticated as exc:
            await _signed_out(scope, send, exc)
        except (DocshelfError, OperationalError):
            detail = tr("The database is not reachable or busy; try again shortly.")
            await self._refuse(scope, send, 503, tr("Server busy"), detail, "unavailable")
        return None

    async def _refuse(
        self, scope: Scope, send: Send, status: int, title: str, detail: str, code: str
    ) -> None:
        retry_after = self._rnd.randint(2, 10)
        problem = Problem(
            title=title,
            status=status,
            detail=detail,
            code=code,
            retry_after=retry_after,
            request_id=request_id(scope),
        )
        await _answer(send, problem, (b"retry-after", str(retry_after).encode()))


async def _signed_out(scope: Scope, send: Send, exc: NotAuthenticated) -> None:
    problem = Problem(
        title=exc.title,
        status=401,
        detail=exc.message,
        code=exc.code,
        request_id=request_id(scope),
    )
    await _answer(send, problem, (b"www-authenticate", b"Bearer"))


async def _answer(send: Send, problem: Problem, header: tuple[bytes, bytes]) -> None:
    body = problem.model_dump_json(exclude_none=True).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        header,
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Slot:
    """A heavy request's slot, given back once the answer's last byte is handed to the
    server: the client may see it at once and send its next request, which must not find
    the slot still taken while this request unwinds through the middleware (that cost a
    429 and a wait of seconds now and then in the middle of a first sync)."""

    def __init__(self, limit: HeavyRequestLimit, client: str) -> None:
        self._limit = limit
        self._client = client
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._limit._give_back(self._client)

    def sending(self, send: Send) -> Send:
        async def send_then_release(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.release()

        return send_then_release
