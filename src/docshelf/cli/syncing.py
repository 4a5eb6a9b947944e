"""What ``docshelf sync`` does and says, without click.

Like the listings (cli/listing.py) and ``status`` (cli/status_view.py): cli/quick.py runs a
plain ``docshelf sync [--json] [--no-wait]`` with this module alone, and the click command
(cli/client.py) calls the same :func:`run`. A sync that finds nothing new is over in a few
milliseconds; click and rich would be most of its time (docs/performance.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from docshelf.cli.exit_codes import (
    EXIT_BUSY,
    EXIT_EDITS_WAITING,
    EXIT_FAILED,
    EXIT_OFFLINE,
    EXIT_SIGNED_OUT,
)
from docshelf.cli.home import local_time
from docshelf.cli.output import click_echo, console, errors, plain_line, real
from docshelf.client import Client, NotSignedIn, Phase, Status, SyncBusy, SyncState
from docshelf.i18n import N_, ntr, tr
from docshelf.i18n.formats import format_number, format_size

if TYPE_CHECKING:
    from docshelf.client import OutboxEntry, SyncResult

# What a person reads for the machine-readable phases (never used as keys).
PHASE_NAMES = {
    Phase.CONNECTING: N_("connecting"),
    Phase.UPLOADING: N_("uploading edits"),
    Phase.CHANGES: N_("downloading changes"),
    Phase.FILES: N_("downloading files"),
    Phase.RECONCILING: N_("reconciling"),
    Phase.CLEANING: N_("cleaning up"),
}


def _items(done: int, total: int | None) -> str:
    if total:
        return ntr("{done} of {n} item", "{done} of {n} items", total, done=format_number(done))
    return ntr("{n} item", "{n} items", done)


def run(client: Client, as_json: bool, no_wait: bool) -> None:
    """Synchronise ``client`` now and report it; exits with the outcome's code."""
    from docshelf.client import SyncResult

    def waiting(message: str) -> None:
        from rich.text import Text

        errors.print(Text(message), highlight=False, soft_wrap=True)

    handed = _sync_in_running_app(client, as_json)
    if handed is not None:
        _report(client, handed, as_json)
        return
    try:
        if as_json or not sys.stdout.isatty():
            result = client.sync(wait=not no_wait, on_wait=waiting)
        else:
            result = _sync_with_progress(client, no_wait, waiting)
    except (SyncBusy, NotSignedIn) as exc:
        # No sync ran: answered like a failed one, so scripts always get one JSON object and
        # can tell "someone else syncs" (5) and "sign in first" (4) from a failure (1).
        result = SyncResult(status="error", error=exc.message, error_code=exc.code)
        result.last_update = client.last_update()
    _report(client, result, as_json)


def _sync_in_running_app(client: Client, as_json: bool) -> SyncResult | None:
    """When the desktop app runs for this home, it synchronises and we show its progress:
    two engines never race, and the window shows the sync too. None: no app answered."""
    shown = not as_json and sys.stdout.isatty()
    from docshelf.client import handover  # sockets: `docshelf status` needs none

    for message in handover.request(client.home, "sync", timeout=_HANDOVER_LINE_TIMEOUT):
        status = message.get("status") or {}
        if message.get("event") == "status" and shown:
            from rich.text import Text

            items = _items(status.get("items_done", 0), status.get("items_total"))
            phase = status.get("phase")
            shown_phase = tr(PHASE_NAMES[Phase(phase)]) if phase in _PHASES else tr("syncing")
            errors.print(
                Text(tr("desktop app: {phase}, {items}", phase=shown_phase, items=items)),
                highlight=False,
            )
        if message.get("event") == "done":
            return _result_from_app(message.get("result") or {}, status)
    return None


# A sync in the app may wait for a running one (scheduled) before it reports again.
_HANDOVER_LINE_TIMEOUT = 600.0
_PHASES = {phase.value for phase in Phase}


def _result_from_app(answer: dict[str, Any], status: dict[str, Any]) -> SyncResult:
    from docshelf.client import SyncResult

    last = answer.get("last_update")
    result = SyncResult(
        status=str(answer.get("status", "error")),
        downloaded=int(answer.get("downloaded", 0)),
        deleted=int(answer.get("deleted", 0)),
        uploaded=int(answer.get("uploaded", 0)),
        conflicts=int(answer.get("conflicts", 0)),
        rejected=int(answer.get("rejected", 0)),
        conflicts_waiting=int(answer.get("conflicts_waiting", 0)),
        rejected_waiting=int(answer.get("rejected_waiting", 0)),
        files=int(answer.get("files", 0)),
        bytes=int(answer.get("bytes", 0)),
        seconds=float(answer.get("seconds", 0.0)),
        last_update=datetime.fromisoformat(last) if last else None,
        error=answer.get("error"),
    )
    if result.status != "ok":
        result.error_code = {"offline": "offline", "signed_out": "signed_out"}.get(
            str(status.get("state")), "client"
        )
    return result


