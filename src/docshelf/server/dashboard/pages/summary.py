"""The summary: counts, storage, sync activity, the clients, the newest change's reach, and
the change hints (held connections, how fast the newest change spread)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from docshelf.domain.permissions import can_see_section
from docshelf.server.dashboard import stats
from docshelf.server.dashboard.chart import hourly_chart
from docshelf.server.dashboard.language import InVisitorLanguage
from docshelf.server.dashboard.render import page
from docshelf.server.dashboard.session import CurrentVisitor, state_of
from docshelf.server.dashboard.texts import day_format
from docshelf.server.db.models import utcnow
from docshelf.server.processes import freshness, held_streams
from docshelf.server.sync.activity import syncs_per_hour

router = APIRouter(route_class=InVisitorLanguage)
WEEK_HOURS = 7 * 24


@router.get("", response_class=HTMLResponse)
def summary(request: Request, who: CurrentVisitor) -> HTMLResponse:
    state = state_of(request)
    # Org users see the counts and the unit side; clients and storage are the Sys's.
    everything = can_see_section(who.actor, "settings")
    with state.db.snapshot() as session:
        counts = stats.counts(session)
        storage = stats.storage(session) if everything else None
        clients = stats.clients(session) if everything else []
        reach = stats.reach(session, who.language) if everything else None
        now = utcnow()
        fresh = freshness(state.settings.hint_report_seconds)
        held = held_streams(session, now, fresh) if everything else None
        spread = stats.hint_spread(session) if everything else None
        points = syncs_per_hour(session, state.activity, now, WEEK_HOURS)
    return page(
        request,
        "summary.html",
        visitor=who,
        counts=counts,
        storage=storage,
        clients=clients,
        reach=reach,
        held=held,
        spread=spread,
        chart=hourly_chart(points, day_format()),
        everything=everything,
    )
