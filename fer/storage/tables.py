"""The lessons database's tables (SQLAlchemy Core, no ORM): numbers only, one lesson row and its parts.

A lesson is found by its key, the SHA-256 of its code (:func:`lesson_key`): the database alone gives
nobody a lesson's link. Every other table hangs off the lesson's integer ``id`` and is keyed by it
first, so that a save, a load and a delete each touch one lesson's rows by index. Probabilities and
shares are seven columns each, in :data:`~fer.labels.LABELS` order. No column holds bytes: nothing of
a picture or a face is stored, and a seat's typed name only when the teacher chose to keep names
(:data:`seat_names`).

The schema is built by the migrations in ``migrations/versions`` (:func:`fer.storage.engine.upgrade_to_head`),
never by ``metadata.create_all``; a test checks that the two agree.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    true,
)

from fer.classroom.lesson_store import CODE
from fer.labels import LABELS

metadata = MetaData()


def label_columns(prefix: str) -> list[Column]:
    """Seven not-null float columns ``{prefix}{label}``, in LABELS order."""
    return [Column(f"{prefix}{label}", Double, nullable=False) for label in LABELS]


def _lesson_id() -> Column:
    return Column("lesson_id", Integer, ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)


lessons = Table(
    "lessons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),  # sha256 hex of the code, never the code
    Column("started", DateTime(timezone=True), nullable=False),  # UTC
    Column("utc_offset_min", Integer, nullable=False),
    Column("source", String(255)),  # the recording a lesson was analysed from, if any
    Column("updated", DateTime(timezone=True), nullable=False, index=True),  # UTC, the latest save: retention
    Column("ended", DateTime(timezone=True)),  # UTC, when the teacher ended it
    Column("frames", Integer, nullable=False),
    Column("latest_s", Double, nullable=False),
    Column("faces", Integer, nullable=False),
    Column("line", String(200), nullable=False),
    Column("window_s", Double, nullable=False),
    Column("keep_names", Boolean, nullable=False),
    Column("expressions", Boolean, nullable=False, server_default=true()),  # False: presence only (migration 0002)
    *label_columns("now_"),  # the latest frame's shares
)

seconds = Table(  # the class per second (MoodSecond)
    "lesson_seconds",
    metadata,
    _lesson_id(),
    Column("second", Integer, primary_key=True),
    Column("frames", Integer, nullable=False),
    Column("faces", Double, nullable=False),
    *label_columns("share_"),
)

seat_minutes = Table(  # per seat per minute (SeatMinute): mean probabilities over the frames it was seen in
    "seat_minutes",
    metadata,
    _lesson_id(),
    Column("minute", Integer, primary_key=True),
    Column("layout", Integer, primary_key=True),
    Column("seat", String(8), primary_key=True),
    Column("frames_seen", Integer, nullable=False),
    Column("frames", Integer, nullable=False),
    *label_columns("p_"),
)

MOMENT, ATTENTION, AWAY = 0, 1, 2  # moments.kind: every stretch; flagged now; no face now

moments = Table(  # Moment: every stretch a seat needed attention, and the ones going on at the latest frame
    "moments",
    metadata,
    _lesson_id(),
    Column("kind", SmallInteger, primary_key=True),
    Column("n", Integer, primary_key=True),  # its place in the snapshot's tuple
    Column("seat", String(8), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("start_s", Double, nullable=False),
    Column("end_s", Double, nullable=False),
    Column("label", String(16), nullable=False),
    Column("observed_s", Double),
)

reflows = Table(
    "reflows",
    metadata,
    _lesson_id(),
    Column("n", Integer, primary_key=True),
    Column("time_s", Double, nullable=False),
    Column("before_rows", Integer, nullable=False),
    Column("before_cols", Integer, nullable=False),
    Column("after_rows", Integer, nullable=False),
    Column("after_cols", Integer, nullable=False),
)

watched = Table(  # the stretches with frames; the pauses are the gaps between them
    "watched",
    metadata,
    _lesson_id(),
    Column("n", Integer, primary_key=True),
    Column("start_s", Double, nullable=False),
    Column("end_s", Double, nullable=False),
)

seat_states = Table(  # SeatState: the latest layout's seats, so the view can be shown after a restart
    "seat_states",
    metadata,
    _lesson_id(),
    Column("seat", String(8), primary_key=True),
    *label_columns("p_"),
    Column("first_seen_s", Double, nullable=False),
    Column("last_seen_s", Double, nullable=False),
    Column("on_camera_s", Double, nullable=False),
)

seat_names = Table(  # only while the lesson's keep_names is set
    "seat_names",
    metadata,
    _lesson_id(),
    Column("seat", String(8), primary_key=True),
    Column("name", String(40), nullable=False),
)

PARTS = (seconds, seat_minutes, moments, reflows, watched, seat_states, seat_names)  # every table of a lesson's rows


def lesson_key(code: str) -> str:
    """The key a lesson is stored under: the SHA-256 (hex) of its code. Raises ValueError for a string
    that is no lesson code (:data:`fer.classroom.lesson_store.CODE`), before anything is asked of a database."""
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise ValueError("not a lesson code")
    return hashlib.sha256(code.encode()).hexdigest()
