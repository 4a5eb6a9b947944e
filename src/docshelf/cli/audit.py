"""``docshelf admin audit``: who changed what and when, straight from the database."""

from __future__ import annotations

import click

from docshelf.cli.admin import AdminContext, pass_admin
from docshelf.cli.output import click_echo, print_json, table
from docshelf.domain.audit import shorten
from docshelf.i18n import N_
from docshelf.i18n.click_help import TranslatedCommand
from docshelf.server.db.models import AuditEntry
from docshelf.server.services import audit


def _changes(entry: AuditEntry) -> str:
    before, after = entry.before or {}, entry.after or {}
    if entry.before is None:
        return "; ".join(f"{k}: {shorten(v, 40)}" for k, v in after.items())
    if entry.after is None:
        return "; ".join(f"{k}: {shorten(v, 40)}" for k, v in before.items())
    return "; ".join(
        f"{k}: {shorten(before.get(k), 40)} → {shorten(after.get(k), 40)}"
        for k in [*before, *(k for k in after if k not in before)]
    )


@click.command(
    "audit",
    cls=TranslatedCommand,
    help=N_(
        "Show the audit log, newest first: who changed what and when, before → after.\n\n"
        "--since and --until take a date (2026-12-01), a time (2026-12-01T08:00) or a span "
        "back from now (30m, 12h, 7d, 2w)."
    ),
)
@click.option("--since", help=N_("Entries from this moment on."))
@click.option("--until", help=N_("Entries before this moment."))
@click.option("--actor", help=N_("Only changes by this login."))
@click.option(
    "--object", "object_", metavar="ID-OR-TITLE", help=N_("An object's id or part of its title.")
)
@click.option("--kind", help=N_("Only this kind: user, group, template, snippet, setting, ..."))
@click.option(
    "--limit",
    type=click.IntRange(1, audit.CSV_MAX),
    default=100,
    show_default=True,
    help=N_("At most this many entries."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON for scripts."))
@click.option("--csv", "as_csv", is_flag=True, help=N_("Print CSV (for a spreadsheet)."))
@pass_admin
def audit_command(
    ctx: AdminContext,
    since: str | None,
    until: str | None,
    actor: str | None,
    object_: str | None,
    kind: str | None,
    limit: int,
    as_json: bool,
    as_csv: bool,
) -> None:
    where = audit.AuditFilter(
        since=audit.parse_since(since) if since else None,
        until=audit.parse_since(until) if until else None,
        actor=actor,
        kind=kind,
        object=object_,
    )
    with ctx.db.read() as session:
        rows = audit.entries(session, where, limit=limit)
    if as_csv:
        click_echo(audit.to_csv(rows).rstrip("\r\n"))
    elif as_json:
        print_json([audit.as_dict(e) for e in rows])
    else:
        table(
            N_("Audit log"),
            [
                N_("when"),
                N_("change"),
                N_("actor"),
                N_("kind"),
                N_("object"),
                N_("action"),
                N_("changes"),
                N_("origin"),
            ],
            (
                (
                    e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                    e.seq,
                    e.actor,
                    e.kind,
                    f"{e.object_title} ({e.object_id})",
                    e.action,
                    _changes(e),
                    f"{e.origin} {e.origin_ref}" if e.origin_ref else e.origin,
                )
                for e in rows
            ),
        )
