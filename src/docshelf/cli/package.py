"""``docshelf package export / import``: packages of templates, snippets, units and fields.

Both talk to a server's API. With ``--server`` and ``--user`` they sign in for this one
command (the password from the terminal or ``--password-stdin``) and sign out after it;
without them they act as the account this client's home is signed in with.
"""

from __future__ import annotations

import os
import platform
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

import click
import httpx
from pydantic import ValidationError
from rich.text import Text

import docshelf
from docshelf.cli.options import read_password
from docshelf.cli.output import console, errors
from docshelf.client.errors import NotSignedIn, RemoteError, ServerUnreachable
from docshelf.client.remote import normalize_server_url
from docshelf.domain.errors import DocshelfError
from docshelf.domain.json_text import parse_json
from docshelf.protocol import API_PREFIX
from docshelf.protocol.packages import (
    PACKAGE_MEDIA_TYPE,
    PackageExport,
    PackageItem,
    PackagePreview,
    PackageReport,
)

CHUNK = 256 * 1024
# Unpacking and applying a large package takes a while; connecting must not.
TIMEOUT = httpx.Timeout(30.0, read=900.0, write=900.0)
KIND_NAMES = {
    "field": "field",
    "unit": "unit",
    "template_group": "group",
    "template": "template",
    "snippet": "snippet",
}


@click.group()
def package() -> None:
    """Export and import packages of templates, snippets, units and field definitions."""


def server_options(command: Any) -> Any:
    for option in reversed(
        (
            click.option(
                "--server",
                "server_url",
                help="Server address; default: the server this client is signed in to.",
            ),
            click.option("--user", "login", help="Sign in as LOGIN for this command."),
            click.option(
                "--password-stdin", is_flag=True, help="Read the password from standard input."
            ),
        )
    ):
        command = option(command)
    return command


class Api:
    def __init__(self, http: httpx.Client, server_url: str) -> None:
        self.http = http
        self.server_url = server_url

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        try:
            with self.http.stream(method, path, **kwargs) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _refusal(response)
                yield response
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from exc

    def upload(self, path: str, archive: Path, **params: str) -> Any:
        size = archive.stat().st_size
        headers = {"Content-Type": PACKAGE_MEDIA_TYPE, "Content-Length": str(size)}
        with archive.open("rb") as source:
            response = self.send(
                "POST", path, content=_chunks(source), headers=headers, params=params
            )
        return _answer(response)

    def _unreachable(self, exc: Exception) -> ServerUnreachable:
        return ServerUnreachable(
            f"Cannot reach the server at {self.server_url} ({type(exc).__name__}); nothing was"
            " changed there by this command."
        )


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _answer(response: httpx.Response) -> Any:
    try:
        return parse_json(response.content, "The server's answer")
    except ValueError as exc:  # not JSON, or nested too deep
        raise RemoteError(
            f"The server's answer cannot be read ({str(exc).rstrip('.')}); check the server"
            " address, or update docshelf.",
            title="Answer not understood",
            status=response.status_code,
            code="",
        ) from None


def _refusal(response: httpx.Response) -> RemoteError:
    try:
        problem = parse_json(response.content, "The problem")
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    detail = str(problem.get("detail") or response.reason_phrase or "no details")
    return RemoteError(
        detail,
        title=str(problem.get("title") or "Server refused"),
        status=response.status_code,
        code=str(problem.get("code") or ""),
    )


