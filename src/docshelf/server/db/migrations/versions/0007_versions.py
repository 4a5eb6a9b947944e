"""version history: a snapshot per version of each template and snippet, and the files
they name; every existing template and snippet gets its current state as its first
kept version

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "object_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_object_versions")),
        sa.UniqueConstraint("kind", "object_id", "version", name=op.f("uq_object_versions_kind")),
    )
    op.create_index(
        op.f("ix_object_versions_object_id"), "object_versions", ["object_id"], unique=False
    )
    op.create_index(
        op.f("ix_object_versions_created_at"), "object_versions", ["created_at"], unique=False
    )
    op.create_table(
        "object_version_files",
        sa.Column("version_id", _ID, nullable=False),
        sa.Column("slot", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["object_versions.id"],
            name=op.f("fk_object_version_files_version_id_object_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "slot", name=op.f("pk_object_version_files")),
    )
    op.create_index(
        op.f("ix_object_version_files_sha256"), "object_version_files", ["sha256"], unique=False
    )
    _backfill()


def _backfill() -> None:
    """The current state of every template and snippet becomes its first kept version.

    Plain tables, not the models: this must keep working when the models grow. The
    snapshot keys are those of server/db/versions.py."""
    conn = op.get_bind()
    versions = sa.table(
        "object_versions",
        *(sa.column(n) for n in ("kind", "object_id", "version", "seq", "created_at")),
        sa.column("actor"),
        sa.column("deleted"),
        sa.column("snapshot", sa.JSON()),
    )
    files = sa.table(
        "object_version_files",
        *(sa.column(n) for n in ("version_id", "slot")),
        sa.column("sha256"),
        sa.column("size"),
    )
    now = datetime.now(UTC)
    for kind, object_id, version, seq, snapshot, named in _current(conn):
        conn.execute(
            versions.insert().values(
                kind=kind,
                object_id=object_id,
                version=version,
                seq=seq,
                created_at=now,
                actor="migration",
                deleted=False,
                snapshot=snapshot,
            )
        )
        version_id = conn.execute(
            sa.text(
                "SELECT id FROM object_versions WHERE kind = :k AND object_id = :o AND version = :v"
            ),
            {"k": kind, "o": object_id, "v": version},
        ).scalar_one()
        for slot, (sha, size) in named.items():
            conn.execute(
                files.insert().values(version_id=version_id, slot=slot, sha256=sha, size=size)
            )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _current(conn: Any) -> Iterator[tuple[str, str, int, int, dict[str, Any], dict[str, Any]]]:
    template_files: dict[str, dict[str, Any]] = {}
    for tid, lang, sha, size, filename in conn.execute(
        sa.text("SELECT template_id, lang, sha256, size, filename FROM template_files")
    ):
        template_files.setdefault(tid, {})[lang] = {
            "sha256": sha,
            "filename": filename,
            "size": int(size),
        }
    query = sa.text(
        "SELECT id, version, seq, kind, group_id, status, active, titles, descriptions,"
        ' use_rights, change_rights, "order" FROM templates'
    )
    for row in conn.execute(query):
        named = dict(sorted(template_files.get(row[0], {}).items()))
        snapshot = {
            "kind": row[3],
            "group_id": row[4],
            "status": row[5],
            "active": bool(row[6]),
            "titles": _json(row[7]) or {},
            "descriptions": _json(row[8]) or {},
            "use_rights": _json(row[9]) or [],
            "change_rights": _json(row[10]) or [],
            "order": row[11] or 0,
            "files": named,
        }
        slots = {lang: (f["sha256"], f["size"]) for lang, f in named.items()}
        yield "template", row[0], int(row[1]), int(row[2]), snapshot, slots
    query = sa.text(
        "SELECT s.id, s.version, s.seq, s.kind, s.title, s.owner_id, s.template_id,"
        " s.read_rights, s.write_rights, s.body_sha256, b.size, s.body_format"
        " FROM snippets s LEFT JOIN blobs b ON b.sha256 = s.body_sha256"
    )
    for row in conn.execute(query):
        snapshot = {
            "kind": row[3],
            "title": row[4],
            "owner_id": row[5],
            "template_id": row[6],
            "read_rights": _json(row[7]) or [],
            "write_rights": _json(row[8]) or [],
            "body_sha256": row[9],
            "body_size": None if row[10] is None else int(row[10]),
            "body_format": row[11] or "text",
        }
        slots = {"body": (row[9], int(row[10] or 0))} if row[9] else {}
        yield "snippet", row[0], int(row[1]), int(row[2]), snapshot, slots


def downgrade() -> None:
    op.drop_index(op.f("ix_object_version_files_sha256"), table_name="object_version_files")
    op.drop_table("object_version_files")
    op.drop_index(op.f("ix_object_versions_created_at"), table_name="object_versions")
    op.drop_index(op.f("ix_object_versions_object_id"), table_name="object_versions")
    op.drop_table("object_versions")
