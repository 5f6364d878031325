"""A lesson's snapshot as the database's rows and back, and what a save has to write.

:func:`changes` compares a :class:`~fer.classroom.snapshot.LessonSnapshot` with what the last save
wrote (:class:`Saved`) and returns only the rows that differ: the seconds and minutes from the
last one written on (the one that was open then is written again, complete), the moments, watched
stretches and reflows that are new or grew, every seat's state (they change with each frame) and
the names. With nothing saved before (a new lesson, a restarted server, a database found anew)
it is everything. :func:`snapshot_of` rebuilds the snapshot from the rows. Pure functions: the
queries are :mod:`fer.storage.database`'s.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Table

from fer.classroom.layout import seat_key
from fer.classroom.seats import Reflow
from fer.classroom.snapshot import LessonSnapshot, Moment, Reason, SeatMinute, SeatState
from fer.labels import LABELS
from fer.storage import tables as t
from fer.video.mood import MoodSecond

Row = dict[str, object]


@dataclass(frozen=True)
class Saved:
    """What the last successful save of a lesson wrote, in this process: the next save writes from there."""

    lesson_id: int
    second: int  # the latest second written (it may have been open then)
    minute: int  # the latest minute written
    moments: tuple[Moment, ...]
    attention: tuple[Moment, ...]
    away: tuple[Moment, ...]
    watched: tuple[tuple[float, float], ...]
    reflows: tuple[Reflow, ...]
    seats: frozenset[str]
    names: Mapping[str, str]  # as stored: empty unless kept


@dataclass
class Changes:
    """The rows one save writes: upserts per table, and what must go."""

    upserts: list[tuple[Table, list[Row]]] = field(default_factory=list)
    seats_left: list[str] | None = None  # delete the lesson's seat states but these (None: nothing to delete)
    names_left: list[str] | None = None  # delete the lesson's names but these (None: nothing to delete)
    moments_from: dict[int, int] = field(default_factory=dict)  # kind -> delete its moments from this place on


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime from a database's (SQLite gives naive UTC; PostgreSQL the session's zone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _labels(prefix: str, values: np.ndarray) -> Row:
    """One column per label; a presence-only lesson's probabilities (none estimated) as zeros."""
    values = values if len(values) else np.zeros(len(LABELS))
    return {f"{prefix}{label}": float(v) for label, v in zip(LABELS, values, strict=True)}


def _array(row: Mapping, prefix: str) -> np.ndarray:
    return np.array([row[f"{prefix}{label}"] for label in LABELS], np.float64)


def lesson_row(snapshot: LessonSnapshot, keep_names: bool, now: datetime) -> Row:
    """The lesson's own row (without its id and key)."""
    return {
        "started": snapshot.started.astimezone(UTC),
        "utc_offset_min": snapshot.utc_offset_min,
        "source": snapshot.source[:255] if snapshot.source else None,
        "updated": now.astimezone(UTC),
        "frames": snapshot.frames,
        "latest_s": float(snapshot.latest_s),
        "faces": snapshot.faces,
        "line": snapshot.line[:200],
        "window_s": float(snapshot.window_s),
        "keep_names": keep_names,
        "expressions": snapshot.expressions,
        **_labels("now_", snapshot.shares_now),
    }


def _second_row(lesson_id: int, r: MoodSecond) -> Row:
    row = {"lesson_id": lesson_id, "second": r.second, "frames": r.frames, "faces": float(r.faces)}
    return row | _labels("share_", r.shares)


def _minute_row(lesson_id: int, m: SeatMinute) -> Row:
    return {
        "lesson_id": lesson_id,
        "minute": m.minute,
        "layout": m.layout,
        "seat": m.seat,
        "frames_seen": m.frames_seen,
        "frames": m.frames,
    } | _labels("p_", m.probabilities)


def _moment_row(lesson_id: int, kind: int, n: int, m: Moment) -> Row:
    return {
        "lesson_id": lesson_id,
        "kind": kind,
        "n": n,
        "seat": m.seat,
        "reason": str(m.reason),
        "start_s": float(m.start_s),
        "end_s": float(m.end_s),
        "label": m.label,
        "observed_s": None if m.observed_s is None else float(m.observed_s),
    }


def _watched_row(lesson_id: int, n: int, stretch: tuple[float, float]) -> Row:
    return {"lesson_id": lesson_id, "n": n, "start_s": float(stretch[0]), "end_s": float(stretch[1])}


def _reflow_row(lesson_id: int, n: int, r: Reflow) -> Row:
    (before_rows, before_cols), (after_rows, after_cols) = r.before, r.after
    return {
        "lesson_id": lesson_id,
        "n": n,
        "time_s": float(r.time_s),
        "before_rows": int(before_rows),
        "before_cols": int(before_cols),
        "after_rows": int(after_rows),
        "after_cols": int(after_cols),
    }


def _seat_row(lesson_id: int, s: SeatState) -> Row:
    return {
        "lesson_id": lesson_id,
        "seat": s.name,
        "first_seen_s": float(s.first_seen_s),
        "last_seen_s": float(s.last_seen_s),
        "on_camera_s": float(s.on_camera_s),
    } | _labels("p_", s.probabilities)


def _changed(old: Sequence, new: Sequence) -> list[int]:
    """The places of ``new`` that are new or differ from ``old``'s."""
    return [i for i, item in enumerate(new) if i >= len(old) or old[i] != item]


