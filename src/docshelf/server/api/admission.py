"""Admission control: each server process caps its concurrent heavy requests.

Initial syncs, reconciliations, file downloads and uploads are what a Monday morning or a
package import brings in bulk. Beyond the cap the server answers 503 with a
``Retry-After`` (spread at random, so the refused clients don't come back
together); clients back off with jitter. Polls with a cursor are cheap and always
admitted.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from docshelf.protocol import API_PREFIX
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem

_HEAVY_PREFIXES = (
    f"{API_PREFIX}/sync/manifest",
    f"{API_PREFIX}/sync/records",
    f"{API_PREFIX}/admin/packages/",
)
_BLOBS = f"{API_PREFIX}/blobs/"
_PACK = f"{API_PREFIX}/blobs/pack"
_CHANGES = f"{API_PREFIX}/sync/changes"


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


class HeavyRequestLimit:
    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        heavy: Callable[[Scope], bool] = is_heavy,
        rnd: random.Random | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.heavy = heavy
        self.in_flight = 0  # one event loop per process: no lock needed
        self._rnd = rnd or random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.heavy(scope):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await self._refuse(send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, send: Send) -> None:
        retry_after = self._rnd.randint(2, 10)
        body = Problem(
            title="Server busy",
            status=503,
            detail="The server is serving many downloads at the moment; try again shortly.",
            code="unavailable",
            retry_after=retry_after,
        ).model_dump_json(exclude_none=True)
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"retry-after", str(retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
