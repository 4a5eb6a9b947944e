"""What ``docshelf status`` prints: the client's state from the home alone, offline.

Like the listings (cli/listing.py), it starts fast: nothing here imports click, the engine,
the HTTP stack or rich. The click command is in cli/client.py; cli/quick.py runs this
without click when the command line is a plain one.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

from docshelf.cli.exit_codes import EXIT_SIGNED_OUT
from docshelf.cli.home import local_time
from docshelf.cli.output import click_echo, plain_line
from docshelf.client import Client, HintState, NoLocalCopy, SyncState
from docshelf.i18n import N_, tr
from docshelf.i18n.formats import format_number

# What a person reads for the machine-readable states (never used as keys).
STATE_NAMES = {
    SyncState.NOT_SIGNED_IN: N_("not signed in"),
    SyncState.IDLE: N_("up to date"),
    SyncState.SYNCING: N_("synchronising"),
    SyncState.OFFLINE: N_("offline"),
    SyncState.SIGNED_OUT: N_("signed out"),
    SyncState.ERROR: N_("error"),
}
HINT_NAMES = {
    HintState.CONNECTING: N_("connecting"),
    HintState.CONNECTED: N_("connected"),
    HintState.OFF: N_("off"),
    HintState.UNSUPPORTED: N_("not offered by the server"),
}


def show(client: Client, as_json: bool) -> None:
    """Print the status; exits 4 (signed out) after the JSON when there is no local copy."""
    # The summary names a next sync only while a daemon (or the desktop app) plans it.
    summary = client.summary()
    if as_json:
        click_echo(json.dumps({k: summary[k] for k in _STATUS_KEYS}, ensure_ascii=False))
        try:
            client.require_local_copy()
        except NoLocalCopy:
            sys.exit(EXIT_SIGNED_OUT)
        return
    client.require_local_copy()
    state = SyncState(summary["state"])
    last = client.last_update()
    shown_state = tr(STATE_NAMES[state])
    if state is SyncState.IDLE:
        shown_state = tr("up to date as of {time}", time=local_time(last))
    elif summary["message"]:
        shown_state = tr("{state}: {message}", state=shown_state, message=summary["message"])
    interval = summary["client_sync_interval_ms"]
    delay = summary["client_sync_max_delay_after_start_ms"]
    next_sync = summary["next_sync"]
    rows = [
        (tr("Server"), summary["server"] or tr("— (not signed in)")),
        (tr("User"), summary["user"] or "—"),
        (tr("State"), shown_state),
        (tr("Last update"), local_time(last)),
        ("ClientSyncInterval", _milliseconds(interval)),
        ("ClientSyncMaxDelayAfterStart", _milliseconds(delay)),
        (
            tr("Next sync"),
            local_time(datetime.fromisoformat(next_sync))
            if next_sync
            else tr("— (no daemon running)"),
        ),
        (tr("Hints"), _hints_line(summary)),
        (tr("Pending uploads"), format_number(summary["pending_uploads"])),
        (tr("Conflicts"), _with_hint(summary["conflicts"], "docshelf conflicts")),
        (tr("Rejected uploads"), _with_hint(summary["rejected_uploads"], "docshelf uploads")),
        (tr("Sync running"), summary["sync_running"] or tr("no")),
        (tr("Log file"), summary["log_file"]),
    ]
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        # Not wrapped: paths such as the log file stay whole for copying, whatever the width.
        # Plain lines, without rich (a tenth of a second to load).
        plain_line(f"{label + ':':<{width}} {value}")
    if not summary["conflicts"] and not summary["rejected_uploads"]:
        return
    from docshelf.client import EditState

    for entry in client.store.outbox.entries([EditState.CONFLICT, EditState.REJECTED]):
        if entry.state is EditState.REJECTED:
            line = tr(
                "  rejected: {edit} ({reason}) [{id}]",
                edit=entry.summary,
                reason=entry.reason or tr("no reason given"),
                id=entry.id,
            )
        else:
            line = tr(
                "  in conflict: {edit} (both sides kept) [{id}]", edit=entry.summary, id=entry.id
            )
        plain_line(line)


def _milliseconds(value: int) -> str:
    return tr(
        "{ms} ms ({minutes} min)",
        ms=format_number(value),
        minutes=format_number(round(value / 60000, 2)),
    )


def _hints_line(summary: dict[str, Any]) -> str:
    hints = summary["hints"]
    last = summary["last_hint_at"]
    if hints == HintState.OFF.value:
        minutes = format_number(round(summary["client_sync_interval_ms"] / 60000, 2))
        return tr("off — syncing every {minutes} min", minutes=minutes)
    if hints == HintState.CONNECTED.value and last:
        at = datetime.fromisoformat(last).astimezone()
        return tr("connected (last hint {time})", time=at.strftime("%H:%M:%S"))
    return tr(HINT_NAMES[HintState(hints)]) if hints in _HINTS else str(hints)


_HINTS = {state.value for state in HintState}


def _with_hint(count: int, command: str) -> str:
    if not count:
        return "0"
    return tr("{count} (see `{command}`)", count=format_number(count), command=command)


_STATUS_KEYS = (
    "server",
    "user",
    "state",
    "last_update",
    "client_sync_interval_ms",
    "client_sync_max_delay_after_start_ms",
    "next_sync",
    "daemon_running",
    "hints",
    "last_hint_at",
    "pending_uploads",
    "conflicts",
    "rejected_uploads",
)
