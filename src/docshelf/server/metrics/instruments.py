"""The metrics themselves, one ``Metrics`` per app (its own registry, no import-time
globals), and what each instrumentation point tells them.

Our server runs one process per ``docshelf server``; several of them behind a load
balancer are several scrape targets, each reporting its own process. Should a process
manager run several workers of the app in one process tree, set
``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, before the workers start):
prometheus_client then keeps every value in a file there and a scrape of any worker adds
up all of them (gauges of live workers only; see ``_LIVE_SUM``).
"""

from __future__ import annotations

import os
import types
from collections.abc import Iterable
from typing import Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from starlette.routing import BaseRoute
from starlette.types import Scope

from docshelf.protocol import API_PREFIX
from docshelf.server.metrics.routes import RouteNames

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Set in the scope by the layers that answer before routing (quick poll).
QUICK = "docshelf.quick"

POLL = f"{API_PREFIX}/sync/changes"
FILE_ROUTES = frozenset({f"{API_PREFIX}/blobs/{{sha256}}", f"{API_PREFIX}/blobs/pack"})
DASHBOARD = "/dashboard"
_DASHBOARD_STATIC = "/dashboard/static/"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# An up-to-date poll takes about a millisecond; a dashboard page tens of them.
POLL_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
PAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Modules whose exceptions are the file store's, whatever they are (also a store that
# becomes a package of several backends under this name).
BLOB_STORE_MODULE = "docshelf.server.blobstore"
# Set in the scope by the error handler when the file store refused a request.
BLOB_STORE_FAILED: Final = "docshelf.blob_store_failed"
_LIVE_SUM: Final = "livesum"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROCESS_VARIABLE) or None


class Metrics:
    def __init__(self, routes: RouteNames | None = None) -> None:
        # The *_created series would double the output and nobody alerts on them.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.routes = routes or RouteNames()
        self.multiprocess_dir = multiprocess_dir()
        self.registry = CollectorRegistry()
        r = self.registry
        if self.multiprocess_dir is None:
            ProcessCollector(registry=r)  # memory, CPU, open files (each hint stream is one)
        self.requests = Counter(
            "docshelf_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.poll_seconds = Histogram(
            "docshelf_poll_duration_seconds",
            "Time to answer a poll (GET /api/v1/sync/changes with a cursor); answer is"
            " 'quick' for an up-to-date poll answered before routing, else 'route'.",
            ["answer"],
            buckets=POLL_BUCKETS,
            registry=r,
        )
        self.page_seconds = Histogram(
            "docshelf_dashboard_page_duration_seconds",
            "Time to answer a dashboard page (GET), by route template.",
            ["route"],
            buckets=PAGE_BUCKETS,
            registry=r,
        )
        self.file_bytes = Counter(
            "docshelf_file_bytes_sent",
            "Bytes of stored files sent to clients (downloads and packs).",
            ["route"],
            registry=r,
        )
        self.heavy_in_use = Gauge(
            "docshelf_heavy_requests_in_use",
            "Heavy-request slots in use (initial syncs, downloads, uploads, packages).",
            registry=r,
            multiprocess_mode=_LIVE_SUM,
        )
        self.heavy_limit = Gauge(
            "docshelf_heavy_requests_limit",
            "Heavy-request slots (DOCSHELF_MAX_HEAVY_REQUESTS).",
            registry=r,
            multiprocess_mode=_LIVE_SUM,
        )
        self.heavy_refused = Counter(
            "docshelf_heavy_requests_refused",
            "Heavy requests refused: reason 'busy' (every slot taken, 503) or 'device'"
            " (the device holds its share, 429).",
            ["reason"],
            registry=r,
        )
        self.hint_streams = Gauge(
            "docshelf_hint_streams",
            "Change-hint streams held open.",
            registry=r,
            multiprocess_mode=_LIVE_SUM,
        )
        self.newest_change = Gauge(
            "docshelf_newest_change",
            "The newest change number the process has heard of.",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.db_pool_checked_out = Gauge(
            "docshelf_db_pool_checked_out",
            "Database connections in use (checked out of the pool).",
            registry=r,
            multiprocess_mode=_LIVE_SUM,
        )
        self.db_pool_limit = Gauge(
            "docshelf_db_pool_limit",
            "Database connections the pool opens at most (its size and overflow).",
            registry=r,
            multiprocess_mode=_LIVE_SUM,
        )
        self.blob_store_errors = Counter(
            "docshelf_blob_store_errors",
            "Requests that failed in the file store (an OSError, or any error the blob"
            " store raised), by route template.",
            ["route"],
            registry=r,
        )
        for reason in ("busy", "device"):
            self.heavy_refused.labels(reason)
        # Label lookups take a lock and build a key: the hot paths keep their children.
        self._quick_polls = self.poll_seconds.labels("quick")
        self._routed_polls = self.poll_seconds.labels("route")
        self._requests: dict[tuple[str, str, int], Counter] = {}

    def learn_routes(self, routes: Iterable[BaseRoute], prefix: str = "") -> None:
        self.routes.learn(routes, prefix)

    # --- instrumentation points -------------------------------------------------------------

    def request_done(self, scope: Scope, status: int, seconds: float, sent: int) -> None:
        """One HTTP request answered (RequestLog, the outermost layer)."""
        route = self.routes.template(scope)
        method = scope.get("method", "")
        key = (route, method if method in _METHODS else "other", status)
        child = self._requests.get(key)
        if child is None:
            child = self._requests[key] = self.requests.labels(key[0], key[1], str(status))
        child.inc()
        if scope.get(BLOB_STORE_FAILED):
            # Answered (a 503 problem), so it never left the app through request_failed.
            self.blob_store_errors.labels(route).inc()
        if route == POLL and method == "GET" and b"cursor=" in scope.get("query_string", b""):
            (self._quick_polls if scope.get(QUICK) else self._routed_polls).observe(seconds)
        elif route in FILE_ROUTES:
            if sent:
                self.file_bytes.labels(route).inc(sent)
        elif (
            method == "GET"
            and route.startswith(DASHBOARD)
            and not route.startswith(_DASHBOARD_STATIC)
        ):
            self.page_seconds.labels(route).observe(seconds)

    def request_failed(self, scope: Scope, exc: BaseException) -> None:
        """An exception left the application (every unexpected error passes here)."""
        if is_blob_store_error(exc):
            self.blob_store_errors.labels(self.routes.template(scope)).inc()

    def heavy_refusal(self, reason: str) -> None:
        self.heavy_refused.labels(reason).inc()

    # --- the scrape ---------------------------------------------------------------------------

    def render(self) -> bytes:
        """The text format: this process's registry, or in multiprocess mode every
        process's values from the shared directory (file reads: call off the event loop)."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    def process_stopped(self) -> None:
        """Drop this process's live gauges from the shared directory (multiprocess mode)."""
        if self.multiprocess_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]


def is_blob_store_error(exc: BaseException) -> bool:
    """A failure of the file store: an OSError (a full disk, a mount gone, a file that
    vanished or can't be read; not a broken connection), or anything raised from the blob
    store's modules. Errors
    meant for the caller (DocshelfError: not found, hash mismatch) are handled before
    they get here and never count."""
    if isinstance(exc, ConnectionError) or type(exc).__module__.startswith("uvicorn"):
        return False  # the network: a client that went away
    if isinstance(exc, OSError):
        return True
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith(BLOB_STORE_MODULE):
            return True
        tb = tb.tb_next
    return False
