"""package history: every import with what it changed, so that it can be reverted

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "package_imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_login", sa.String(length=64), nullable=False),
        sa.Column("package_sha256", sa.String(length=64), nullable=True),
        sa.Column("reverts_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reverts_id"],
            ["package_imports.id"],
            name=op.f("fk_package_imports_reverts_id_package_imports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_imports")),
    )
    with op.batch_alter_table("package_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_package_imports_seq"), ["seq"], unique=False)

    op.create_table(
        "package_import_objects",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("version_after", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["package_imports.id"],
            name=op.f("fk_package_import_objects_import_id_package_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "import_id", "kind", "object_id", name=op.f("pk_package_import_objects")
        ),
    )
    op.create_table(
        "package_import_files",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["package_imports.id"],
            name=op.f("fk_package_import_files_import_id_package_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "sha256", name=op.f("pk_package_import_files")),
    )
    with op.batch_alter_table("package_import_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_package_import_files_sha256"), ["sha256"], unique=False
        )


def downgrade() -> None:
    op.drop_table("package_import_files")
    op.drop_table("package_import_objects")
    op.drop_table("package_imports")