def _sync_with_progress(
    client: Client, no_wait: bool, waiting: Callable[[str], None]
) -> SyncResult:
    from rich.markup import escape
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    columns = (
        TextColumn("[green]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[items]}"),
        DownloadColumn(),
    )
    with Progress(*columns, console=real(console), transient=True) as progress:
        task = progress.add_task(escape(tr("connecting")), total=None, items="")

        def show(status: Status) -> None:
            if status.state is not SyncState.SYNCING:
                return
            phase = tr(PHASE_NAMES[status.phase]) if status.phase else tr("syncing")
            progress.update(
                task,
                description=escape(phase),
                items=escape(_items(status.items_done, status.items_total)),
                completed=status.bytes_done,
                total=status.bytes_total,
            )

        return client.sync(wait=not no_wait, on_wait=waiting, listener=show)


def _report(client: Client, result: SyncResult, as_json: bool) -> None:
    if as_json:
        click_echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _tell(client, result)
    if result.status != "ok":
        code = {
            "offline": EXIT_OFFLINE,
            "signed_out": EXIT_SIGNED_OUT,
            "not_signed_in": EXIT_SIGNED_OUT,
            "sync_busy": EXIT_BUSY,
        }.get(result.error_code or "", EXIT_FAILED)
        sys.exit(code)
    if result.conflicts_waiting or result.rejected_waiting:
        sys.exit(EXIT_EDITS_WAITING)


def _tell(client: Client, result: SyncResult) -> None:
    if result.status == "ok":
        for line in _outcome_lines(client, result):
            plain_line(line)  # as rich prints it, without loading rich
        return
    from rich.text import Text

    # One line however long (a script's log, grep): no wrapping at the console's width.
    errors.print(
        Text.assemble((tr("Sync failed:"), "bold red"), " ", result.error or tr("no details")),
        highlight=False,
        soft_wrap=True,
    )


def _outcome_lines(client: Client, result: SyncResult) -> list[str]:
    lines = [
        tr(
            "Up to date as of {time} ({seconds} s).",
            time=local_time(result.last_update),
            seconds=format_number(result.seconds, 1),
        )
    ]
    if result.uploaded:
        lines.append(ntr("Sent: {n} edit.", "Sent: {n} edits.", result.uploaded))
    if result.downloaded or result.deleted or result.bytes:
        lines.append(
            tr(
                "Received: {stored}, {removed}, {size} of files.",
                stored=ntr("{n} record stored", "{n} records stored", result.downloaded),
                removed=ntr("{n} removed", "{n} removed", result.deleted),
                size=format_size(result.bytes),
            )
        )
    if not (result.uploaded or result.downloaded or result.deleted):
        lines.append(tr("Nothing new in either direction."))
    # The counts are the sync's; the outbox only names the one edit a hint can point at.
    if result.conflicts_waiting:
        lines.append(
            ntr(
                "{n} edit of yours is waiting in conflict with someone else's change;"
                " nothing of it was applied.",
                "{n} edits of yours are waiting in conflict with someone else's change;"
                " nothing of them was applied.",
                result.conflicts_waiting,
            )
        )
        first = _first_waiting(client, "conflict")
        lines.append(
            tr(
                "See both sides with `docshelf conflicts`, then settle each with"
                " `docshelf conflicts resolve {id} --keep mine` (or `--keep theirs`).",
                id=first.id if first and result.conflicts_waiting == 1 else "ID",
            )
        )
    if result.rejected_waiting:
        first = _first_waiting(client, "rejected")
        lines.append(
            ntr(
                "{n} edit of yours was rejected by the server: {reason}",
                "{n} edits of yours were rejected by the server, the first: {reason}",
                result.rejected_waiting,
                reason=(first.reason if first else None) or tr("no reason given"),
            )
        )
        lines.append(
            tr(
                "See them with `docshelf uploads`; drop one with `docshelf uploads discard {id}`.",
                id=first.id if first and result.rejected_waiting == 1 else "ID",
            )
        )
    return lines


def _first_waiting(client: Client, state: str) -> OutboxEntry | None:
    from docshelf.client import EditState

    entries = client.store.outbox.entries([EditState(state)])
    return entries[0] if entries else None
