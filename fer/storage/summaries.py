"""What a list of a teacher's lessons shows of each, and the class's mood across lessons, in one query.

:func:`summary_query` reads, for the lessons of the keys given and only those, the lesson's row, its
watched seconds and each emotion's share over it (its seconds weighted by their faces and frames, as
:func:`fer.video.mood.overall_shares` weighs them); :func:`summary_of` makes a :class:`LessonSummary`
of a row, with its one line in the calm line's words (:func:`fer.video.headline.words`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import Select, func, select

from fer.labels import LABELS
from fer.storage import tables as t
from fer.storage.records import utc
from fer.video.headline import read, words


@dataclass(frozen=True, eq=False)
class LessonSummary:
    """One stored lesson, for a list of a teacher's lessons."""

    code: str
    started: datetime  # UTC
    utc_offset_min: int
    source: str | None
    length_s: float  # lesson seconds of its latest frame
    watched_s: float  # seconds with frames (pauses not counted)
    frames: int
    faces: int  # the class's size at the latest frame, as the line showed it
    ended: datetime | None  # UTC, when the teacher ended it
    shares: np.ndarray  # (7,) each emotion's share over the lesson (zeros if no face was seen)
    summary: str  # one line: "24 faces · mostly neutral" (estimated expressions)

    @property
    def local_start(self) -> datetime:
        """When it started, on the teacher's clock."""
        return self.started.astimezone(timezone(timedelta(minutes=self.utc_offset_min)))


def summary_query(keys: Collection[str]) -> Select:
    """The rows of the lessons stored under ``keys``, the newest first: each lesson's columns, ``watched_s``,
    ``weight`` (its faces times frames) and ``sum_<label>`` (each share times that weight)."""
    ids = select(t.lessons.c.id).where(t.lessons.c.key.in_(keys)).scalar_subquery()
    w, s = t.watched.c, t.seconds.c
    watched = (
        select(w.lesson_id, func.sum(w.end_s - w.start_s).label("watched_s"))
        .where(w.lesson_id.in_(ids))
        .group_by(w.lesson_id)
        .subquery()
    )
    weight = s.faces * s.frames
    shares = (
        select(
            s.lesson_id,
            func.sum(weight).label("weight"),
            *(func.sum(weight * s[f"share_{label}"]).label(f"sum_{label}") for label in LABELS),
        )
        .where(s.lesson_id.in_(ids), s.faces > 0)
        .group_by(s.lesson_id)
        .subquery()
    )
    return (
        select(t.lessons, watched.c.watched_s, *shares.c[1:])
        .outerjoin(watched, watched.c.lesson_id == t.lessons.c.id)
        .outerjoin(shares, shares.c.lesson_id == t.lessons.c.id)
        .where(t.lessons.c.key.in_(keys))
        .order_by(t.lessons.c.started.desc())
    )


def summary_of(code: str, row: Mapping) -> LessonSummary:
    """The summary of the lesson of ``code`` from its row of :func:`summary_query`."""
    weight = row["weight"] or 0.0
    shares = np.array([(row[f"sum_{label}"] or 0.0) / weight if weight else 0.0 for label in LABELS])
    faces = row["faces"]
    counted = f"{faces} face{'s' * (faces != 1)}"
    if not weight:
        line = "no faces seen"
    elif not row["expressions"]:  # presence only: its shares are zeros, and no expression is named
        line = f"{counted} · presence only"
    else:
        line = f"{counted} · {words(read(shares))}"
    return LessonSummary(
        code=code,
        started=utc(row["started"]),
        utc_offset_min=row["utc_offset_min"],
        source=row["source"],
        length_s=row["latest_s"],
        watched_s=float(row["watched_s"] or 0.0),
        frames=row["frames"],
        faces=faces,
        ended=utc(row["ended"]) if row["ended"] is not None else None,
        shares=shares,
        summary=line,
    )
