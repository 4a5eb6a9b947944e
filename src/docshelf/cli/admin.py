"""``docshelf admin``: administration straight on the database, beside a running server."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from docshelf.cli.options import (
    data_dir_option,
    database_url_option,
    normalize_database_url,
    read_password,
)
from docshelf.cli.output import console, table
from docshelf.domain.accounts import system_actor
from docshelf.domain.audit import CLI
from docshelf.domain.errors import NotFound
from docshelf.domain.patches import UNSET, GroupPatch, TemplatePatch, UserPatch
from docshelf.domain.principals import group_principal, user_principal
from docshelf.domain.settings import SETTINGS, spec_for
from docshelf.i18n import N_, ntr, tr
from docshelf.i18n.click_help import TranslatedGroup
from docshelf.server.config import ServerSettings
from docshelf.server.db.connect import open_database
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.models import Group, Template, User
from docshelf.server.maintenance import purge_tombstones
from docshelf.server.services import accounts, settings, templates
from docshelf.server.services.common import get_or_404
from docshelf.server.services.passwords import Passwords

ACTOR = system_actor()
ACTOR_NAME = "admin-cli"


class AdminContext:
    def __init__(self, data_dir: Path | None, database_url: str | None) -> None:
        self._target_given = data_dir is not None or database_url is not None
        self.settings = ServerSettings(
            data_dir=data_dir or Path("."), database_url=normalize_database_url(database_url)
        )
        self._db: Database | None = None

    def require_target(self) -> None:
        # Checked when a command runs rather than in the group, so `--help` works everywhere.
        if not self._target_given:
            raise click.UsageError(
                tr("Give --data-dir or --database-url (or set DOCSHELF_DATA_DIR).")
            )

    @property
    def db(self) -> Database:
        self.require_target()
        if self._db is None:
            self._db = open_database(self.settings.resolved_database_url())
        return self._db

    @contextmanager
    def change(self) -> Iterator[Change]:
        with self.db.change(ACTOR_NAME, origin=CLI) as change:
            yield change

    def passwords(self) -> Passwords:
        return Passwords(self.settings.password_time_cost, self.settings.password_memory_kib)


def pass_admin(command: Callable[..., None]) -> Callable[..., None]:
    """Pass the admin context, refusing at once when no database was named (before any
    prompt for a password), with a usage error."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        context = click.get_current_context().find_object(AdminContext)
        assert context is not None
        context.require_target()
        command(context, *args, **kwargs)

    return run


@click.group(
    cls=TranslatedGroup,
    help=N_("Administer users, groups, settings and templates directly on the database."),
)
@data_dir_option
@database_url_option
@click.pass_context
def admin(ctx: click.Context, data_dir: Path | None, database_url: str | None) -> None:
    ctx.obj = AdminContext(data_dir, database_url)
    ctx.call_on_close(lambda: ctx.obj._db.dispose() if ctx.obj._db else None)


def _roles(value: str) -> list[str]:
    return [part for part in value.replace(" ", "").split(",") if part]


@admin.command("create-user", help=N_("Create a user account."))
@click.argument("login")
@click.option(
    "--role",
    "roles",
    default="user",
    show_default=True,
    help=N_("ROLE[,ROLE]: user, layouter, org, sys."),
)
@click.option("--display-name", help=N_("Full name (default: the login)."))
@click.option("--password-stdin", is_flag=True, help=N_("Read the password from standard input."))
@click.option("--no-password", is_flag=True, help=N_("Create without password (set it later)."))
@pass_admin
def create_user(
    ctx: AdminContext,
    login: str,
    roles: str,
    display_name: str | None,
    password_stdin: bool,
    no_password: bool,
) -> None:
    password_hash = None if no_password else ctx.passwords().hash(read_password(password_stdin))
    with ctx.change() as change:
        patch = UserPatch(
            login=login,
            display_name=UNSET if display_name is None else display_name,
            roles=tuple(_roles(roles)),
        )
        user = accounts.create_user(change, ACTOR, patch, password_hash=password_hash)
        console.print(
            tr(
                "Created user {login} ({roles}), id {id}.",
                login=user.login,
                roles=", ".join(user.roles),
                id=user.id,
            ),
            highlight=False,
        )


