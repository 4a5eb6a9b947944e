"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blobs")),
    )
    op.create_table(
        "commits",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_commits")),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "field_definitions",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_definitions")),
        sa.UniqueConstraint("key", name=op.f("uq_field_definitions_key")),
    )
    with op.batch_alter_table("field_definitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_field_definitions_seq"), ["seq"], unique=False)

    op.create_table(
        "groups",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_groups_name")),
    )
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_groups_seq"), ["seq"], unique=False)

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settings_seq"), ["seq"], unique=False)

    op.create_table(
        "template_groups",
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["template_groups.id"],
            name=op.f("fk_template_groups_parent_id_template_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_groups")),
    )
    with op.batch_alter_table("template_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_groups_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_template_groups_seq"), ["seq"], unique=False)

    op.create_table(
        "tombstones",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name=op.f("pk_tombstones")),
    )
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.create_index("ix_tombstones_kind_seq", ["kind", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_tombstones_seq"), ["seq"], unique=False)

    op.create_table(
        "units",
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("assignable_by", sa.JSON(), nullable=True),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_seq"), ["seq"], unique=False)

    op.create_table(
        "users",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_seq"), ["seq"], unique=False)

    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_version", sa.String(length=64), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_devices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_user_id"), ["user_id"], unique=False)

    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("member_key", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("member_group_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (member_group_id IS NULL)",
            name=op.f("ck_group_members_exactly_one_member"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_members_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_group_id"],
            ["groups.id"],
            name=op.f("fk_group_members_member_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_group_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "member_key", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_members_member_group_id"), ["member_group_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_group_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "profiles",
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("shared_with", sa.JSON(), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_profiles_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_profiles_unit_id_units"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profiles_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_profiles_seq"), ["seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_profiles_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "templates",
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("descriptions", sa.JSON(), nullable=False),
        sa.Column("use_rights", sa.JSON(), nullable=False),
        sa.Column("change_rights", sa.JSON(), nullable=False),
        sa.Column("order", sa.Integer(), nullable=False),
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["template_groups.id"],
            name=op.f("fk_templates_group_id_template_groups"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
    )
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_templates_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_templates_seq"), ["seq"], unique=False)

    op.create_table(
        "snippets",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("template_id", sa.String(length=64), nullable=True),
        sa.Column("read_rights", sa.JSON(), nullable=False),
        sa.Column("write_rights", sa.JSON(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=True),
        sa.Column("body_format", sa.String(length=10), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_sha256"], ["blobs.sha256"], name=op.f("fk_snippets_body_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_snippets_owner_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_snippets_template_id_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snippets")),
    )
    with op.batch_alter_table("snippets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_snippets_body_sha256"), ["body_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_snippets_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_snippets_seq"), ["seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_snippets_template_id"), ["template_id"], unique=False)

    op.create_table(
        "template_files",
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["sha256"], ["blobs.sha256"], name=op.f("fk_template_files_sha256_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_template_files_template_id_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("template_id", "lang", name=op.f("pk_template_files")),
    )
    with op.batch_alter_table("template_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_template_files_sha256"), ["sha256"], unique=False)

    # The change counter starts at 0; the epoch names this database's history, so a
    # client cursor from another database (or a fresh one) is recognised as foreign.
    op.bulk_insert(
        sa.table("counters", sa.column("name"), sa.column("value")),
        [{"name": "change_seq", "value": 0}],
    )
    op.bulk_insert(
        sa.table("meta", sa.column("key"), sa.column("value")),
        [{"key": "epoch", "value": secrets.token_hex(8)}],
    )


def downgrade() -> None:
    with op.batch_alter_table("template_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_files_sha256"))

    op.drop_table("template_files")
    with op.batch_alter_table("snippets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snippets_template_id"))
        batch_op.drop_index(batch_op.f("ix_snippets_seq"))
        batch_op.drop_index(batch_op.f("ix_snippets_owner_id"))
        batch_op.drop_index(batch_op.f("ix_snippets_body_sha256"))

    op.drop_table("snippets")
    with op.batch_alter_table("templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_templates_seq"))
        batch_op.drop_index(batch_op.f("ix_templates_group_id"))

    op.drop_table("templates")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profiles_unit_id"))
        batch_op.drop_index(batch_op.f("ix_profiles_seq"))
        batch_op.drop_index(batch_op.f("ix_profiles_owner_id"))

    op.drop_table("profiles")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_group_members_member_group_id"))

    op.drop_table("group_members")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_user_id"))

    op.drop_table("devices")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_seq"))

    op.drop_table("users")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_seq"))
        batch_op.drop_index(batch_op.f("ix_units_parent_id"))

    op.drop_table("units")
    with op.batch_alter_table("tombstones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tombstones_seq"))
        batch_op.drop_index("ix_tombstones_kind_seq")

    op.drop_table("tombstones")
    with op.batch_alter_table("template_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_groups_seq"))
        batch_op.drop_index(batch_op.f("ix_template_groups_parent_id"))

    op.drop_table("template_groups")
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settings_seq"))

    op.drop_table("settings")
    op.drop_table("meta")
    op.drop_table("login_throttle")
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_groups_seq"))

    op.drop_table("groups")
    with op.batch_alter_table("field_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_definitions_seq"))

    op.drop_table("field_definitions")
    op.drop_table("counters")
    op.drop_table("commits")
    op.drop_table("blobs")