@contextmanager
def connect(
    ctx: click.Context, server_url: str | None, login: str | None, password_stdin: bool
) -> Iterator[Api]:
    if server_url is None and login is None:
        with _home_session(ctx) as api:
            yield api
        return
    if server_url is None or login is None:
        raise click.UsageError(
            "Give --server and --user together, or neither to act as the account this client"
            " is signed in with."
        )
    password = read_password(password_stdin, confirm=False)
    server_url = normalize_server_url(server_url)
    headers = {"User-Agent": f"docshelf-cli/{docshelf.__version__}"}
    with httpx.Client(base_url=server_url + API_PREFIX, timeout=TIMEOUT, headers=headers) as http:
        api = Api(http, server_url)
        device = f"docshelf package ({platform.node() or 'cli'})"
        body = {"login": login, "password": password, "device_name": device[:200]}
        token = _answer(api.send("POST", "/auth/login", json=body))["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        try:
            yield api
        finally:
            # This sign-in was for the one command: don't leave a device behind.
            with suppress(DocshelfError, httpx.HTTPError):
                api.send("POST", "/auth/logout")


@contextmanager
def _home_session(ctx: click.Context) -> Iterator[Api]:
    from docshelf.cli.client import open_client

    client = open_client(ctx)
    config = client.config
    token = client.credentials.load(config.server_url, config.login) if config else None
    if config is None or token is None:
        raise NotSignedIn(
            "This client is not signed in: run `docshelf login`, or give --server and --user."
        )
    headers = {
        "User-Agent": f"docshelf-cli/{docshelf.__version__}",
        "Authorization": f"Bearer {token}",
    }
    base = config.server_url + API_PREFIX
    with httpx.Client(base_url=base, timeout=TIMEOUT, headers=headers) as http:
        yield Api(http, config.server_url)


# --- export ----------------------------------------------------------------------------


@package.command("export")
@server_options
@click.option("--template", "template_ids", multiple=True, metavar="ID", help="A template.")
@click.option(
    "--group", "group_ids", multiple=True, metavar="ID", help="A template group, with all below it."
)
@click.option("--snippet", "snippet_ids", multiple=True, metavar="ID", help="A snippet.")
@click.option("--units", is_flag=True, help="Every unit, with the fields they use (Sys).")
@click.option("--fields", is_flag=True, help="Every field definition (Sys).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the package (a zip).",
)
@click.pass_context
def export(
    ctx: click.Context,
    server_url: str | None,
    login: str | None,
    password_stdin: bool,
    template_ids: tuple[str, ...],
    group_ids: tuple[str, ...],
    snippet_ids: tuple[str, ...],
    units: bool,
    fields: bool,
    output: Path,
) -> None:
    """Write a package of chosen templates, template groups, snippets, units and fields."""
    try:
        choice = PackageExport(
            template_ids=list(template_ids),
            group_ids=list(group_ids),
            snippet_ids=list(snippet_ids),
            units=units,
            fields=fields,
        )
    except ValidationError as exc:
        raise click.BadParameter(str(exc.errors()[0]["msg"]), param_hint="an id") from None
    if not (template_ids or group_ids or snippet_ids or units or fields):
        raise click.UsageError(
            "Choose what to export: --template, --group, --snippet, --units or --fields."
        )
    partial = output.with_name(output.name + ".part")
    with connect(ctx, server_url, login, password_stdin) as api:
        body = choice.model_dump()
        with (
            api.stream("POST", "/admin/packages/export", json=body) as response,
            partial.open("wb") as out,
        ):
            for chunk in response.iter_bytes(CHUNK):
                out.write(chunk)
    os.replace(partial, output)
    console.print(Text(f"Wrote {output}: {_contents(output)}."), highlight=False)


def _contents(archive: Path) -> str:
    with zipfile.ZipFile(archive) as zf:
        manifest = parse_json(zf.read("manifest.json"), "manifest.json")
    counts = [
        (len(manifest.get(key) or []), name)
        for key, name in (
            ("template_groups", "template group"),
            ("templates", "template"),
            ("snippets", "snippet"),
            ("units", "unit"),
            ("fields", "field definition"),
        )
    ]
    size = archive.stat().st_size
    listed = ", ".join(f"{n} {name}{'' if n == 1 else 's'}" for n, name in counts if n)
    return f"{listed} ({size} bytes)"


# --- import ----------------------------------------------------------------------------


@package.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@server_options
@click.option("--yes", is_flag=True, help="Import after the preview without asking.")
@click.option("--dry-run", is_flag=True, help="Show the preview only; import nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the preview or report as JSON.")
@click.pass_context
def import_(
    ctx: click.Context,
    file: Path,
    server_url: str | None,
    login: str | None,
    password_stdin: bool,
    yes: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Preview a package, confirm, and import it in one step.

    Clients receive the import at their next sync. Importing the same package again
    changes nothing."""
    if as_json and not (yes or dry_run):
        raise click.UsageError("--json needs --yes or --dry-run: there is no one to ask.")
    with connect(ctx, server_url, login, password_stdin) as api:
        preview = PackagePreview.model_validate(api.upload("/admin/packages/preview", file))
        if as_json and dry_run:
            click.echo(preview.model_dump_json())
            return
        if not as_json:
            _print_preview(file, preview)
        if dry_run:
            return
        if not (preview.added or preview.changed):
            report = PackageReport(**preview.model_dump(), applied=False, seq=None)
        else:
            if not yes:
                _confirm()
            answer = api.upload("/admin/packages/import", file, expected_plan=preview.plan)
            report = PackageReport.model_validate(answer)
    if as_json:
        click.echo(report.model_dump_json())
    else:
        _print_report(report)


def _confirm() -> None:
    if not sys.stdin.isatty():
        raise click.UsageError(
            "No terminal to confirm the import on; run again with --yes (or --dry-run)."
        )
    if not click.confirm("Import this package?", default=False):
        raise click.Abort


def _line(sign: str, item: PackageItem) -> Text:
    kind = KIND_NAMES.get(item.kind, item.kind)
    changes = f": {', '.join(item.changes)}" if item.changes else ""
    return Text(f"  {sign} {kind:<9} {item.title} [{item.id}]{changes}")


def _print_preview(file: Path, preview: PackagePreview) -> None:
    info = preview.package
    by = f", written by {info.generator}" if info.generator else ""
    console.print(
        Text(
            f"Package {file.name}: {info.files} files, {info.unpacked_bytes} bytes unpacked,"
            f" format {info.format_version}{by}."
        ),
        highlight=False,
    )
    for title, sign, items in (
        ("Added", "+", preview.added),
        ("Changed", "~", preview.changed),
    ):
        if items:
            console.print(f"{title} ({len(items)}):", highlight=False)
            for item in items:
                console.print(_line(sign, item), highlight=False)
    console.print(f"Unchanged: {len(preview.unchanged)}", highlight=False)
    for warning in preview.warnings:
        errors.print(Text(f"Warning: {warning}"), highlight=False)


def _print_report(report: PackageReport) -> None:
    counts = (
        f"{len(report.added)} added, {len(report.changed)} changed,"
        f" {len(report.unchanged)} unchanged"
    )
    if report.applied:
        console.print(
            f"Imported as change {report.seq}: {counts}. Clients receive it at their next sync.",
            highlight=False,
        )
    else:
        console.print(
            f"Nothing to import: everything in the package is on the server already ({counts}).",
            highlight=False,
        )
