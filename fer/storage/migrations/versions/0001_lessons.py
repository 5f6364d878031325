"""The lessons database: a lesson row and its per-second, per-minute, moment, reflow, watched, seat and name rows.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen here: a later change of the labels is a migration of its own.
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def labels(prefix: str) -> list[sa.Column]:
    return [sa.Column(f"{prefix}{label}", sa.Double(), nullable=False) for label in LABELS]


def lesson_id() -> sa.Column:
    return sa.Column("lesson_id", sa.Integer(), sa.ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("utc_offset_min", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(255)),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended", sa.DateTime(timezone=True)),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("latest_s", sa.Double(), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("line", sa.String(200), nullable=False),
        sa.Column("window_s", sa.Double(), nullable=False),
        sa.Column("keep_names", sa.Boolean(), nullable=False),
        *labels("now_"),
    )
    op.create_index("ix_lessons_updated", "lessons", ["updated"])
    op.create_table(
        "lesson_seconds",
        lesson_id(),
        sa.Column("second", sa.Integer(), primary_key=True),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("faces", sa.Double(), nullable=False),
        *labels("share_"),
    )
    op.create_table(
        "seat_minutes",
        lesson_id(),
        sa.Column("minute", sa.Integer(), primary_key=True),
        sa.Column("layout", sa.Integer(), primary_key=True),
        sa.Column("seat", sa.String(8), primary_key=True),
        sa.Column("frames_seen", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        *labels("p_"),
    )
    op.create_table(
        "moments",
        lesson_id(),
        sa.Column("kind", sa.SmallInteger(), primary_key=True),
        sa.Column("n", sa.Integer(), primary_key=True),
        sa.Column("seat", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("observed_s", sa.Double()),
    )
    op.create_table(
        "reflows",
        lesson_id(),
        sa.Column("n", sa.Integer(), primary_key=True),
        sa.Column("time_s", sa.Double(), nullable=False),
        sa.Column("before_rows", sa.Integer(), nullable=False),
        sa.Column("before_cols", sa.Integer(), nullable=False),
        sa.Column("after_rows", sa.Integer(), nullable=False),
        sa.Column("after_cols", sa.Integer(), nullable=False),
    )
    op.create_table(
        "watched",
        lesson_id(),
        sa.Column("n", sa.Integer(), primary_key=True),
        sa.Column("start_s", sa.Double(), nullable=False),
        sa.Column("end_s", sa.Double(), nullable=False),
    )
    op.create_table(
        "seat_states",
        lesson_id(),
        sa.Column("seat", sa.String(8), primary_key=True),
        *labels("p_"),
        sa.Column("first_seen_s", sa.Double(), nullable=False),
        sa.Column("last_seen_s", sa.Double(), nullable=False),
        sa.Column("on_camera_s", sa.Double(), nullable=False),
    )
    op.create_table(
        "seat_names",
        lesson_id(),
        sa.Column("seat", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    for table in ("seat_names", "seat_states", "watched", "reflows", "moments", "seat_minutes", "lesson_seconds"):
        op.drop_table(table)
    op.drop_index("ix_lessons_updated", "lessons")
    op.drop_table("lessons")
