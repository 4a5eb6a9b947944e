"""``GET /metrics``: the scrape, for those ``MetricsAccess`` lets in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from docshelf.domain.errors import Forbidden, NotAuthenticated
from docshelf.i18n import tr
from docshelf.server.metrics.access import MetricsAccess, Refusal
from docshelf.server.metrics.instruments import Metrics

PATH = "/metrics"


def scrape(metrics: Metrics, access: MetricsAccess) -> Callable[[Request], Awaitable[Response]]:
    async def metrics_endpoint(request: Request) -> Response:
        peer = request.client.host if request.client is not None else None
        refusal = access.decide(peer, request.headers.get("authorization"))
        if refusal is Refusal.NETWORK:
            raise Forbidden(
                tr(
                    "The metrics may not be read from this address; the server's"
                    " DOCSHELF_METRICS_NETWORKS names who may."
                )
            )
        if refusal is Refusal.TOKEN:
            raise NotAuthenticated(
                tr(
                    "Reading the metrics needs the token set in DOCSHELF_METRICS_TOKEN, sent as"
                    " a bearer token."
                )
            )
        if metrics.multiprocess_dir is None:
            body = metrics.render()
        else:
            body = await anyio.to_thread.run_sync(metrics.render)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics_endpoint
