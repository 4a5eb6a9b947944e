"""Typed changes: one patch per kind of record, and a registry of what each attribute is.

Every write of a template, template group, snippet, profile or unit goes through one
service function taking one patch (see docs/design.md, "One write path"): the admin API,
the sync's uploaded edits, package imports and the dashboard build a patch and call it.

A patch names each attribute either ``UNSET`` (leave it) or with a value. ``None`` is a
value, and only where the attribute is nullable, where it clears: ``parent_id=None``
moves to the root, ``unit_id=None`` removes the unit, ``body_sha256=None`` removes the
body, ``assignable_by=None`` inherits the parent's. No flag beside the value says so.

The registry holds, per kind and attribute, what is pure about it: whether ``None`` is
allowed, whether a mapping is applied entry by entry (``None`` resetting an entry) or
replaces the whole, whether only a creation sets it (``fixed``: a template's kind, a
field's key), and a check that validates and normalises the value; per kind, which
attributes a creation needs. What needs the database (does the parent exist, would the
move make a cycle) is the service's part.

A creation takes a patch too (:func:`checked_new`): the required attributes set, the
others left to their defaults.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, TypeAlias, TypeVar

from docshelf.domain.accounts import normalize_login, parse_roles
from docshelf.domain.errors import InvalidInput
from docshelf.domain.fields import FieldScope, FieldType, check_field_key
from docshelf.domain.ids import check_id
from docshelf.domain.kinds import kind_label
from docshelf.domain.principals import check_principals
from docshelf.domain.snippets import SnippetFormat, SnippetKind
from docshelf.domain.templates import parse_kind, parse_status
from docshelf.domain.text import check_language, check_text, check_title
from docshelf.i18n import tr


class Unset(Enum):
    """The type of ``UNSET``: an attribute the patch leaves as it is."""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
T = TypeVar("T")
Maybe: TypeAlias = T | Unset
Texts = Mapping[str, str]
Entries = Mapping[str, str | None]  # a value sets the entry, None resets it
Members = tuple[str, ...]

MAX_ORDER = 1_000_000
GROUP_NAME_MAX_LENGTH = 100
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class TemplatePatch:
    kind: Maybe[str] = UNSET  # fixed: the file type (docx, xlsx, ...)
    titles: Maybe[Texts] = UNSET  # replaces all titles
    descriptions: Maybe[Texts] = UNSET  # replaces all descriptions
    group_id: Maybe[str | None] = UNSET  # None: no group (the root)
    status: Maybe[str] = UNSET
    use_rights: Maybe[Members] = UNSET
    change_rights: Maybe[Members] = UNSET
    order: Maybe[int] = UNSET


@dataclass(frozen=True)
class TemplateGroupPatch:
    titles: Maybe[Texts] = UNSET  # replaces all titles
    parent_id: Maybe[str | None] = UNSET  # None: move to the root
    order: Maybe[int] = UNSET


@dataclass(frozen=True)
class SnippetPatch:
    kind: Maybe[str] = UNSET  # fixed: personal, shared or template
    owner_id: Maybe[str | None] = UNSET  # fixed: a personal snippet's owner
    template_id: Maybe[str | None] = UNSET  # fixed: a template snippet's template
    title: Maybe[str] = UNSET
    read_rights: Maybe[Members] = UNSET
    write_rights: Maybe[Members] = UNSET
    body_sha256: Maybe[str | None] = UNSET  # an uploaded file; None: no body
    body_text: Maybe[str] = UNSET  # the body as text, stored as a file by the service
    body_format: Maybe[str] = UNSET


@dataclass(frozen=True)
class ProfilePatch:
    owner_id: Maybe[str] = UNSET  # fixed
    title: Maybe[str] = UNSET
    unit_id: Maybe[str | None] = UNSET  # None: no unit
    overrides: Maybe[Entries] = UNSET  # entry by entry
    shared_with: Maybe[Members] = UNSET  # user ids


@dataclass(frozen=True)
class UnitPatch:
    title: Maybe[str] = UNSET
    parent_id: Maybe[str | None] = UNSET  # None: move to the root
    fields: Maybe[Entries] = UNSET  # entry by entry; None: inherit the parent's again
    assignable_by: Maybe[Members | None] = UNSET  # None: inherit the parent's
    order: Maybe[int] = UNSET


@dataclass(frozen=True)
class FieldDefinitionPatch:
    key: Maybe[str] = UNSET  # fixed
    scope: Maybe[str] = UNSET  # fixed: user or unit
    type: Maybe[str] = UNSET  # fixed
    labels: Maybe[Texts] = UNSET  # replaces all labels
    order: Maybe[int] = UNSET


@dataclass(frozen=True)
class UserPatch:
    login: Maybe[str] = UNSET  # fixed
    display_name: Maybe[str] = UNSET
    roles: Maybe[Members] = UNSET  # every account is a plain user too
    fields: Maybe[Texts] = UNSET  # replaces all of the user's values


@dataclass(frozen=True)
class GroupPatch:
    name: Maybe[str] = UNSET
    description: Maybe[str] = UNSET


Patch: TypeAlias = (
    TemplatePatch
    | TemplateGroupPatch
    | SnippetPatch
    | ProfilePatch
    | UnitPatch
    | FieldDefinitionPatch
    | UserPatch
    | GroupPatch
)
P = TypeVar("P", bound=Patch)


# --- checks of single values ---------------------------------------------------------------


def _titles(value: Any) -> dict[str, str]:
    texts = _mapping(value)
    if not texts:
        raise InvalidInput(tr("Give a title in at least one language."))
    return {check_language(lang): check_title(_str(text)) for lang, text in texts.items()}


def _descriptions(value: Any) -> dict[str, str]:
    return {
        check_language(lang): check_text(
            _str(text), tr("Description"), max_length=5000, multiline=True
        )
        for lang, text in _mapping(value).items()
    }


def _entries(value: Any) -> dict[str, str | None]:
    # The values themselves are checked against the field definitions by the service.
    return {
        check_field_key(key): (None if v is None else _str(v)) for key, v in _mapping(value).items()
    }


def _labels(value: Any) -> dict[str, str]:
    return {
        check_language(lang): check_title(_str(text), tr("Label"))
        for lang, text in _mapping(value).items()
    }


def _values(value: Any) -> dict[str, str]:
    # Checked against the field definitions by the service.
    return {check_field_key(key): _str(v) for key, v in _mapping(value).items()}


def _display_name(value: Any) -> str:
    return check_title(_str(value), tr("Display name"))


def _roles(value: Any) -> tuple[str, ...]:
    return tuple(sorted(role.value for role in parse_roles(_strs(value))))


def _group_name(value: Any) -> str:
    # The column's width; PostgreSQL refuses longer values.
    return check_title(_str(value), tr("Group name"), max_length=GROUP_NAME_MAX_LENGTH)


def _group_description(value: Any) -> str:
    return check_text(_str(value), tr("Description"), max_length=500)


def _title(value: Any) -> str:
    return check_title(_str(value))


def _id(value: Any) -> str:
    return check_id(_str(value))


def _members(value: Any) -> tuple[str, ...]:
    return check_principals(_strs(value))


def _user_ids(value: Any) -> tuple[str, ...]:
    return tuple(sorted({check_id(v) for v in _strs(value)}))


def _status(value: Any) -> str:
    return parse_status(_str(value)).value


def _order(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_ORDER:
        raise InvalidInput(
            tr("An order is a whole number from -{n} to {n}.", n=MAX_ORDER),
        )
    return value


def _sha256(value: Any) -> str:
    text = _str(value)
    if not _SHA256_RE.match(text):
        raise InvalidInput(tr("{value!r} is not a SHA-256 in hex.", value=text))
    return text


def _body_text(value: Any) -> str:
    return check_text(_str(value), tr("Body"), max_length=100_000, multiline=True)


def _body_format(value: Any) -> str:
    try:
        return SnippetFormat(_str(value)).value
    except ValueError:
        raise InvalidInput(
            tr("Unknown snippet format {value!r}; use text, html or docx.", value=value)
        ) from None


def _template_kind(value: Any) -> str:
    return parse_kind(_str(value)).extension


def _snippet_kind(value: Any) -> str:
    try:
        return SnippetKind(_str(value)).value
    except ValueError:
        raise InvalidInput(
            tr("Unknown snippet kind {value!r}; use personal, shared or template.", value=value)
        ) from None


def _field_scope(value: Any) -> str:
    try:
        return FieldScope(_str(value)).value
    except ValueError as exc:
        raise InvalidInput(tr("Unknown field scope or type: {exc}.", exc=exc)) from None


def _field_type(value: Any) -> str:
    try:
        return FieldType(_str(value)).value
    except ValueError as exc:
        raise InvalidInput(tr("Unknown field scope or type: {exc}.", exc=exc)) from None


def _field_key(value: Any) -> str:
    return check_field_key(_str(value))


def _login(value: Any) -> str:
    return normalize_login(_str(value))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(tr("{value!r} is not a text.", value=value))
    return value


def _strs(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(tr("{value!r} is not a list.", value=value))
    return [_str(v) for v in value]


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(tr("{value!r} is not a mapping.", value=value))
    return {_str(k): v for k, v in value.items()}


# --- the registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    name: str
    check: Callable[[Any], Any]  # validates and normalises a value (never given None)
    nullable: bool = False  # None is a value: it clears
    entries: bool = False  # a mapping applied entry by entry
    fixed: bool = False  # set when the record is created, never changed


@dataclass(frozen=True)
class Kind:
    name: str  # as in docshelf.domain.kinds
    patch: type[Patch]
    attributes: Mapping[str, Attribute]
    required: tuple[str, ...]  # what a creation must set

    @property
    def changeable(self) -> list[str]:
        """The attributes an update may set."""
        return [name for name, a in self.attributes.items() if not a.fixed]


def _kind(name: str, patch: type[Patch], required: tuple[str, ...], *attributes: Attribute) -> Kind:
    by_name = {a.name: a for a in attributes}
    declared = [f.name for f in dataclasses.fields(patch)]
    assert list(by_name) == declared, f"{name}: registry and patch differ"
    assert set(required) <= set(by_name), f"{name}: requires an unknown attribute"
    return Kind(name, patch, by_name, required)


REGISTRY: Mapping[str, Kind] = {
    kind.name: kind
    for kind in (
        _kind(
            "template",
            TemplatePatch,
            ("kind", "titles"),
            Attribute("kind", _template_kind, fixed=True),
            Attribute("titles", _titles),
            Attribute("descriptions", _descriptions),
            Attribute("group_id", _id, nullable=True),
            Attribute("status", _status),
            Attribute("use_rights", _members),
            Attribute("change_rights", _members),
            Attribute("order", _order),
        ),
        _kind(
            "template_group",
            TemplateGroupPatch,
            ("titles",),
            Attribute("titles", _titles),
            Attribute("parent_id", _id, nullable=True),
            Attribute("order", _order),
        ),
        _kind(
            "snippet",
            SnippetPatch,
            ("kind", "title"),
            Attribute("kind", _snippet_kind, fixed=True),
            Attribute("owner_id", _id, nullable=True, fixed=True),
            Attribute("template_id", _id, nullable=True, fixed=True),
            Attribute("title", _title),
            Attribute("read_rights", _members),
            Attribute("write_rights", _members),
            Attribute("body_sha256", _sha256, nullable=True),
            Attribute("body_text", _body_text),
            Attribute("body_format", _body_format),
        ),
        _kind(
            "profile",
            ProfilePatch,
            ("owner_id", "title"),
            Attribute("owner_id", _id, fixed=True),
            Attribute("title", _title),
            Attribute("unit_id", _id, nullable=True),
            Attribute("overrides", _entries, entries=True),
            Attribute("shared_with", _user_ids),
        ),
        _kind(
            "unit",
            UnitPatch,
            ("title",),
            Attribute("title", _title),
            Attribute("parent_id", _id, nullable=True),
            Attribute("fields", _entries, entries=True),
            Attribute("assignable_by", _members, nullable=True),
            Attribute("order", _order),
        ),
        _kind(
            "field",
            FieldDefinitionPatch,
            ("key", "scope"),
            Attribute("key", _field_key, fixed=True),
            Attribute("scope", _field_scope, fixed=True),
            Attribute("type", _field_type, fixed=True),
            Attribute("labels", _labels),
            Attribute("order", _order),
        ),
        _kind(
            "user",
            UserPatch,
            ("login",),
            Attribute("login", _login, fixed=True),
            Attribute("display_name", _display_name),
            Attribute("roles", _roles),
            Attribute("fields", _values),
        ),
        _kind(
            "group",
            GroupPatch,
            ("name",),
            Attribute("name", _group_name),
            Attribute("description", _group_description),
        ),
    )
}
REGISTRY_BY_PATCH: Mapping[type[Any], Kind] = {kind.patch: kind for kind in REGISTRY.values()}


def kind_of(patch: Patch) -> Kind:
    return REGISTRY_BY_PATCH[type(patch)]


def set_attributes(patch: Patch) -> dict[str, Any]:
    """The attributes a patch sets, with their values, in the registry's order."""
    values = ((f.name, getattr(patch, f.name)) for f in dataclasses.fields(patch))
    return {name: value for name, value in values if value is not UNSET}