@admin.command("set-password", help=N_("Set a user's password."))
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help=N_("Read the password from standard input."))
@pass_admin
def set_password(ctx: AdminContext, login: str, password_stdin: bool) -> None:
    with ctx.db.read() as session:
        user_id = accounts.find_user(session, login).id
    password_hash = ctx.passwords().hash(read_password(password_stdin))
    with ctx.db.write() as session:
        get_or_404(session, User, user_id, "user").password_hash = password_hash
    console.print(tr("Password of {login} set.", login=login), highlight=False)


@admin.command("list-users", help=N_("List user accounts."))
@pass_admin
def list_users(ctx: AdminContext) -> None:
    with ctx.db.read() as session:
        rows = session.scalars(select(User).order_by(User.login))
        table(
            N_("Users"),
            [N_("login"), N_("name"), N_("roles"), N_("active"), N_("id")],
            ((u.login, u.display_name, ",".join(u.roles), u.active, u.id) for u in rows),
        )


@admin.group(help=N_("Groups and their members."))
def group() -> None:
    pass


@group.command("create", help=N_("Create a group."))
@click.argument("name")
@click.option("--description", default="")
@pass_admin
def group_create(ctx: AdminContext, name: str, description: str) -> None:
    with ctx.change() as change:
        created = accounts.create_group(
            change, ACTOR, GroupPatch(name=name, description=description)
        )
        console.print(
            tr("Created group «{name}», id {id}.", name=created.name, id=created.id),
            highlight=False,
        )


@group.command("list", help=N_("List groups with their direct members."))
@pass_admin
def group_list(ctx: AdminContext) -> None:
    with ctx.db.read() as session:
        rows = [
            (g.name, ", ".join(f"{n} ({k})" for k, _i, n in accounts.members(session, g)), g.id)
            for g in session.scalars(select(Group).order_by(Group.name))
        ]
    table(N_("Groups"), [N_("group"), N_("members"), N_("id")], rows)


@group.command("add-member", help=N_("Add a user (or, with --group-member, a group) to GROUP."))
@click.argument("group_name", metavar="GROUP")
@click.argument("member", metavar="LOGIN")
@click.option("--group-member", is_flag=True, help=N_("MEMBER names a group, not a user."))
@pass_admin
def group_add_member(ctx: AdminContext, group_name: str, member: str, group_member: bool) -> None:
    with ctx.change() as change:
        target = accounts.find_group(change.session, group_name)
        if group_member:
            added = accounts.add_member(
                change, ACTOR, target, member_group=accounts.find_group(change.session, member)
            )
        else:
            user = accounts.find_user(change.session, member)
            added = accounts.add_member(change, ACTOR, target, user=user)
    if added:
        line = tr("Added {member} → {group}.", member=member, group=target.name)
    else:
        line = tr("Already a member: {member} → {group}.", member=member, group=target.name)
    console.print(line, highlight=False)


@group.command(
    "remove-member", help=N_("Remove a user (or, with --group-member, a group) from GROUP.")
)
@click.argument("group_name", metavar="GROUP")
@click.argument("member", metavar="LOGIN")
@click.option("--group-member", is_flag=True, help=N_("MEMBER names a group, not a user."))
@pass_admin
def group_remove_member(
    ctx: AdminContext, group_name: str, member: str, group_member: bool
) -> None:
    with ctx.change() as change:
        target = accounts.find_group(change.session, group_name)
        if group_member:
            principal = group_principal(accounts.find_group(change.session, member).id)
        else:
            principal = user_principal(accounts.find_user(change.session, member).id)
        if not accounts.remove_member(change, ACTOR, target, principal):
            raise NotFound(
                tr("{member} is not a direct member of {group}.", member=member, group=target.name)
            )
    console.print(
        tr("Removed {member} from {group}.", member=member, group=target.name), highlight=False
    )


@admin.group("settings", help=N_("Settings clients receive with every sync."))
def settings_group() -> None:
    pass


@settings_group.command("show", help=N_("Show every setting with its value and default."))
@pass_admin
def settings_show(ctx: AdminContext) -> None:
    with ctx.db.read() as session:
        values = settings.current(session)
    table(
        N_("Settings"),
        [N_("key"), N_("value"), N_("default"), N_("description")],
        ((k, values[k], s.default, s.description) for k, s in SETTINGS.items()),
    )


@settings_group.command(
    "set", help=N_("Set KEY to VALUE (durations in milliseconds, languages as de,en).")
)
@click.argument("key")
@click.argument("value")
@pass_admin
def settings_set(ctx: AdminContext, key: str, value: str) -> None:
    spec = spec_for(key)
    parsed = spec.parse(value)
    with ctx.change() as change:
        settings.set_value(change, ACTOR, key, parsed)
    said = (
        tr("{key} = {value}; clients receive it at their next sync.", key=key, value=parsed)
        if spec.sent_to_clients
        else tr("{key} = {value}; the server uses it from now on.", key=key, value=parsed)
    )
    console.print(said, highlight=False)


