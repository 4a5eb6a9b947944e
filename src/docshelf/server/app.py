"""The application factory: one FastAPI app per ServerSettings, no import-time globals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.types import Scope

import docshelf
from docshelf.protocol import API_PREFIX
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem
from docshelf.protocol.sync import ChangesPage
from docshelf.server import dashboard, processes
from docshelf.server.api import docs, errors
from docshelf.server.api.admission import HeavyRequestLimit
from docshelf.server.api.body_pace import BodyPace
from docshelf.server.api.json_depth import JsonDepth
from docshelf.server.api.language import RequestLanguage
from docshelf.server.api.middleware import BodyLimit, RequestLog
from docshelf.server.api.quick_blob import QuickBlob
from docshelf.server.api.quick_poll import QuickPoll
from docshelf.server.api.routes import (
    auth,
    blobs,
    explain,
    groups,
    health,
    hints,
    mutations,
    organisation,
    packages,
    snippets,
    sync,
    templates,
    users,
)
from docshelf.server.api.routes import settings as settings_routes
from docshelf.server.config import ServerSettings
from docshelf.server.db.models import utcnow
from docshelf.server.hints.source import PgListener, check_counter, read_counter
from docshelf.server.maintenance import (
    purge_applied_mutations,
    purge_partial_uploads,
    purge_tombstones,
)
from docshelf.server.metrics import Metrics, MetricsAccess
from docshelf.server.metrics import endpoint as metrics_endpoint
from docshelf.server.services import auth as auth_service
from docshelf.server.state import ServerState
from docshelf.server.sync.service import poll

_PROBLEMS = {
    400: "Malformed request",
    401: "Signed out: no, unknown or revoked device token",
    403: "Not allowed for the caller's roles and rights",
    404: "No such object, or not visible to the caller",
    408: "The request body arrived too slowly or stopped arriving",
    409: "Clashes with the current state (e.g. an outdated expected_version)",
    413: "Request body over the limit",
    422: "Invalid input; `errors` names the fields",
    429: "Too many requests; see Retry-After",
    503: "Busy or not ready; see Retry-After",
}
# Every operation may answer with these; declared so clients and checkers know the shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": text,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, text in _PROBLEMS.items()
}


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: ServerSettings, state: ServerState | None = None) -> FastAPI:
    state = state or ServerState.build(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watching = ExitStack()
        watching.enter_context(_watch(state, metrics))
        stop_hints = await _start_hints(state)
        this = processes.ThisProcess.new()
        tasks = [
            asyncio.create_task(_housekeeping(state)),
            asyncio.create_task(_count_syncs(state)),
            asyncio.create_task(check_counter(state.db, state.hints)),
            asyncio.create_task(_report_process(state, this)),
        ]
        yield
        for task in tasks:
            task.cancel()
        await stop_hints()
        await asyncio.to_thread(_flush_activity, state)
        await asyncio.to_thread(_forget_process, state, this)
        watching.close()
        metrics.process_stopped()
        state.db.dispose()

    app = FastAPI(
        title="docshelf",
        version=docshelf.__version__,
        description="Keeps document templates, snippets, profiles and units in sync.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from the package, see api/docs.py
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        responses=PROBLEM_RESPONSES,
    )
    app.state.docshelf = state
    errors.install(app)

    # Starlette tries routes in order: every client polls /sync/changes and fetches
    # /blobs, so those come first and a poll doesn't test thirty other paths.
    api_modules = (
        sync,
        hints,
        blobs,
        auth,
        users,
        groups,
        explain,
        organisation,
        templates,
        snippets,
        settings_routes,
        mutations,
        packages,
    )
    for module in api_modules:
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(health.router)  # /healthz and /readyz, outside the API prefix
    docs.install(app, API_PREFIX)
    dashboard.install(app)
    access = MetricsAccess.configure(settings.metrics_token, settings.metrics_networks)
    app.add_api_route(
        metrics_endpoint.PATH,
        metrics_endpoint.scrape(metrics, access),
        methods=["GET"],
        include_in_schema=False,
    )
    # The metrics name requests by route template: every route with its full path.
    for module in api_modules:
        metrics.learn_routes(module.router.routes, API_PREFIX)
    metrics.learn_routes(health.router.routes)
    for page in dashboard.PAGES:
        metrics.learn_routes(page.router.routes, dashboard.PATH)
    metrics.learn_routes(app.routes)

    upload_prefix = f"{API_PREFIX}/blobs/"
    package_uploads = {
        API_PREFIX + packages.PREVIEW_PATH,
        API_PREFIX + packages.IMPORT_PATH,
        dashboard.PACKAGE_UPLOAD_PATH,
    }

    def limit_for(scope: Scope) -> int:
        if scope.get("method") == "PUT" and str(scope.get("path", "")).startswith(upload_prefix):
            return settings.max_upload_bytes
        if scope.get("method") == "POST" and scope.get("path") in package_uploads:
            return settings.max_package_bytes
        return settings.max_json_bytes

    _add_problem_schema(app)
    # Innermost: reads JSON bodies only once admitted and within the body limit.
    app.add_middleware(JsonDepth)
    # Plain file downloads, before routing but after admission; see api/quick_blob.py.
    app.add_middleware(QuickBlob, open_blob=partial(blobs.open_readable, state))
    # Admission checks the token before it takes a slot; see api/admission.py.
    app.add_middleware(
        HeavyRequestLimit,
        limit=settings.max_heavy_requests,
        identify=partial(_device_of, state),
        in_thread=state.db.dialect != "sqlite",
        metrics=metrics,
    )
    app.add_middleware(BodyLimit, limit_for=limit_for)
    # Outside admission and the routes: a body that stalls gives its slot back; see
    # api/body_pace.py.
    app.add_middleware(
        BodyPace,
        idle_seconds=settings.body_timeout_seconds,
        min_rate=settings.min_body_bytes_per_second,
    )
    # Polls that find nothing new, before routing; see api/quick_poll.py.
    app.add_middleware(
        QuickPoll, answer=partial(_quick_poll, state), in_thread=state.db.dialect != "sqlite"
    )
    # Around everything that may answer: each answer speaks the request's language.
    app.add_middleware(
        RequestLanguage,
        dashboard_prefix=dashboard.PATH,
    )
    app.add_middleware(RequestLog, metrics=metrics)
    return app


@contextmanager
def _watch(state: ServerState, metrics: Metrics) -> Iterator[None]:
    """Feed the gauges from the hint hub and the database pool while the app runs."""
    hub = state.hints
    hub.on_streams = metrics.hint_streams.set
    hub.on_newest = metrics.newest_change.set
    limit = state.db.pool_limit
    if limit is not None:
        metrics.db_pool_limit.set(limit)
    with state.db.watching_pool(metrics.db_pool_checked_out.set):
        yield


async def _start_hints(state: ServerState) -> Callable[[], Awaitable[None]]:
    """Start this process's hint hub and what feeds it; returns how to stop them."""
    hub, db = state.hints, state.db
    await hub.start(await asyncio.to_thread(read_counter, db))
    db.after_change.append(hub.heard_threadsafe)
    listener = PgListener(db.url, hub.heard_threadsafe) if db.dialect == "postgresql" else None
    if listener is not None:
        listener.start()

    async def stop() -> None:
        db.after_change.remove(hub.heard_threadsafe)
        await hub.stop("shutdown")
        if listener is not None:
            await asyncio.to_thread(listener.stop)

    return stop