def check_value(kind: Kind, name: str, value: Any) -> Any:
    attribute = kind.attributes.get(name)
    if attribute is None:
        raise InvalidInput(
            tr(
                "A {kind} has no attribute {name!r} that can be changed.",
                kind=kind_label(kind.name),
                name=name,
            )
        )
    if value is None:
        if not attribute.nullable:
            raise InvalidInput(
                tr(
                    "{name!r} of a {kind} cannot be empty.",
                    name=name,
                    kind=kind_label(kind.name),
                )
            )
        return None
    return attribute.check(value)


def checked(patch: P) -> P:
    """The patch with every set value validated and normalised (titles stripped, rights
    sorted, ...), for an update: attributes only a creation sets are refused. Raises
    InvalidInput naming the first wrong value."""
    kind = kind_of(patch)
    for name in set_attributes(patch):
        if kind.attributes[name].fixed:
            raise InvalidInput(
                tr(
                    "{name!r} of a {kind} is given when it is created and cannot be changed.",
                    name=name,
                    kind=kind_label(kind.name),
                )
            )
    return _checked(patch)


def checked_new(patch: P) -> P:
    """:func:`checked` for a creation: the kind's required attributes must be set (and
    those only a creation sets may be)."""
    kind = kind_of(patch)
    missing = [name for name in kind.required if getattr(patch, name) is UNSET]
    if missing:
        raise InvalidInput(
            tr(
                "A new {kind} needs: {names}",
                kind=kind_label(kind.name),
                names=", ".join(missing),
            )
        )
    return _checked(patch)


