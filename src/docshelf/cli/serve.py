"""``docshelf server`` and ``docshelf demo``."""

from __future__ import annotations

from pathlib import Path

import click

from docshelf.cli.options import data_dir_option, database_url_option, normalize_database_url
from docshelf.cli.output import console
from docshelf.server.config import ServerSettings
from docshelf.server.runner import describe, prepare, serve

host_option = click.option("--host", default="127.0.0.1", show_default=True, envvar="DOCSHELF_HOST")
port_option = click.option(
    "--port", default=8470, show_default=True, type=click.IntRange(1, 65535), envvar="DOCSHELF_PORT"
)


@click.command()
@data_dir_option
@database_url_option
@host_option
@port_option
@click.option(
    "--metrics-networks",
    envvar="DOCSHELF_METRICS_NETWORKS",
    help="Addresses or networks (CIDR, comma-separated) that may read /metrics; default: this"
    " machine only. The token comes from DOCSHELF_METRICS_TOKEN (not an option: it would"
    " show in the process list).",
)
def server(
    data_dir: Path | None,
    database_url: str | None,
    host: str,
    port: int,
    metrics_networks: str | None,
) -> None:
    """Run the docshelf server (applies database migrations first)."""
    if data_dir is None:
        raise click.UsageError("Give --data-dir (or set DOCSHELF_DATA_DIR).")
    settings = ServerSettings(
        data_dir=data_dir,
        database_url=normalize_database_url(database_url),
        host=host,
        port=port,
        metrics_networks=metrics_networks,  # the option reads the environment too
    )
    state = prepare(settings)
    console.print(describe(state), highlight=False)
    serve(state)


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".docshelf-demo"),
    show_default=True,
    help="Where the demo keeps its SQLite database and files.",
)
@host_option
@port_option
def demo(data_dir: Path, host: str, port: int) -> None:
    """Seed demo content into an embedded SQLite (only when empty) and run the server."""
    from docshelf.server.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo

    settings = ServerSettings(data_dir=data_dir, host=host, port=port)
    state = prepare(settings)
    seeded = seed_demo(state.db, state.blobs, state.passwords)
    console.print(
        "Seeded the demo content." if seeded else "Demo content is there already; kept as is.",
        highlight=False,
    )
    console.print(describe(state), highlight=False)
    base = f"http://{host}:{port}"
    console.print(
        f"\nDashboard: {base}/dashboard  (sign in as admin, or org for the units)"
        f"\nAPI:       {base}/api/v1/docs"
        f"\nDesktop:   docshelf --home /tmp/anna desktop  (server {base}, user anna)"
        f"\nDemo accounts (password: {DEMO_PASSWORD!r}):",
        highlight=False,
    )
    for login, role, what in DEMO_ACCOUNTS:
        console.print(f"  {login:<9} {role:<9} {what}", highlight=False)
    console.print("Stop with Ctrl+C.\n")
    serve(state)