def changes(lesson_id: int, snapshot: LessonSnapshot, saved: Saved | None, keep_names: bool) -> tuple[Changes, Saved]:
    """The rows to write for ``snapshot`` after ``saved`` (None: all of them), and what is saved once they are."""
    first = saved is None or saved.lesson_id != lesson_id
    before = Saved(lesson_id, -1, -1, (), (), (), (), (), frozenset(), {}) if first else saved
    out = Changes()
    # Seconds and minutes only grow at the end: the latest written (maybe open then) and those after it.
    seconds = snapshot.seconds[bisect.bisect_left(snapshot.seconds, before.second, key=lambda r: r.second) :]
    cells = snapshot.minutes[bisect.bisect_left(snapshot.minutes, before.minute, key=lambda m: m.minute) :]
    out.upserts.append((t.seconds, [_second_row(lesson_id, r) for r in seconds]))
    out.upserts.append((t.seat_minutes, [_minute_row(lesson_id, m) for m in cells]))
    moment_rows = []
    for kind, new, old in (
        (t.MOMENT, snapshot.moments, before.moments),
        (t.ATTENTION, snapshot.attention, before.attention),
        (t.AWAY, snapshot.away, before.away),
    ):
        moment_rows += [_moment_row(lesson_id, kind, i, new[i]) for i in _changed(old, new)]
        if first or len(new) < len(old):
            out.moments_from[kind] = len(new)
    out.upserts.append((t.moments, moment_rows))
    watched, reflows = snapshot.watched, snapshot.reflows
    out.upserts.append((t.watched, [_watched_row(lesson_id, i, watched[i]) for i in _changed(before.watched, watched)]))
    out.upserts.append((t.reflows, [_reflow_row(lesson_id, i, reflows[i]) for i in _changed(before.reflows, reflows)]))
    out.upserts.append((t.seat_states, [_seat_row(lesson_id, s) for s in snapshot.seats]))  # all change each frame
    seats = frozenset(s.name for s in snapshot.seats)
    if first or seats != before.seats:
        out.seats_left = sorted(seats)
    names = dict(snapshot.names) if keep_names else {}
    out.upserts.append(
        (
            t.seat_names,
            [{"lesson_id": lesson_id, "seat": s, "name": n} for s, n in names.items() if before.names.get(s) != n],
        )
    )
    if first or set(before.names) - set(names):
        out.names_left = sorted(names)
    out.upserts = [(table, rows) for table, rows in out.upserts if rows]
    done = Saved(
        lesson_id,
        snapshot.seconds[-1].second if snapshot.seconds else before.second,
        snapshot.minutes[-1].minute if snapshot.minutes else before.minute,
        snapshot.moments,
        snapshot.attention,
        snapshot.away,
        snapshot.watched,
        snapshot.reflows,
        seats,
        names,
    )
    return out, done


def _moment(row: Mapping) -> Moment:
    return Moment(row["seat"], Reason(row["reason"]), row["start_s"], row["end_s"], row["label"], row["observed_s"])


def snapshot_of(lesson: Mapping, parts: Mapping[str, Sequence[Mapping]]) -> LessonSnapshot:
    """The snapshot a lesson's rows make: ``lesson`` its row, ``parts`` its rows of each table by table name
    (in primary-key order). The gallery's tiles are not stored: its ``layout`` is None."""
    by_kind: dict[int, list[Moment]] = {t.MOMENT: [], t.ATTENTION: [], t.AWAY: []}
    for row in parts[t.moments.name]:
        by_kind[row["kind"]].append(_moment(row))
    minutes = [
        SeatMinute(r["minute"], r["layout"], r["seat"], r["frames_seen"], r["frames"], _array(r, "p_"))
        for r in parts[t.seat_minutes.name]
    ]
    minutes.sort(key=lambda m: (m.minute, m.layout, seat_key(m.seat)))
    seats = [
        SeatState(r["seat"], _array(r, "p_"), r["first_seen_s"], r["last_seen_s"], r["on_camera_s"])
        for r in parts[t.seat_states.name]
    ]
    seats.sort(key=lambda s: seat_key(s.name))
    return LessonSnapshot(
        started=utc(lesson["started"]),
        utc_offset_min=lesson["utc_offset_min"],
        source=lesson["source"],
        frames=lesson["frames"],
        latest_s=lesson["latest_s"],
        watched=tuple((r["start_s"], r["end_s"]) for r in parts[t.watched.name]),
        names={r["seat"]: r["name"] for r in parts[t.seat_names.name]} if lesson["keep_names"] else {},
        line=lesson["line"],
        faces=lesson["faces"],
        seats=tuple(seats),
        attention=tuple(by_kind[t.ATTENTION]),
        away=tuple(by_kind[t.AWAY]),
        window_s=lesson["window_s"],
        moments=tuple(by_kind[t.MOMENT]),
        reflows=tuple(
            Reflow(r["time_s"], (r["before_rows"], r["before_cols"]), (r["after_rows"], r["after_cols"]))
            for r in parts[t.reflows.name]
        ),
        seconds=tuple(
            MoodSecond(r["second"], r["frames"], r["faces"], _array(r, "share_")) for r in parts[t.seconds.name]
        ),
        minutes=tuple(minutes),
        shares_now=_array(lesson, "now_"),
        layout=None,
        expressions=lesson["expressions"],
    )
