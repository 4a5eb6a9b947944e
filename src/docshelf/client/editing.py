"""Making edits offline: check what is obviously forbidden, queue the edit, show it at once.

Each method turns what a user asked for into one :class:`~docshelf.domain.edits.Edit`
based on what they see now (the cache with their earlier edits laid over), writes it to
the outbox in one durable transaction and returns a sentence saying what was queued.
The server decides in the end; here we only refuse what the user's roles and the rights
the cache shows rule out for certain. Group memberships are not sent to clients, so a
right granted to any group counts as possibly held.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docshelf.client.descriptions import Description, in_current_language, label_of
from docshelf.client.files import FileStore
from docshelf.client.outbox import EditState, OutboxEntry
from docshelf.client.store import LocalStore
from docshelf.domain.accounts import Actor, Role
from docshelf.domain.edits import Edit, EditKind, Op, all_paths, base_of, check_edit
from docshelf.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from docshelf.domain.fields import FieldDef, FieldScope, FieldType, check_field_value
from docshelf.domain.ids import new_id
from docshelf.domain.permissions import (
    can_assign_unit,
    can_change_snippet,
    can_change_template,
    can_create_snippet,
    can_manage_template_groups,
    can_manage_units,
    require,
)
from docshelf.domain.principals import group_principal, user_principal
from docshelf.domain.snippets import Snippet, SnippetFormat, SnippetKind
from docshelf.domain.templates import (
    FILE_KINDS,
    PublicationStatus,
    Template,
    check_filename,
    parse_kind,
    parse_status,
)
from docshelf.domain.text import check_title
from docshelf.domain.trees import would_create_cycle
from docshelf.domain.units import Unit, effective_assignable_by
from docshelf.i18n import N_, tr

# Profile and unit "fields" that are attributes of the record, not field values.
_PROFILE_ATTRIBUTES = {"title": "title", "unit": "unit_id"}
_WHICH_LANGUAGE = N_("Say in which language: --lang de (or en, fr, ...).")
# What _find says when a name matches several records, or none, by what was looked for.
_SEVERAL = {
    "template": N_("Several templates are called '{ref}'; use an id ({ids})."),
    "template group": N_("Several template groups are called '{ref}'; use an id ({ids})."),
    "profile": N_("Several profiles are called '{ref}'; use an id ({ids})."),
    "snippet": N_("Several snippets are called '{ref}'; use an id ({ids})."),
    "unit": N_("Several units are called '{ref}'; use an id ({ids})."),
    "user": N_("Several users are called '{ref}'; use an id ({ids})."),
    "group": N_("Several groups are called '{ref}'; use an id ({ids})."),
}
_NONE = {
    "template": N_("There is no template '{ref}' in the local copy (sync first if it is new)."),
    "template group": N_(
        "There is no template group '{ref}' in the local copy (sync first if it is new)."
    ),
    "profile": N_("There is no profile '{ref}' in the local copy (sync first if it is new)."),
    "snippet": N_("There is no snippet '{ref}' in the local copy (sync first if it is new)."),
    "unit": N_("There is no unit '{ref}' in the local copy (sync first if it is new)."),
    "user": N_("There is no user '{ref}' in the local copy (sync first if it is new)."),
    "group": N_("There is no group '{ref}' in the local copy (sync first if it is new)."),
}
_BODY_FORMATS = {
    ".html": SnippetFormat.HTML,
    ".htm": SnippetFormat.HTML,
    ".docx": SnippetFormat.DOCX,
}


@dataclass(frozen=True)
class Queued:
    """What an edit command did: the outbox entry and a sentence for the user."""

    id: str
    message: str


class Editor:
    def __init__(self, store: LocalStore, files: FileStore, user_id: str) -> None:
        self.store = store
        self.files = files
        self.me = user_id

    # --- profiles ------------------------------------------------------------------------

    def profile_set(self, ref: str, field: str, value: str) -> Queued:
        profile = self._own_profile(ref)
        if field in _PROFILE_ATTRIBUTES:
            attribute = _PROFILE_ATTRIBUTES[field]
            new: Any = check_title(value) if attribute == "title" else self._assignable(value)
            shown = new if attribute == "title" else self._unit(new)["title"]
            what = Description(f"profile_{field}", {"profile": profile["title"], "value": shown})
            return self._update(EditKind.PROFILE, profile, {attribute: new}, what)
        definition = self._field(field)
        checked = check_field_value(definition, value)
        what = Description(
            "profile_field",
            {"field": _label(definition), "profile": profile["title"], "value": checked},
        )
        return self._update(
            EditKind.PROFILE, profile, {f"overrides.{definition.key}": checked}, what
        )

    def profile_reset(self, ref: str, field: str) -> Queued:
        profile = self._own_profile(ref)
        definition = self._field(field)
        if definition.key not in (profile.get("overrides") or {}):
            raise InvalidInput(
                tr(
                    "{field} of profile '{profile}' is already inherited.",
                    field=_shown_label(definition),
                    profile=profile["title"],
                )
            )
        what = Description(
            "profile_field_reset", {"field": _label(definition), "profile": profile["title"]}
        )
        return self._update(EditKind.PROFILE, profile, {f"overrides.{definition.key}": None}, what)

    def profile_new(self, title: str, unit: str | None) -> Queued:
        values: dict[str, Any] = {"title": check_title(title)}
        if unit is not None:
            values["unit_id"] = self._assignable(unit)
        return self._create(
            EditKind.PROFILE, values, Description("profile_new", {"title": values["title"]})
        )

    def profile_copy(self, ref: str, title: str | None = None) -> Queued:
        source = self._profile(ref)  # shared profiles may be copied: the copy is mine
        values: dict[str, Any] = {
            "title": check_title(title or tr("{title} (copy)", title=source["title"])),
            "unit_id": source.get("unit_id"),
        }
        for key, value in (source.get("overrides") or {}).items():
            values[f"overrides.{key}"] = value
        what = Description("profile_copy", {"profile": source["title"], "title": values["title"]})
        return self._create(EditKind.PROFILE, values, what)

    def profile_rm(self, ref: str) -> Queued:
        profile = self._own_profile(ref)
        what = Description("profile_delete", {"profile": profile["title"]})
        return self._delete(EditKind.PROFILE, profile, what)

    def profile_share(self, ref: str, login: str, share: bool = True) -> Queued:
        profile = self._own_profile(ref)
        user = self._user(login)
        if user["id"] == self.me:
            raise InvalidInput(tr("A profile is always yours; share it with colleagues."))
        members = {"shared_with": [user["id"]]}
        edit = Edit(
            kind=EditKind.PROFILE,
            op=Op.UPDATE,
            target=profile["id"],
            add=members if share else {},
            remove={} if share else members,
        )
        what = Description(
            "profile_share" if share else "profile_unshare",
            {"profile": profile["title"], "login": user["login"]},
        )
        return self._queue(edit, what)

    # --- snippets ------------------------------------------------------------------------

    def snippet_new(
        self,
        title: str,
        body_file: Path,
        shared: bool = False,
        group: str | None = None,
        template: str | None = None,
        read: list[str] | None = None,
        write: list[str] | None = None,
    ) -> Queued:
        """``read``/``write``: principals as :meth:`template_rights` takes them (``*``,
        ``group:NAME``, ``user:LOGIN``, ids too); either makes the snippet shared."""
        if template is not None and (shared or group or read or write):
            raise InvalidInput(tr("A snippet belongs to a template or is shared, not both."))
        shared = bool(shared or group or read or write)
        kind = SnippetKind.SHARED if shared else SnippetKind.PERSONAL
        values: dict[str, Any] = {}
        parent = None
        if template is not None:
            kind = SnippetKind.TEMPLATE
            record = self._find("template", template, "template", "titles")
            parent = _template(record)
            values["template_id"] = record["id"]
        require(
            can_create_snippet(self._actor(), kind, parent),
            tr(
                "Only layouters may create shared snippets, and template snippets only for"
                " templates they may change; create a personal one instead."
            ),
        )
        sha, body_format = self._import_body(body_file)
        values.update(
            {
                "kind": kind.value,
                "title": check_title(title),
                "body_sha256": sha,
                "body_format": body_format.value,
            }
        )
        readers = [self._principal(p) for p in read or []]
        if group is not None:
            readers.append(group_principal(self._group(group)["id"]))
        writers = [self._principal(p) for p in write or []]
        edit_add: dict[str, list[str]] = {}
        if readers:
            edit_add["read_rights"] = sorted(set(readers))
        if writers:
            edit_add["write_rights"] = sorted(set(writers))
        target = new_id()
        edit = Edit(kind=EditKind.SNIPPET, op=Op.CREATE, target=target, set=values, add=edit_add)
        what = Description(f"snippet_new_{kind.value}", {"title": values["title"]})
        return self._queue(edit, what, files=[sha])

    def snippet_edit(self, ident: str, title: str | None, body_file: Path | None) -> Queued:
        snippet = self._snippet(ident)
        if title is None and body_file is None:
            raise InvalidInput(tr("Say what to change: --title and/or --body-file."))
        values: dict[str, Any] = {}
        files: list[str] = []
        if title is not None:
            values["title"] = check_title(title)
        if body_file is not None:
            sha, body_format = self._import_body(body_file)
            values["body_sha256"] = sha
            values["body_format"] = body_format.value
            files.append(sha)
        what = Description("snippet_edit", {"snippet": snippet["title"]})
        return self._update(EditKind.SNIPPET, snippet, values, what, files=files)

    def snippet_rights(self, ident: str, right: str, add: list[str], remove: list[str]) -> Queued:
        """Grant or withdraw the read or write right of a shared snippet, like
        :meth:`template_rights` (additions and removals, which never conflict)."""
        snippet = self._snippet(ident)
        if snippet["kind"] != SnippetKind.SHARED.value:
            raise InvalidInput(tr("Only shared snippets carry read and write rights."))
        if right not in ("read", "write"):
            raise InvalidInput(
                tr("{right} is not a snippet right; use read or write.", right=right)
            )
        attribute = f"{right}_rights"
        held = set(snippet.get(attribute) or [])
        # A member no longer in the local copy (a deleted group) can still be withdrawn.
        gone = [p if p in held else self._principal(p) for p in remove]
        edit = Edit(
            kind=EditKind.SNIPPET,
            op=Op.UPDATE,
            target=snippet["id"],
            add={attribute: [self._principal(p) for p in add]} if add else {},
            remove={attribute: gone} if remove else {},
        )
        return self._queue(
            edit, Description(f"snippet_{right}_rights", {"snippet": snippet["title"]})
        )

    def snippet_rm(self, ident: str) -> Queued:
        snippet = self._snippet(ident)
        what = Description("snippet_delete", {"snippet": snippet["title"]})
        return self._delete(EditKind.SNIPPET, snippet, what)

    # --- templates -----------------------------------------------------------------------

    def template_set(
        self,
        ident: str,
        *,
        lang: str | None = None,
        title: str | None = None,
        description: str | None = None,
        status: str | None = None,
        group: str | None = None,
    ) -> Queued:
        template = self._changeable_template(ident)
        values: dict[str, Any] = {}
        if (title is not None or description is not None) and lang is None:
            raise InvalidInput(tr(_WHICH_LANGUAGE))
        if title is not None:
            values[f"titles.{lang}"] = check_title(title)
        if description is not None:
            values[f"descriptions.{lang}"] = description
        if status is not None:
            values["status"] = parse_status(status).value
        if group is not None:
            values["group_id"] = self._template_group(group)["id"]
        if not values:
            raise InvalidInput(
                tr("Say what to change: --title, --description, --status or --group.")
            )
        what = Description("template_change", {"template": _title(template)})
        return self._update(EditKind.TEMPLATE, template, values, what)

    def template_rights(self, ident: str, right: str, add: list[str], remove: list[str]) -> Queued:
        template = self._changeable_template(ident)
        attribute = {"use": "use_rights", "change": "change_rights"}[right]
        edit = Edit(
            kind=EditKind.TEMPLATE,
            op=Op.UPDATE,
            target=template["id"],
            add={attribute: [self._principal(p) for p in add]} if add else {},
            remove={attribute: [self._principal(p) for p in remove]} if remove else {},
        )
        what = Description(f"template_{right}_rights", {"template": _title(template)})
        return self._queue(edit, what)

    def template_set_file(self, ident: str, lang: str, path: Path) -> Queued:
        template = self._changeable_template(ident)
        filename = check_filename(path.name)
        expected = parse_kind(template["kind"])
        given = FILE_KINDS.get(path.suffix.lower().lstrip("."))
        if given is not None and given.application != expected.application:
            raise InvalidInput(
                tr(
                    "Template '{template}' is a .{extension} ({application}) template;"
                    " {name} is a .{given} file. Choose a .{extension} file.",
                    template=_title(template),
                    extension=expected.extension,
                    application=expected.application,
                    name=path.name,
                    given=given.extension,
                )
            )
        sha = self._import(path)
        value = {"sha256": sha, "size": self.files.size(sha), "filename": filename}
        what = Description(
            "template_file", {"lang": lang, "template": _title(template), "filename": filename}
        )
        return self._update(EditKind.TEMPLATE, template, {f"files.{lang}": value}, what, [sha])

    # --- units ---------------------------------------------------------------------------

    def unit_new(self, title: str, parent: str | None) -> Queued:
        self._require_org()
        values: dict[str, Any] = {"title": check_title(title)}
        if parent is not None:
            values["parent_id"] = self._unit(parent)["id"]
        return self._create(
            EditKind.UNIT, values, Description("unit_new", {"title": values["title"]})
        )

    def unit_set(self, ref: str, field: str, value: str | None) -> Queued:
        self._require_org()
        unit = self._unit(ref)
        if field == "title":
            if value is None:
                raise InvalidInput(tr("A unit always has a title."))
            what = Description("unit_rename", {"unit": unit["title"], "value": value})
            return self._update(EditKind.UNIT, unit, {"title": check_title(value)}, what)
        definition = self._field(field)
        checked = None if value is None else check_field_value(definition, value)
        named = {"field": _label(definition), "unit": unit["title"]}
        what = (
            Description("unit_field_reset", named)
            if checked is None
            else Description("unit_field", {**named, "value": checked})
        )
        return self._update(EditKind.UNIT, unit, {f"fields.{definition.key}": checked}, what)

    def unit_move(self, ref: str, parent: str | None) -> Queued:
        self._require_org()
        unit = self._unit(ref)
        parent_id = None if parent is None else self._unit(parent)["id"]
        parents = {u["id"]: u.get("parent_id") for u in self.store.view("unit", self.me)}
        if would_create_cycle(unit["id"], parent_id, parents):
            raise InvalidInput(tr("Unit '{unit}' cannot move below itself.", unit=unit["title"]))
        what = (
            Description("unit_move_top", {"unit": unit["title"]})
            if parent_id is None
            else Description(
                "unit_move_below",
                {"unit": unit["title"], "parent": self._unit(parent_id)["title"]},
            )
        )
        return self._update(EditKind.UNIT, unit, {"parent_id": parent_id}, what)

    def unit_rm(self, ref: str) -> Queued:
        self._require_org()
        unit = self._unit(ref)
        if any(u.get("parent_id") == unit["id"] for u in self.store.view("unit", self.me)):
            raise Conflict(
                tr("Unit '{unit}' has sub-units; move or delete them first.", unit=unit["title"])
            )
        used = [p for p in self.store.view("profile", self.me) if p.get("unit_id") == unit["id"]]
        if used:
            raise Conflict(
                tr(
                    "Unit '{unit}' is used by profile '{profile}'; assign another unit there"
                    " first.",
                    unit=unit["title"],
                    profile=used[0]["title"],
                )
            )
        return self._delete(
            EditKind.UNIT, unit, Description("unit_delete", {"unit": unit["title"]})
        )

    # --- template groups -----------------------------------------------------------------

    def template_group_new(self, lang: str, title: str, parent: str | None) -> Queued:
        self._require_layouter()
        values: dict[str, Any] = {f"titles.{lang}": check_title(title)}
        if parent is not None:
            values["parent_id"] = self._template_group(parent)["id"]
        what = Description("template_group_new", {"title": values[f"titles.{lang}"]})
        return self._create(EditKind.TEMPLATE_GROUP, values, what)

    def template_group_set(
        self, ref: str, *, lang: str | None, title: str | None, parent: str | None, top: bool
    ) -> Queued:
        self._require_layouter()
        group = self._template_group(ref)
        values: dict[str, Any] = {}
        if title is not None:
            if lang is None:
                raise InvalidInput(tr(_WHICH_LANGUAGE))
            values[f"titles.{lang}"] = check_title(title)
        if top:
            values["parent_id"] = None
        elif parent is not None:
            parent_id = self._template_group(parent)["id"]
            parents = {g["id"]: g.get("parent_id") for g in self.store.view("template_group")}
            if would_create_cycle(group["id"], parent_id, parents):
                raise InvalidInput(
                    tr("Group '{group}' cannot move below itself.", group=_title(group))
                )
            values["parent_id"] = parent_id
        if not values:
            raise InvalidInput(tr("Say what to change: --title (with --lang), --parent or --top."))
        what = Description("template_group_change", {"group": _title(group)})
        return self._update(EditKind.TEMPLATE_GROUP, group, values, what)

    def template_group_rm(self, ref: str) -> Queued:
        self._require_layouter()
        group = self._template_group(ref)
        if any(g.get("parent_id") == group["id"] for g in self.store.view("template_group")):
            raise Conflict(
                tr(
                    "Group '{group}' has sub-groups; move or delete them first.",
                    group=_title(group),
                )
            )
        if any(t.get("group_id") == group["id"] for t in self.store.view("template")):
            raise Conflict(
                tr("Group '{group}' holds templates; move them first.", group=_title(group))
            )
        what = Description("template_group_delete", {"group": _title(group)})
        return self._delete(EditKind.TEMPLATE_GROUP, group, what)

    def _require_layouter(self) -> None:
        require(
            can_manage_template_groups(self._actor()),
            tr("Only layouters manage template groups."),
        )

    # --- conflicts and rejections --------------------------------------------------------

    def resolve(self, ident: str, keep: str) -> Queued:
        """Settle a conflict: ``mine`` uploads the user's side again over theirs,
        ``theirs`` drops the user's side."""
        entry = self.store.outbox.get(ident)
        if entry.state is not EditState.CONFLICT:
            raise InvalidInput(
                tr(
                    "Upload {id} is not in conflict ({state}).",
                    id=entry.id,
                    state=entry.state.value,
                )
            )
        with self.store.transaction():
            box = self.store.outbox  # this thread's connection: inside the transaction
            if keep == "mine":
                new = box.requeue(entry, entry.theirs)
                return Queued(
                    new, tr("{edit}: your version goes up at the next sync.", edit=entry.summary)
                )
            released = box.discard(entry.id)
        self._release(released)
        return Queued(
            entry.id, tr("{edit}: discarded, the server's version stays.", edit=entry.summary)
        )

    def discard(self, ident: str) -> Queued:
        entry = self.store.outbox.get(ident)
        if entry.state is EditState.APPLIED:
            raise InvalidInput(
                tr("Upload {id} was accepted already; nothing to discard.", id=entry.id)
            )
        with self.store.transaction():
            released = self.store.outbox.discard(entry.id)
        self._release(released)
        return Queued(entry.id, tr("{edit}: discarded.", edit=entry.summary))

    def conflicts(self) -> list[OutboxEntry]:
        return self.store.outbox.entries([EditState.CONFLICT])

    # --- building blocks -----------------------------------------------------------------

    def _update(
        self,
        kind: EditKind,
        record: dict[str, Any],
        values: dict[str, Any],
        what: Description,
        files: list[str] | None = None,
    ) -> Queued:
        edit = Edit(
            kind=kind,
            op=Op.UPDATE,
            target=record["id"],
            set=values,
            base=base_of(kind, record, values),
        )
        return self._queue(edit, what, files or [])

    def _create(self, kind: EditKind, values: dict[str, Any], what: Description) -> Queued:
        edit = Edit(kind=kind, op=Op.CREATE, target=new_id(), set=values)
        return self._queue(edit, what)

    def _delete(self, kind: EditKind, record: dict[str, Any], what: Description) -> Queued:
        base = base_of(kind, record, all_paths(kind, record))
        edit = Edit(kind=kind, op=Op.DELETE, target=record["id"], base=base)
        return self._queue(edit, what)

    def _queue(self, edit: Edit, what: Description, files: list[str] | None = None) -> Queued:
        check_edit(edit)
        with self.store.transaction():
            ident = self.store.outbox.add(edit, what.to_json(), files or [])
        return Queued(ident, tr("Queued: {edit}. It goes up at the next sync.", edit=what.render()))

    def _release(self, hashes: list[str]) -> None:
        if hashes:
            self.files.remove(set(hashes) - self.store.still_referenced(hashes))

    def _import(self, path: Path) -> str:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(_cannot_read(path, exc)) from exc
        return self.files.put_bytes(data)

    def _import_body(self, path: Path) -> tuple[str, SnippetFormat]:
        body_format = _BODY_FORMATS.get(path.suffix.lower(), SnippetFormat.TEXT)
        if body_format is SnippetFormat.TEXT:
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    tr(
                        "{path} is not UTF-8 text; save it as UTF-8, or as .html or .docx.",
                        path=path,
                    )
                ) from exc
            except OSError as exc:
                raise InvalidInput(_cannot_read(path, exc)) from exc
        return self._import(path), body_format

    # --- what the cache knows ------------------------------------------------------------

    def _actor(self) -> Actor:
        """The user as far as the cache can tell, in every group (memberships aren't sent
        to clients), so that only what is certainly forbidden is refused here."""
        me = self.store.record("user", self.me) or {}
        roles = frozenset(
            Role(r) for r in me.get("roles", ["user"]) if r in Role._value2member_map_
        )
        groups = frozenset(g["id"] for g in self.store.records("group"))
        return Actor(user_id=self.me, login=me.get("login", ""), roles=roles, groups=groups)

    def _find(self, kind: str, ref: str, what: str, *names: str) -> dict[str, Any]:
        records = self.store.view(kind, self.me)
        for record in records:
            if record["id"] == ref:
                return record
        matches = [r for r in records if any(_matches(r.get(n), ref) for n in names)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(r["id"] for r in matches[:5])
            raise InvalidInput(tr(_SEVERAL[what], ref=ref, ids=ids))
        raise NotFound(tr(_NONE[what], ref=ref))

    def _profile(self, ref: str) -> dict[str, Any]:
        return self._find("profile", ref, "profile", "title")

    def _own_profile(self, ref: str) -> dict[str, Any]:
        profile = self._profile(ref)
        if profile.get("owner_id") != self.me and not self._actor().is_sys:
            raise Forbidden(
                tr(
                    "Profile '{profile}' is shared with you; only its owner changes it."
                    " Copy it (`docshelf profile copy`) to make your own.",
                    profile=profile["title"],
                )
            )
        return profile

    def _snippet(self, ident: str) -> dict[str, Any]:
        record = self._find("snippet", ident, "snippet", "title")
        snippet = Snippet(
            id=record["id"],
            kind=SnippetKind(record["kind"]),
            title=record["title"],
            owner_id=record.get("owner_id"),
            template_id=record.get("template_id"),
            read_rights=tuple(record.get("read_rights") or ()),
            write_rights=tuple(record.get("write_rights") or ()),
        )
        template = None
        if snippet.template_id:
            found = self.store.view_record("template", snippet.template_id, self.me)
            template = _template(found) if found else None
        require(
            can_change_snippet(self._actor(), snippet, template),
            tr("You may read snippet '{snippet}' but not change it.", snippet=record["title"]),
        )
        return record

    def _changeable_template(self, ident: str) -> dict[str, Any]:
        record = self._find("template", ident, "template", "titles")
        require(
            can_change_template(self._actor(), _template(record)),
            tr(
                "You may not change template '{template}': that needs the layouter role and"
                " the Change right.",
                template=_title(record),
            ),
        )
        return record

    def _template_group(self, ref: str) -> dict[str, Any]:
        return self._find("template_group", ref, "template group", "titles")

    def _unit(self, ref: str) -> dict[str, Any]:
        return self._find("unit", ref, "unit", "title")

    def _user(self, login: str) -> dict[str, Any]:
        return self._find("user", login, "user", "login", "display_name")

    def _group(self, name: str) -> dict[str, Any]:
        return self._find("group", name, "group", "name")

    def _principal(self, value: str) -> str:
        """``*``, ``user:LOGIN``/``group:NAME`` (ids work too), or a bare login."""
        if value == "*":
            return value
        kind, sep, name = value.partition(":")
        if sep and kind == "group":
            return group_principal(self._group(name)["id"])
        return user_principal(self._user(name if sep else value)["id"])

    def _field(self, key: str) -> FieldDef:
        for record in self.store.records("field"):
            if record["key"] == key or key in (record.get("labels") or {}).values():
                return FieldDef(
                    key=record["key"],
                    scope=FieldScope(record["scope"]),
                    type=FieldType(record["type"]),
                    labels=record.get("labels") or {},
                    order=record["order"],
                )
        known = ", ".join(sorted(r["key"] for r in self.store.records("field")))
        if not known:
            raise NotFound(tr("There is no field '{key}'; the local copy has no fields.", key=key))
        raise NotFound(
            tr("There is no field '{key}'; the fields are: {known}.", key=key, known=known)
        )

    def _units(self) -> dict[str, Unit]:
        return {
            r["id"]: Unit(
                id=r["id"],
                parent_id=r.get("parent_id"),
                title=r.get("title", ""),
                fields=r.get("fields") or {},
                assignable_by=(
                    tuple(r["assignable_by"]) if r.get("assignable_by") is not None else None
                ),
                order=r.get("order", 0),
            )
            for r in self.store.view("unit", self.me)
        }

    def _assignable(self, ref: str) -> str:
        unit = self._unit(ref)
        allowed = effective_assignable_by(unit["id"], self._units())
        require(
            can_assign_unit(self._actor(), allowed),
            tr("You may not assign unit '{unit}' to a profile.", unit=unit["title"]),
        )
        return str(unit["id"])

    def _require_org(self) -> None:
        require(
            can_manage_units(self._actor()),
            tr("Only users with the Org role change organisational units."),
        )


def _label(definition: FieldDef) -> dict[str, str] | str:
    return label_of(definition.labels, definition.key)


def _shown_label(definition: FieldDef) -> str:
    return str(in_current_language(_label(definition)))


def _cannot_read(path: Path, exc: OSError) -> str:
    return tr("Cannot read {path}: {reason}.", path=path, reason=exc.strerror or exc)


def _matches(value: Any, ref: str) -> bool:
    if isinstance(value, dict):
        return any(_matches(v, ref) for v in value.values())
    return isinstance(value, str) and value.casefold() == ref.casefold()


def _title(record: dict[str, Any]) -> str:
    titles: dict[str, str] = record.get("titles") or {}
    return titles.get("de") or next(iter(titles.values()), record["id"])


def _template(record: dict[str, Any]) -> Template:
    return Template(
        id=record["id"],
        group_id=record.get("group_id"),
        kind=record.get("kind", ""),
        status=PublicationStatus(record.get("status", "in_progress")),
        active=record.get("active", True),
        use_rights=tuple(record.get("use_rights") or ()),
        change_rights=tuple(record.get("change_rights") or ()),
    )
