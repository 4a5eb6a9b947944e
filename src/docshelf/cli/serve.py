"""``docshelf server`` and ``docshelf demo``."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import click
from rich.text import Text

from docshelf.cli.options import data_dir_option, database_url_option, normalize_database_url
from docshelf.cli.output import console
from docshelf.i18n import N_, tr
from docshelf.i18n.click_help import TranslatedCommand
from docshelf.server.config import ServerSettings
from docshelf.server.runner import describe, prepare, serve

host_option = click.option("--host", default="127.0.0.1", show_default=True, envvar="DOCSHELF_HOST")
port_option = click.option(
    "--port", default=8470, show_default=True, type=click.IntRange(1, 65535), envvar="DOCSHELF_PORT"
)
blob_store_option = click.option(
    "--blob-store",
    envvar="DOCSHELF_BLOB_STORE",
    show_envvar=True,
    metavar="s3://BUCKET/PREFIX|DIR",
    help=N_(
        "Where files are stored: object storage (endpoint from DOCSHELF_S3_ENDPOINT,"
        " credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) or a"
        " directory. Default: <data dir>/blobs."
    ),
)
blob_redirect_option = click.option(
    "--blob-redirect/--no-blob-redirect",
    default=False,
    envvar="DOCSHELF_BLOB_REDIRECT",
    show_envvar=True,
    help=N_(
        "Send large downloads from object storage straight from the store, by a redirect"
        " to a short-lived presigned URL."
    ),
)


@click.command(
    cls=TranslatedCommand, help=N_("Run the docshelf server (applies database migrations first).")
)
@data_dir_option
@database_url_option
@host_option
@port_option
@blob_store_option
@blob_redirect_option
@click.option(
    "--metrics-networks",
    envvar="DOCSHELF_METRICS_NETWORKS",
    help=N_(
        "Addresses or networks (CIDR, comma-separated) that may read /metrics; default: this"
        " machine only. The token comes from DOCSHELF_METRICS_TOKEN (not an option: it would"
        " show in the process list)."
    ),
)
def server(
    data_dir: Path | None,
    database_url: str | None,
    host: str,
    port: int,
    blob_store: str | None,
    blob_redirect: bool,
    metrics_networks: str | None,
) -> None:
    if data_dir is None:
        raise click.UsageError(tr("Give --data-dir (or set DOCSHELF_DATA_DIR)."))
    settings = ServerSettings(
        data_dir=data_dir,
        database_url=normalize_database_url(database_url),
        host=host,
        port=port,
        blob_store=blob_store or None,
        blob_redirect=blob_redirect,
        metrics_networks=metrics_networks,  # the option reads the environment too
    )
    state = prepare(settings)
    console.print(describe(state), highlight=False)
    serve(state)


def docshelf_command() -> str:
    """How to run docshelf as this process was run: ``docshelf`` when that is the one on
    PATH, else the path it was started by (``.venv/bin/docshelf`` from ``make demo``)."""
    started = Path(sys.argv[0])
    if started.name == "docshelf":
        on_path = shutil.which("docshelf")
        if on_path and Path(on_path).resolve() == started.resolve():
            return "docshelf"
        return shlex.quote(str(started))
    # python -m docshelf
    return f"{shlex.quote(sys.executable)} -m docshelf"


@click.command(
    cls=TranslatedCommand,
    help=N_("Seed demo content into an embedded SQLite (only when empty) and run the server."),
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".docshelf-demo"),
    show_default=True,
    help=N_("Where the demo keeps its SQLite database and files."),
)
@host_option
@port_option
def demo(data_dir: Path, host: str, port: int) -> None:
    from docshelf.server.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo

    settings = ServerSettings(data_dir=data_dir, host=host, port=port)
    state = prepare(settings)
    seeded = seed_demo(state.db, state.blobs, state.passwords)
    console.print(
        tr("Seeded the demo content.")
        if seeded
        else tr("Demo content is there already; kept as is."),
        highlight=False,
    )
    console.print(describe(state), highlight=False)
    base = f"http://{host}:{port}"
    command = docshelf_command()
    home = shlex.quote(str(data_dir / "anna"))
    dashboard, api = base + "/dashboard", base + "/api/v1/docs"
    desktop = f"{command} --home {home} desktop"
    lines = [
        "",
        tr("Dashboard: {url}  (sign in as admin, or org for the units)", url=dashboard),
        tr("API:       {url}", url=api),
        tr(
            "Desktop:   {command}  (server {url}, user anna)",
            command=desktop,
            url=base,
        ),
        tr("Command line, as anna (password below):"),
        f"  {command} --home {home} login --server {base} --user anna",
        f"  {command} --home {home} sync",
        f"  {command} --home {home} templates",
        tr("Demo accounts (password: «{password}»):", password=DEMO_PASSWORD),
    ]
    console.print(Text("\n".join(lines)), highlight=False, soft_wrap=True)
    for login, role, what in DEMO_ACCOUNTS:
        console.print(Text(f"  {login:<9} {role:<9} {what}"), highlight=False)
    console.print(tr("Stop with Ctrl+C.") + "\n", highlight=False)
    serve(state)