@admin.group("template", help=N_("Publication state of templates."))
def template_group() -> None:
    pass


@template_group.command("list", help=N_("List all templates, deactivated ones included."))
@pass_admin
def template_list(ctx: AdminContext) -> None:
    with ctx.db.read() as session:
        rows = session.scalars(select(Template).order_by(Template.group_id, Template.order))
        table(
            N_("Templates"),
            [N_("id"), N_("title"), N_("type"), N_("status"), N_("active"), N_("languages")],
            (
                (
                    t.id,
                    next(iter(t.titles.values()), ""),
                    t.kind,
                    t.status,
                    t.active,
                    ",".join(f.lang for f in t.files),
                )
                for t in rows
            ),
        )


def _template_action(
    ctx: AdminContext, template_id: str, action: str, status: str | None = None
) -> None:
    with ctx.change() as change:
        row = get_or_404(change.session, Template, template_id, "template")
        if action == "status":
            patch = TemplatePatch() if status is None else TemplatePatch(status=status)
            templates.update_template(change, ACTOR, row, patch)
        elif action == "deactivate":
            templates.deactivate(change, ACTOR, row)
        else:
            templates.restore(change, ACTOR, row)
        title = next(iter(row.titles.values()), row.id)
        status, active = row.status, row.active
    if active:
        line = tr(
            "Template «{title}» ({id}) is now {status}.", title=title, id=template_id, status=status
        )
    else:
        line = tr(
            "Template «{title}» ({id}) is now {status}, deactivated.",
            title=title,
            id=template_id,
            status=status,
        )
    console.print(line, highlight=False)


@template_group.command(
    "release", help=N_("Release a template: every holder of Use receives it at the next sync.")
)
@click.argument("template_id", metavar="ID")
@pass_admin
def template_release(ctx: AdminContext, template_id: str) -> None:
    _template_action(ctx, template_id, "status", "released")


@template_group.command("set-status", help=N_("Set a template's publication status."))
@click.argument("template_id", metavar="ID")
@click.argument("status", type=click.Choice(["in_progress", "in_test", "released"]))
@pass_admin
def template_set_status(ctx: AdminContext, template_id: str, status: str) -> None:
    _template_action(ctx, template_id, "status", status)


@template_group.command(
    "deactivate",
    help=N_("Deactivate (delete) a template; it leaves every client and can be restored."),
)
@click.argument("template_id", metavar="ID")
@pass_admin
def template_deactivate(ctx: AdminContext, template_id: str) -> None:
    _template_action(ctx, template_id, "deactivate")


@template_group.command("restore", help=N_("Restore a deactivated template."))
@click.argument("template_id", metavar="ID")
@pass_admin
def template_restore(ctx: AdminContext, template_id: str) -> None:
    _template_action(ctx, template_id, "restore")


@admin.command(
    "purge-tombstones",
    help=N_(
        "Forget deletions older than the retention window (the server also does it "
        "hourly).\n\nClients whose last sync is older than that reconcile with the "
        "server at their next sync."
    ),
)
@click.option(
    "--older-than-days",
    type=click.FloatRange(min=0),
    default=None,
    help=N_("Retention window (default: DOCSHELF_TOMBSTONE_RETENTION_DAYS, 90)."),
)
@pass_admin
def purge_tombstones_command(ctx: AdminContext, older_than_days: float | None) -> None:
    days = older_than_days if older_than_days is not None else ctx.settings.tombstone_retention_days
    dropped = purge_tombstones(ctx.db, timedelta(days=days))
    console.print(
        ntr(
            "Forgot {n} deletion older than {days} days.",
            "Forgot {n} deletions older than {days} days.",
            dropped,
            days=format(days, "g"),
        ),
        highlight=False,
    )


# Registered last: cli/blobs.py, cli/audit.py and cli/history.py build on the context defined
# above.
from docshelf.cli import history as _history  # noqa: E402,F401  (registers its commands)
from docshelf.cli.audit import audit_command  # noqa: E402
from docshelf.cli.blobs import blobs  # noqa: E402
from docshelf.cli.explain import explain  # noqa: E402

admin.add_command(blobs)
admin.add_command(explain)
admin.add_command(audit_command)
