"""``docshelf login / logout / sync / status / daemon``."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.text import Text

from docshelf import logs
from docshelf.cli.options import read_password
from docshelf.cli.output import console, errors
from docshelf.client import handover
from docshelf.client.app import Client
from docshelf.client.daemon import Daemon
from docshelf.client.engine import SyncResult
from docshelf.client.errors import NotSignedIn, SyncBusy
from docshelf.client.outbox import EditState
from docshelf.client.paths import resolve_home
from docshelf.client.status import Status, SyncState

# Exit codes scripts can tell apart (documented in docs/client.md).
EXIT_FAILED, EXIT_OFFLINE, EXIT_SIGNED_OUT, EXIT_BUSY = 1, 3, 4, 5


def open_client(ctx: click.Context) -> Client:
    home = resolve_home(ctx.find_root().params.get("home"))
    page_size = int(os.environ.get("DOCSHELF_SYNC_PAGE_SIZE", "500"))
    client = Client(home, page_size=max(1, min(page_size, 5000)))
    logs.setup(home.log_file, to_stderr=False)
    ctx.call_on_close(client.close)
    return client


def local_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "—"


@click.command()
@click.option(
    "--server",
    "server_url",
    required=True,
    help="Server address, e.g. https://docshelf.example.com",
)
@click.option("--user", "login", required=True, help="Your login.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--device-name", help="How this device appears to administrators (default: host name)."
)
@click.pass_context
def login(
    ctx: click.Context, server_url: str, login: str, password_stdin: bool, device_name: str | None
) -> None:
    """Sign in to a server; the device token is kept in the keyring or a private file."""
    client = open_client(ctx)
    password = read_password(password_stdin, confirm=False)
    config = client.login(server_url, login, password, device_name)
    console.print(
        f"Signed in to {config.server_url} as {config.login} (device {config.device_name!r});"
        f" token kept in {client.credentials.backend}. Run `docshelf sync` to fetch templates.",
        highlight=False,
    )


@click.command()
@click.pass_context
def logout(ctx: click.Context) -> None:
    """Revoke this device's sign-in on the server and forget it here."""
    client = open_client(ctx)
    client.logout()
    console.print("Signed out; the token was revoked and forgotten.")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of progress.")
@click.option("--no-wait", is_flag=True, help="If another sync runs, say so and exit (code 5).")
@click.pass_context
def sync(ctx: click.Context, as_json: bool, no_wait: bool) -> None:
    """Synchronise now: fetch what changed (the schedule stays as it is)."""
    client = open_client(ctx)

    def waiting(message: str) -> None:
        errors.print(message, highlight=False, soft_wrap=True)

    handed = _sync_in_running_app(client, as_json)
    if handed is not None:
        _report(handed, as_json)
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
    _report(result, as_json)


def _sync_in_running_app(client: Client, as_json: bool) -> SyncResult | None:
    """When the desktop app runs for this home, it synchronises and we show its progress:
    two engines never race, and the window shows the sync too. None: no app answered."""
    shown = not as_json and sys.stdout.isatty()
    for message in handover.request(client.home, "sync", timeout=_HANDOVER_LINE_TIMEOUT):
        status = message.get("status") or {}
        if message.get("event") == "status" and shown:
            done, total = status.get("items_done", 0), status.get("items_total")
            items = f"{done} of {total} items" if total else f"{done} items"
            errors.print(
                f"desktop app: {status.get('phase') or 'syncing'}, {items}", highlight=False
            )
        if message.get("event") == "done":
            return _result_from_app(message.get("result") or {}, status)
    return None


# A sync in the app may wait for a running one (scheduled) before it reports again.
_HANDOVER_LINE_TIMEOUT = 600.0