def _device_of(state: ServerState, token: str) -> str:
    with state.db.read() as session:
        return auth_service.signed_in(session, token, auth_service.API).device_id


def _quick_poll(state: ServerState, token: str, cursor: str, limit: int) -> ChangesPage | None:
    return poll(state.db, token, cursor, limit, activity=state.activity, only_if_quick=True)


HOUSEKEEPING_EVERY_S = 3600
log = logging.getLogger("docshelf.server")


async def _housekeeping(state: ServerState) -> None:
    """Purge old tombstones, answers to uploaded edits and abandoned partial uploads at
    start and then hourly (harmless if several processes do)."""
    settings = state.settings
    jobs: list[Callable[[], int]] = [
        partial(purge_tombstones, state.db, timedelta(days=settings.tombstone_retention_days)),
        partial(
            purge_applied_mutations, state.db, timedelta(days=settings.mutation_retention_days)
        ),
        partial(purge_partial_uploads, state.blobs),
    ]
    while True:
        for job in jobs:
            # Each on its own: one failing job must not keep the others from running.
            try:
                await asyncio.to_thread(job)
            except Exception:
                log.exception("housekeeping failed", extra={"event": "housekeeping_error"})
        await asyncio.sleep(HOUSEKEEPING_EVERY_S)


def _flush_activity(state: ServerState) -> None:
    try:
        state.activity.flush(state.db)
    except Exception:
        # Kept in memory and tried again: a statistic must never stop the server.
        log.exception("counting syncs failed", extra={"event": "activity_error"})


async def _count_syncs(state: ServerState) -> None:
    while True:
        await asyncio.sleep(state.settings.activity_flush_seconds)
        await asyncio.to_thread(_flush_activity, state)


async def _report_process(state: ServerState, this: processes.ThisProcess) -> None:
    """Write how many hint streams this process holds, at start and then regularly."""
    while True:
        try:
            await asyncio.to_thread(processes.report, state.db, this, state.hints.count, utcnow())
        except Exception:
            # Tried again at the next round: a statistic must never stop the server.
            log.exception("reporting the process failed", extra={"event": "process_report_error"})
        await asyncio.sleep(state.settings.hint_report_seconds)


def _forget_process(state: ServerState, this: processes.ThisProcess) -> None:
    try:
        processes.forget(state.db, this)
    except Exception:
        # Its row goes stale and the dashboard leaves it out.
        log.exception("removing the process report failed", extra={"event": "process_report_error"})


def _add_problem_schema(app: FastAPI) -> None:
    """Put the Problem model into the OpenAPI components the error responses refer to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                Problem.model_json_schema()
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
