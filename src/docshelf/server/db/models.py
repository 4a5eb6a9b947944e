"""Tables of the server's database.

Every synchronised entity has a stable ``id``, a ``version`` that grows with
each change, and ``seq``: the number of the change (one per write transaction)
that touched it last. Clients pull by ``seq``; hard deletes leave a row in
``tombstones`` with the deleting change's ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pydantic_core
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ID = String(64)
SHA256 = String(64)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json_value(value: Any) -> Any:
    # SQLite hands back JSON that is a bare number as a number (the column's affinity).
    return pydantic_core.from_json(value) if isinstance(value, str | bytes) else value


class Json(TypeDecorator[Any]):
    """JSON, decoded from SQLite's text in one step by pydantic's parser.

    SQLAlchemy's SQLite JSON type decodes through three Python layers per value, with the
    json module's parser; the change feed decodes thousands per page. Other databases
    decode as SQLAlchemy does.
    """

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _json_value
        return super().result_processor(dialect, coltype)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: Json(), list[str]: Json()}  # noqa: RUF012


class Synced:
    """Columns every synchronised entity carries."""

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- bookkeeping -------------------------------------------------------------------


class Meta(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Counter(Base):
    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Commit(Base):
    """One row per change: lets a cursor prove it belongs to this database's history."""

    __tablename__ = "commits"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    nonce: Mapped[str] = mapped_column(String(32))
    committed_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    # Whom the change may concern (db/audience.py); NULL: anyone.
    audience: Mapped[list[Any] | None] = mapped_column(Json(), default=None)
    # It touched users or groups: held hint streams may know a stale scope.
    scope_changed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class Tombstone(Base):
    __tablename__ = "tombstones"
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(SHA256, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppliedMutation(Base):
    """The answer to an uploaded edit, kept so that a repeated delivery is answered alike.

    An applied edit's row is written in the same transaction as its effect, so the edit
    and the record of it commit together or not at all.
    """

    __tablename__ = "applied_mutations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device_id: Mapped[str | None] = mapped_column(ID, default=None)
    outcome: Mapped[str] = mapped_column(String(16))
    answer: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class BlobUpload(Base):
    """Who uploaded which file: uploaders may use their files in edits before anyone else
    may read them, and nobody may use a file merely by knowing its hash."""

    __tablename__ = "blob_uploads"
    user_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(
        SHA256, ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True, index=True
    )
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Setting(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(Json())
    version: Mapped[int] = mapped_column(Integer, default=1)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One object one change wrote: who, when, from where, and its attributes before and
    after (see db/audit.py). Kept for the AuditRetentionDays setting."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The account's id (None for the admin CLI, the demo, the system) and its login.
    actor_id: Mapped[str | None] = mapped_column(ID, default=None)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    object_title: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json(), default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json(), default=None)
    origin: Mapped[str] = mapped_column(String(16))
    origin_ref: Mapped[str | None] = mapped_column(String(200), default=None)


# --- accounts ----------------------------------------------------------------------


class User(Synced, Base):
    __tablename__ = "users"
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    roles: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Group(Synced, Base):
    __tablename__ = "groups"
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")


class GroupMember(Base):
    """An edge of the group graph; ``member_key`` is the member's principal."""

    __tablename__ = "group_members"
    __table_args__ = (
        CheckConstraint(
            "(user_id IS NULL) <> (member_group_id IS NULL)", name="exactly_one_member"
        ),
    )
    group_id: Mapped[str] = mapped_column(
        ID, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    member_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    member_group_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )


class Device(Base):
    """A signed-in client. The token itself is never stored, only its hash."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    client_version: Mapped[str | None] = mapped_column(String(64), default=None)
    last_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    last_sync_seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    # The last failure the client reported (it tells at its next successful contact).
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    # Its code (client_error.CODE_HEADER): the dashboard names known ones in its language.
    last_error_code: Mapped[str | None] = mapped_column(String(40), default=None)
    # "client" (a sync client) or "dashboard" (a browser session of the web dashboard).
    kind: Mapped[str] = mapped_column(String(16), default="client", server_default="client")
    # When a completed sync first reached ``last_sync_seq``: how fast changes spread.
    reached_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncActivity(Base):
    """Completed syncs per hour, for the dashboard's chart; counted in memory by each
    server process and added here every few seconds."""

    __tablename__ = "sync_activity"
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    syncs: Mapped[int] = mapped_column(BigInteger, default=0)


class ServerProcess(Base):
    """A running server process and how many change-hint streams it holds, reported every
    few seconds, so the dashboard can add up what each process keeps in memory."""

    __tablename__ = "server_processes"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    hint_streams: Mapped[int] = mapped_column(Integer, default=0)


class LoginThrottle(Base):
    """Failed logins per login name, shared by every server process through the database."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)


# --- organisation ------------------------------------------------------------------


class FieldDefinition(Synced, Base):
    __tablename__ = "field_definitions"
    key: Mapped[str] = mapped_column(String(40), unique=True)
    scope: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(20))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    order: Mapped[int] = mapped_column(Integer, default=0)