def _result_from_app(answer: dict[str, Any], status: dict[str, Any]) -> SyncResult:
    last = answer.get("last_update")
    result = SyncResult(
        status=str(answer.get("status", "error")),
        downloaded=int(answer.get("downloaded", 0)),
        deleted=int(answer.get("deleted", 0)),
        uploaded=int(answer.get("uploaded", 0)),
        conflicts=int(answer.get("conflicts", 0)),
        rejected=int(answer.get("rejected", 0)),
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
    columns = (
        TextColumn("[green]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[items]}"),
        DownloadColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("connecting", total=None, items="")

        def show(status: Status) -> None:
            if status.state is not SyncState.SYNCING:
                return
            total = status.items_total
            items = (
                f"{status.items_done} of {total} items" if total else f"{status.items_done} items"
            )
            progress.update(
                task,
                description=str(status.phase.value if status.phase else "syncing"),
                items=items,
                completed=status.bytes_done,
                total=status.bytes_total,
            )

        return client.sync(wait=not no_wait, on_wait=waiting, listener=show)


def _report(result: SyncResult, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.to_json()))
    elif result.status == "ok":
        console.print(
            f"Up to date as of {local_time(result.last_update)}: {result.downloaded} stored,"
            f" {result.deleted} removed, {result.bytes} bytes of files in {result.seconds:.1f} s.",
            highlight=False,
        )
    else:
        # One line however long (a script's log, grep): no wrapping at the console's width.
        errors.print(
            f"[bold red]Sync failed:[/] {escape(result.error or '')}",
            highlight=False,
            soft_wrap=True,
        )
    if result.status != "ok":
        code = {
            "offline": EXIT_OFFLINE,
            "signed_out": EXIT_SIGNED_OUT,
            "not_signed_in": EXIT_SIGNED_OUT,
            "sync_busy": EXIT_BUSY,
        }.get(result.error_code or "", EXIT_FAILED)
        sys.exit(code)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show server, user, state, last update, settings in force, the next sync and hints."""
    client = open_client(ctx)
    summary = client.summary()
    if as_json:
        click.echo(json.dumps({k: summary[k] for k in _STATUS_KEYS}))
        return
    state = summary["state"]
    last = client.last_update()
    if state == SyncState.IDLE.value:
        state = f"up to date as of {local_time(last)}"
    elif summary["message"]:
        state = f"{state}: {summary['message']}"
    interval = summary["client_sync_interval_ms"]
    delay = summary["client_sync_max_delay_after_start_ms"]
    next_sync = summary["next_sync"]
    rows = [
        ("Server", summary["server"] or "— (not signed in)"),
        ("User", summary["user"] or "—"),
        ("State", state),
        ("Last update", local_time(last)),
        ("ClientSyncInterval", f"{interval} ms ({interval / 60000:g} min)"),
        ("ClientSyncMaxDelayAfterStart", f"{delay} ms ({delay / 60000:g} min)"),
        (
            "Next sync",
            local_time(datetime.fromisoformat(next_sync)) if next_sync else "— (no daemon running)",
        ),
        ("Hints", _hints_line(summary)),
        ("Pending uploads", str(summary["pending_uploads"])),
        ("Conflicts", _with_hint(summary["conflicts"], "docshelf conflicts")),
        ("Rejected uploads", _with_hint(summary["rejected_uploads"], "docshelf uploads")),
        ("Sync running", summary["sync_running"] or "no"),
        ("Log file", summary["log_file"]),
    ]
    for label, value in rows:
        # soft_wrap: paths such as the log file stay whole for copying, whatever the width.
        console.print(f"{label + ':':<30} {value}", highlight=False, soft_wrap=True)
    for entry in client.store.outbox.entries([EditState.CONFLICT, EditState.REJECTED]):
        why = entry.reason if entry.state is EditState.REJECTED else "both sides kept"
        line = f"  {entry.state.value}: {entry.summary} ({why}) [{entry.id}]"
        console.print(Text(line), highlight=False, soft_wrap=True)


def _hints_line(summary: dict[str, Any]) -> str:
    hints = summary["hints"]
    last = summary["last_hint_at"]
    if hints == "off":
        minutes = summary["client_sync_interval_ms"] / 60000
        return f"off — syncing every {minutes:g} min"
    if hints == "connected" and last:
        return f"connected (last hint {datetime.fromisoformat(last).astimezone():%H:%M:%S})"
    return str(hints)


def _with_hint(count: int, command: str) -> str:
    return f"{count} (see `{command}`)" if count else "0"


_STATUS_KEYS = (
    "server",
    "user",
    "state",
    "last_update",
    "client_sync_interval_ms",
    "client_sync_max_delay_after_start_ms",
    "next_sync",
    "hints",
    "last_hint_at",
    "pending_uploads",
    "conflicts",
    "rejected_uploads",
)


@click.command()
@click.pass_context
def daemon(ctx: click.Context) -> None:
    """Synchronise on the server's schedule until stopped (SIGTERM or Ctrl+C)."""
    client = open_client(ctx)
    if client.config is None:
        raise click.ClickException("Not signed in: run `docshelf login` first.")
    stop = threading.Event()
    runner = Daemon(client)

    def stop_now(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        runner.wake.set()

    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGINT, stop_now)
    console.print(
        f"docshelf daemon running; log: {client.home.log_file}", highlight=False, soft_wrap=True
    )
    runner.run(stop)
    console.print("docshelf daemon stopped.")
