"""dashboard: kinds of device, when a client last reported an error, syncs per hour

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="client")
        )
        batch_op.add_column(sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sync_activity",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("syncs", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", name=op.f("pk_sync_activity")),
    )


def downgrade() -> None:
    op.drop_table("sync_activity")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("last_error_at")
        batch_op.drop_column("kind")
