"""What the window shows, read from the local copy in one go (on the task thread).

A :class:`Library` is a plain snapshot: the tabs render it and never touch the cache
themselves, so the GUI thread does no disk reads. The lists come from
:mod:`docshelf.client.reading`, the same functions the CLI lists with; what a user may
change is decided by :mod:`docshelf.domain.permissions`, as the editor decides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from docshelf.client import Client, EditState, documents, reading
from docshelf.domain.accounts import Actor, Role
from docshelf.domain.permissions import (
    can_change_snippet,
    can_change_template,
    can_create_snippet,
    can_manage_units,
)
from docshelf.domain.settings import CLIENT_SYNC_INTERVAL, CLIENT_SYNC_MAX_DELAY_AFTER_START
from docshelf.domain.snippets import Snippet, SnippetKind
from docshelf.domain.templates import PublicationStatus, Template


@dataclass(frozen=True)
class Library:
    user_id: str | None = None
    login: str | None = None
    server: str | None = None
    roles: frozenset[str] = frozenset()
    templates: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[dict[str, Any]] = field(default_factory=list)
    snippets: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)
    settings: dict[str, int] = field(default_factory=dict)
    pending_uploads: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    log_file: str = ""
    # template id -> its files and what its tags need are here (a document can be made offline)
    offline_ready: dict[str, bool] = field(default_factory=dict)
    last_profile: str | None = None  # the profile the last document was made with
    # For layouters: template id -> (its tags, those that name nothing)
    template_tags: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None

    @property
    def is_layouter(self) -> bool:
        return bool({Role.LAYOUTER.value, Role.SYS.value} & self.roles)

    @property
    def may_manage_units(self) -> bool:
        return can_manage_units(self.actor())

    @property
    def may_share_snippets(self) -> bool:
        return can_create_snippet(self.actor(), SnippetKind.SHARED)

    @property
    def interval_ms(self) -> int:
        return self.settings.get(CLIENT_SYNC_INTERVAL, 0)

    @property
    def max_delay_ms(self) -> int:
        return self.settings.get(CLIENT_SYNC_MAX_DELAY_AFTER_START, 0)

    def actor(self) -> Actor:
        # Group memberships are not sent to clients: count every group as possibly held,
        # so that only what is certainly forbidden is greyed out (the server decides).
        roles = frozenset(Role(r) for r in self.roles if r in Role._value2member_map_)
        groups = frozenset(self.group_names)
        return Actor(self.user_id or "", self.login or "", roles or frozenset({Role.USER}), groups)

    def may_change_template(self, record: dict[str, Any]) -> bool:
        return can_change_template(self.actor(), template_of(record))

    def may_change_snippet(self, record: dict[str, Any]) -> bool:
        template = None
        if record.get("template_id"):
            found = next((t for t in self.templates if t["id"] == record["template_id"]), None)
            template = template_of(found) if found else None
        return can_change_snippet(self.actor(), snippet_of(record), template)

    def principal_name(self, principal: str) -> str:
        kind, _, ident = principal.partition(":")
        if kind == "user":
            return str(self.users.get(ident, {}).get("login", ident))
        if kind == "group":
            return self.group_names.get(ident, ident)
        return principal

    def owns(self, profile: dict[str, Any]) -> bool:
        return profile.get("owner_id") == self.user_id or Role.SYS.value in self.roles

    def unit_path(self, unit_id: str) -> str:
        """ "Parent / Child": tells apart units of the same name in different places."""
        return " / ".join(reversed(_path(unit_id, {u["id"]: u for u in self.units}, "title")))

    def group_path(self, group_id: str, lang: str) -> str:
        groups = {g["id"]: {**g, "name": title(g, lang)} for g in self.groups}
        return " / ".join(reversed(_path(group_id, groups, "name")))


def load(client: Client, lang: str) -> Library:
    """Everything the tabs show, as the user sees it (their unsent edits laid over)."""
    config = client.config
    if config is None:
        # Signed out: what the cache still holds belongs to the previous user; show none
        # of it (signing in as them again brings it back without a download).
        return Library(settings=client.settings(), log_file=str(client.home.log_file))
    me = config.user_id
    store = client.store
    user = store.record("user", me) if me else None
    counts = store.outbox.counts()
    templates = reading.templates(store, lang)
    roles = frozenset((user or {}).get("roles", [])) | {Role.USER.value}
    layouter = bool({Role.LAYOUTER.value, Role.SYS.value} & roles)
    return Library(
        user_id=me,
        login=config.login,
        server=config.server_url,
        roles=roles,
        templates=templates,
        groups=reading.template_groups(store),
        profiles=reading.profiles(store, me, lang),
        snippets=reading.snippets(store, me),
        units=sorted(store.view("unit", me), key=lambda r: (r.get("order", 0), r["title"])),
        fields=sorted(store.records("field"), key=lambda r: r.get("order", 0)),
        users={u["id"]: u for u in store.records("user")},
        group_names={g["id"]: g.get("name", g["id"]) for g in store.records("group")},
        settings=client.settings(),
        pending_uploads=counts[EditState.PENDING.value],
        conflicts=[e.to_json() for e in store.outbox.entries([EditState.CONFLICT])],
        log_file=str(client.home.log_file),
        offline_ready=client.offline_ready(templates),
        last_profile=client.last_profile(),
        template_tags=(
            {t["id"]: documents.tag_report(store, client.files, t, me) for t in templates}
            if layouter
            else {}
        ),
    )


def _path(ident: str, records: dict[str, dict[str, Any]], name: str) -> list[str]:
    names: list[str] = []
    current: str | None = ident
    while current in records and len(names) <= len(records):  # a loop must not hang the GUI
        names.append(str(records[current].get(name, "")))
        current = records[current].get("parent_id")
    return names


def template_of(record: dict[str, Any]) -> Template:
    return Template(
        id=record["id"],
        group_id=record.get("group_id"),
        kind=record.get("kind", ""),
        status=PublicationStatus(record.get("status", PublicationStatus.IN_PROGRESS.value)),
        active=record.get("active", True),
        use_rights=tuple(record.get("use_rights") or ()),
        change_rights=tuple(record.get("change_rights") or ()),
    )


def snippet_of(record: dict[str, Any]) -> Snippet:
    return Snippet(
        id=record["id"],
        kind=SnippetKind(record["kind"]),
        title=record["title"],
        owner_id=record.get("owner_id"),
        template_id=record.get("template_id"),
        read_rights=tuple(record.get("read_rights") or ()),
        write_rights=tuple(record.get("write_rights") or ()),
    )


def title(record: dict[str, Any], lang: str) -> str:
    return reading.title_of(record, lang)