class Unit(Synced, Base):
    __tablename__ = "units"
    parent_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assignable_by: Mapped[list[str] | None] = mapped_column(Json(), default=None)
    order: Mapped[int] = mapped_column(Integer, default=0)


class Profile(Synced, Base):
    __tablename__ = "profiles"
    owner_id: Mapped[str] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    shared_with: Mapped[list[str]] = mapped_column(default=list)


# --- templates and snippets --------------------------------------------------------


class TemplateGroup(Synced, Base):
    __tablename__ = "template_groups"
    parent_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("template_groups.id", ondelete="RESTRICT"), index=True
    )
    titles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    order: Mapped[int] = mapped_column(Integer, default=0)


class Template(Synced, Base):
    __tablename__ = "templates"
    group_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("template_groups.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    titles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    descriptions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    use_rights: Mapped[list[str]] = mapped_column(default=list)
    change_rights: Mapped[list[str]] = mapped_column(default=list)
    order: Mapped[int] = mapped_column(Integer, default=0)
    deactivated_at: Mapped[datetime | None] = mapped_column(default=None)
    files: Mapped[list[TemplateFile]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="TemplateFile.lang",
        lazy="selectin",
    )


class TemplateFile(Base):
    __tablename__ = "template_files"
    template_id: Mapped[str] = mapped_column(
        ID, ForeignKey("templates.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    sha256: Mapped[str] = mapped_column(SHA256, ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(200))
    template: Mapped[Template] = relationship(back_populates="files")


class Snippet(Synced, Base):
    __tablename__ = "snippets"
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("templates.id", ondelete="CASCADE"), index=True
    )
    read_rights: Mapped[list[str]] = mapped_column(default=list)
    write_rights: Mapped[list[str]] = mapped_column(default=list)
    body_sha256: Mapped[str | None] = mapped_column(SHA256, ForeignKey("blobs.sha256"), index=True)
    body_format: Mapped[str] = mapped_column(String(10), default="text")


# --- version history -----------------------------------------------------------------


class ObjectVersion(Base):
    """One kept version of a template or snippet (server/db/versions.py): everything a
    restore needs, as it stood after the change ``seq``. ``deleted`` marks the change
    that deleted the object (its snapshot is the last state)."""

    __tablename__ = "object_versions"
    __table_args__ = (UniqueConstraint("kind", "object_id", "version"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(ID, index=True)
    version: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    snapshot: Mapped[dict[str, Any]] = mapped_column()


class ObjectVersionFile(Base):
    """A file a kept version refers to, so that the garbage collector keeps it and the
    storage figures count it without reading every snapshot."""

    __tablename__ = "object_version_files"
    version_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("object_versions.id", ondelete="CASCADE"),
        primary_key=True,
    )
    # A template's language, or "body" for a snippet's body.
    slot: Mapped[str] = mapped_column(String(8), primary_key=True)
    sha256: Mapped[str] = mapped_column(SHA256, index=True)
    size: Mapped[int] = mapped_column(BigInteger)


# --- package history ---------------------------------------------------------------


class PackageImport(Base):
    """An applied package import, or the revert of one, with what it changed (below), so
    that it can be undone as one new change."""

    __tablename__ = "package_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # "import" or "revert"
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(ID, default=None)
    actor_login: Mapped[str] = mapped_column(String(64))
    # The package's SHA-256; NULL for a revert.
    package_sha256: Mapped[str | None] = mapped_column(SHA256, default=None)
    # The entry a revert undid.
    reverts_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("package_imports.id", ondelete="SET NULL"), default=None
    )
    # The change it was applied in.
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    # Counts per action: {"created": n, "changed": n, "deleted": n}.
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # It touched units or field definitions (a Sys matter to undo).
    organisation: Mapped[bool] = mapped_column(Boolean, default=False)


class PackageImportObject(Base):
    """One object an import changed: its state before (the package entry format, NULL when
    the import created it) and its version after (NULL when the import removed it)."""

    __tablename__ = "package_import_objects"
    import_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("package_imports.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    # A field definition by its key, like in packages.
    object_id: Mapped[str] = mapped_column(ID, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # "created", "changed" or "deleted"
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(Json(), default=None)
    version_after: Mapped[int | None] = mapped_column(Integer, default=None)


class PackageImportFile(Base):
    """A file a before-state names: kept by the file store's garbage collection."""

    __tablename__ = "package_import_files"
    import_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("package_imports.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(SHA256, primary_key=True, index=True)


Index("ix_tombstones_kind_seq", Tombstone.kind, Tombstone.seq)