def _checked(patch: P) -> P:
    kind = kind_of(patch)
    clean = {name: check_value(kind, name, v) for name, v in set_attributes(patch).items()}
    if isinstance(patch, SnippetPatch) and "body_text" in clean and "body_sha256" in clean:
        raise InvalidInput(tr("Give the snippet's body as text or as an uploaded file, not both."))
    return dataclasses.replace(patch, **clean)


def patch_from(patch_type: type[P], values: Mapping[str, Any], *, new: bool = False) -> P:
    """A checked patch setting ``values`` (attribute name → value); the others are unset.
    ``new``: for a creation (see :func:`checked_new`)."""
    patch = _build(REGISTRY_BY_PATCH[patch_type], values, new)
    assert isinstance(patch, patch_type)
    return patch


def patch_for(kind: str, values: Mapping[str, Any], *, new: bool = False) -> Patch:
    """:func:`patch_from` for a kind named as in docshelf.domain.kinds ("template_group")."""
    patch: Patch = _build(REGISTRY[kind], values, new)
    return patch


def _build(kind: Kind, values: Mapping[str, Any], new: bool) -> Any:
    for name in values:
        if name not in kind.attributes:
            check_value(kind, name, None)  # raises: no such attribute
    patch = kind.patch(**values)
    return checked_new(patch) if new else checked(patch)
