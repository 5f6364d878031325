"""Presence-only lessons: whether a lesson estimated expressions at all.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Lessons stored before it estimated expressions: true for them.
    with op.batch_alter_table("lessons") as batch:  # SQLite alters a table by copying it: batch mode
        batch.add_column(sa.Column("expressions", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("lessons") as batch:
        batch.drop_column("expressions")
