"""``docshelf login / logout / sync / status / daemon``."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from docshelf.cli import status_view, syncing
from docshelf.cli.home import open_client
from docshelf.cli.options import read_password
from docshelf.cli.output import console
from docshelf.i18n import N_, tr
from docshelf.i18n.click_help import TranslatedCommand

# rich, the engine and the remote (httpx, pydantic) are imported by the commands that
# need them; what `sync` and `status` do and print is click-free (cli/syncing.py,
# cli/status_view.py), for cli/quick.py.


@click.command(
    cls=TranslatedCommand,
    help=N_("Sign in to a server; the device token is kept in the keyring or a private file."),
)
@click.option(
    "--server",
    "server_url",
    required=True,
    help=N_("Server address, e.g. https://docshelf.example.com"),
)
@click.option("--user", "login", required=True, help=N_("Your login."))
@click.option("--password-stdin", is_flag=True, help=N_("Read the password from standard input."))
@click.option(
    "--device-name", help=N_("How this device appears to administrators (default: host name).")
)
@click.pass_context
def login(
    ctx: click.Context, server_url: str, login: str, password_stdin: bool, device_name: str | None
) -> None:
    from rich.text import Text

    from docshelf.client import normalize_server_url

    # Checked before the password is asked for: a wrong address fails without typing it.
    server_url = normalize_server_url(server_url)
    client = open_client(ctx)
    password = read_password(password_stdin, confirm=False)
    config = client.login(server_url, login, password, device_name)
    console.print(
        Text(
            tr(
                "Signed in to {server} as {user} (device «{device}»); token kept in {where}."
                " Run `docshelf sync` to fetch templates.",
                server=config.server_url,
                user=config.login,
                device=config.device_name,
                where=client.credentials.backend,
            )
        ),
        highlight=False,
    )


@click.command(
    cls=TranslatedCommand, help=N_("Revoke this device's sign-in on the server and forget it here.")
)
@click.pass_context
def logout(ctx: click.Context) -> None:
    client = open_client(ctx)
    client.logout()
    console.print(tr("Signed out; the token was revoked and forgotten."), highlight=False)


@click.command(
    cls=TranslatedCommand,
    help=N_(
        "Synchronise now: send your edits, fetch what changed (the schedule stays as "
        "it is).\n\nExits with code 6 when the sync went through but edits of yours "
        "wait, in conflict or rejected by the server."
    ),
)
@click.option(
    "--json", "as_json", is_flag=True, help=N_("Print one JSON object instead of progress.")
)
@click.option("--no-wait", is_flag=True, help=N_("If another sync runs, say so and exit (code 5)."))
@click.pass_context
def sync(ctx: click.Context, as_json: bool, no_wait: bool) -> None:
    syncing.run(open_client(ctx), as_json, no_wait)


@click.command(
    cls=TranslatedCommand,
    help=N_("Show server, user, state, last update, settings in force, the next sync and hints."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print one JSON object."))
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    client = open_client(ctx, log=False)  # reads only
    status_view.show(client, as_json)


@click.command(
    cls=TranslatedCommand,
    help=N_("Synchronise on the server's schedule until stopped (SIGTERM or Ctrl+C)."),
)
@click.pass_context
def daemon(ctx: click.Context) -> None:
    from rich.text import Text

    from docshelf.client import Daemon

    client = open_client(ctx)
    client.require_config()
    stop = threading.Event()
    runner = Daemon(client)

    def stop_now(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        runner.wake.set()

    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGINT, stop_now)
    console.print(
        Text(tr("docshelf daemon running; log: {path}", path=str(client.home.log_file))),
        highlight=False,
        soft_wrap=True,
    )
    runner.run(stop)
    console.print(tr("docshelf daemon stopped."), highlight=False)
