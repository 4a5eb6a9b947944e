"""The client of the home a command works on (``--home``, ``DOCSHELF_HOME`` or the default).

Light on purpose: the listing commands import this and the client's reading modules only.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING

from docshelf.client import Client, resolve_home
from docshelf.i18n.formats import format_datetime

if TYPE_CHECKING:
    import click  # the reading commands may run without it (cli/quick.py)


def open_client(ctx: click.Context, *, log: bool = True) -> Client:
    """The home's client; ``log``: its log file records what the command does."""
    client = client_at(ctx.find_root().params.get("home"), log=log)
    ctx.call_on_close(client.close)
    return client


def client_at(home_option: str | None, *, log: bool = False) -> Client:
    """The client of the home ``--home`` names (or the environment, or the default);
    ``log``: its log file records what the command does."""
    home = resolve_home(home_option)
    raw = os.environ.get("DOCSHELF_SYNC_PAGE_SIZE")
    # Without the variable, the client's own page size.
    client = Client(home) if raw is None else Client(home, page_size=max(1, min(int(raw), 5000)))
    if log:
        from docshelf import logs  # its rotating file handler costs a reading command's start

        logs.setup(client.home.log_file, to_stderr=False)
    return client


def open_local_copy(ctx: click.Context) -> Client:
    """The client, for commands that read the local copy (they write no log): refused on
    a home that never signed in (an empty list would look like an empty library)."""
    client = open_client(ctx, log=False)
    client.require_local_copy()
    return client


def local_time(value: datetime | None) -> str:
    return format_datetime(value.astimezone()) if value else "—"
