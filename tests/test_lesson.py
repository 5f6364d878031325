"""The class view's numbers: the calm headline, seats' moods, attention, the store, the report."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import numpy as np
import pytest
from helpers import grid_boxes, make_face

from fer.classroom.lesson import AttentionConfig, Lesson
from fer.classroom.lesson_store import LessonStore, StoreFull
from fer.classroom.report import class_csv, report_html, seats_csv
from fer.classroom.snapshot import Reason
from fer.labels import LABELS
from fer.video.headline import CalmHeadline, HeadlineConfig

START = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)


def shares(**named: float) -> np.ndarray:
    return np.array([named.get(label, 0.0) for label in LABELS])


def test_a_still_class_never_changes_the_headline():
    headline = CalmHeadline()
    rng = np.random.default_rng(0)
    lines = set()
    for i in range(240):  # 2 minutes at 2 frames a second; detection finds 24 or 25 faces
        noise = rng.normal(0, 0.02, 7)
        lines.add(
            headline.update(i / 2, int(rng.choice([24, 25, 25])), shares(neutral=0.38, happy=0.34, sad=0.28) + noise)
        )
    assert lines == {"25 faces · mostly neutral"}


def test_a_lasting_change_comes_through_and_a_short_one_does_not():
    headline = CalmHeadline(HeadlineConfig(window_s=40, hold_s=10))
    calm, happy = shares(neutral=0.7, happy=0.3), shares(neutral=0.2, happy=0.8)
    t, lines = 0.0, []
    for _ in range(60):
        lines.append(headline.update(t, 20, calm))
        t += 1
    for _ in range(5):  # a 5-second burst of smiles
        lines.append(headline.update(t, 20, happy))
        t += 1
    assert set(lines) == {"20 faces · mostly neutral"}
    for _ in range(60):  # the class stays happy
        lines.append(headline.update(t, 20, happy))
        t += 1
    assert "20 faces · mostly neutral · happy rising" in lines
    assert lines[-1] == "20 faces · mostly happy"
    changes = sum(a != b for a, b in zip(lines, lines[1:], strict=False))
    assert changes <= 3  # neutral -> happy rising -> happy, with no flicker between


def test_the_first_frames_mood_is_not_held_while_the_line_settles():
    headline = CalmHeadline(HeadlineConfig(window_s=12, hold_s=10))
    happy, neutral = shares(happy=0.9, neutral=0.1), shares(happy=0.1, neutral=0.9)
    assert headline.update(0.0, 1, happy) == "1 face · mostly happy"
    lines = [headline.update(t / 2, 1, neutral) for t in range(1, 12)]
    assert lines[-1] == "1 face · mostly neutral"  # by 5.5 s, not after a 10-second hold
    for t in range(12, 40):
        headline.update(t / 2, 1, neutral)
    # Settled, the hold applies again: 8 seconds of smiles lead the window but do not come through.
    assert {headline.update(20 + t / 2, 1, happy) for t in range(16)} == {"1 face · mostly neutral"}


def test_no_faces():
    assert CalmHeadline().update(0, 0, np.zeros(7)) == "No faces in view"
    with pytest.raises(ValueError):
        HeadlineConfig(window_s=10, hold_s=20)


def feed(lesson: Lesson, boxes, label_of, seconds: float, fps: float = 2.0, start: float = 0.0) -> float:
    t = start
    while t < start + seconds:
        lesson.add([make_face(b, label_of(i), 0.8) for i, b in enumerate(boxes)], t)
        t += 1 / fps
    return t


def test_seats_moods_and_attention():
    lesson = Lesson(START, attention=AttentionConfig(negative_s=60, absent_s=20))
    boxes = grid_boxes(5, 5)
    # A1 is sad throughout; the others neutral.
    t = feed(lesson, boxes, lambda i: "sad" if i == 0 else "neutral", 90)
    rows = lesson.snapshot().seats
    assert len(rows) == 25 and rows[0].name == "A1" and rows[0].label == "sad"
    assert {r.label for r in rows[1:]} == {"neutral"}
    attention = lesson.snapshot().attention
    assert [(a.seat, a.reason, a.label) for a in attention] == [("A1", Reason.NEGATIVE, "sad")]
    assert attention[0].for_s >= 60 and attention[0].why == "looked sad"
    # B2 (index 6) leaves: after absent_s it is a seat with no face, and its seat stays.
    t = feed(lesson, boxes[:6] + boxes[7:], lambda i: "sad" if i == 0 else "neutral", 70, start=t)
    snapshot = lesson.snapshot()
    attention = {a.seat: a for a in snapshot.attention}
    assert attention["B2"].reason is Reason.NO_FACE and attention["B2"].for_s >= 20
    assert len(snapshot.seats) == 25
    assert [(m.seat, m.reason) for m in snapshot.moments] == [("A1", Reason.NEGATIVE), ("B2", Reason.NO_FACE)]
    assert snapshot.line == "24 faces · mostly neutral"


def test_faces_come_back_with_their_seats():
    lesson = Lesson(START)
    faces = [make_face(b, "happy", 0.8) for b in grid_boxes(3, 3)]
    for t in range(3):  # the layout is learnt from a few frames
        seated = lesson.add(faces, t / 2)
    assert [f.box for f in seated] == [f.box for f in faces] and all(f.seat is None for f in faces)
    assert [f.seat for f in seated] == ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"]


def test_a_snapshot_stays_as_it_was_taken():
    lesson = Lesson(START)
    t = feed(lesson, grid_boxes(2, 2), lambda i: "happy", 5)
    before = lesson.snapshot()
    feed(lesson, grid_boxes(2, 2), lambda i: "sad", 5, start=t)
    assert before.frames == 10 and {s.label for s in before.seats} == {"happy"}
    assert lesson.snapshot().frames == 20 and len(before.seconds) == 5


def test_a_reflow_leaves_no_ghost_seats():
    lesson = Lesson(START)
    t = feed(lesson, grid_boxes(5, 5), lambda i: "neutral", 10)
    feed(lesson, grid_boxes(4, 4), lambda i: "happy", 10, start=t)
    snapshot = lesson.snapshot()
    assert len(snapshot.reflows) == 1 and len(snapshot.seats) == 16
    assert snapshot.attention == ()


def test_reports_in_clock_time_with_one_row_per_seat():
    lesson = Lesson(START, utc_offset_min=60)  # the teacher's clock is an hour ahead of UTC
    feed(lesson, grid_boxes(5, 5), lambda i: "happy" if i % 2 else "neutral", 30)
    lesson = lesson.snapshot()
    per_second = list(csv.DictReader(io.StringIO(class_csv(lesson))))
    assert per_second[0]["time"] == "10:00:00" and per_second[-1]["time"] == "10:00:29" and len(per_second) == 30
    assert float(per_second[5]["faces"]) == 25
    per_seat = list(csv.DictReader(io.StringIO(seats_csv(lesson))))
    assert len(per_seat) == 25 and per_seat[0]["minute"] == "10:00" and per_seat[0]["seat"] == "A1"
    assert {r["label"] for r in per_seat} == {"happy", "neutral"}
    html = report_html(lesson)
    assert "10:00&ndash;10:00" in html and "<svg" in html and html.count("<tr><td>A") == 5
    assert not re.search(r"<script|https?://", html)  # self-contained


def test_the_store_keeps_lessons_apart_bounded_and_drops_idle_ones():
    now = [0.0]
    store = LessonStore(max_lessons=2, idle_s=3600, clock=lambda: now[0])
    code_a, lesson_a = store.create(started=START)
    code_b, lesson_b = store.create(started=START)
    assert code_a != code_b and len(code_a) == 22
    assert store.get(code_a) is lesson_a and store.get(code_b) is lesson_b
    assert store.get(code_a[:-1] + ("x" if code_a[-1] != "x" else "y")) is None
    assert store.get("../../etc") is None and store.get(None) is None
    with pytest.raises(StoreFull, match="limit"):
        store.create()
    now[0] = 1800
    store.get(code_a)  # looked at: kept
    now[0] = 4000
    assert store.get(code_b) is None and store.get(code_a) is lesson_a  # b was idle for over an hour
    store.create()
    store.end(code_a)
    assert store.get(code_a) is None and len(store) == 1


def test_only_so_many_lessons_share_at_once():
    now = [0.0]
    store = LessonStore(max_sharing=2, sharing_s=10, clock=lambda: now[0])
    a, b, c = (store.create()[0] for _ in range(3))
    assert store.admit(a) and store.admit(b)
    assert not store.admit(c)  # a third call at once would slow the other two down
    assert store.admit(a)  # those sharing go on
    now[0] = 11
    store.admit(a)  # b has sent nothing for over 10 s: it no longer counts
    assert store.admit(c)
    store.end(a)
    assert store.admit(b)
