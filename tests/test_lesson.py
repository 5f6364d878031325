"""The class view's numbers: seats' moods, attention, the store, the report (the headline: test_headline.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import numpy as np
import pytest
from helpers import grid_boxes, make_face

from fer.classroom.attention import AttentionConfig, Readings, negative_reading
from fer.classroom.lesson import Lesson
from fer.classroom.lesson_store import LessonStore, StoreFull
from fer.classroom.report import class_csv, report_html, seats_csv
from fer.classroom.snapshot import Reason

START = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)


def feed(
    lesson: Lesson, boxes, label_of, seconds: float, fps: float = 2.0, start: float = 0.0, score: float = 0.8
) -> float:
    t = start
    while t < start + seconds:
        lesson.add([make_face(b, label_of(i), score) for i, b in enumerate(boxes)], t)
        t += 1 / fps
    return t


def test_seats_moods_and_attention():
    lesson = Lesson(START, attention=AttentionConfig(window_s=60, observed_s=30, absent_s=20))
    boxes = grid_boxes(5, 5)
    # A1 is sad throughout; the others neutral.
    t = feed(lesson, boxes, lambda i: "sad" if i == 0 else "neutral", 90)
    rows = lesson.snapshot().seats
    assert len(rows) == 25 and rows[0].name == "A1" and rows[0].label == "sad"
    assert {r.label for r in rows[1:]} == {"neutral"}
    attention = lesson.snapshot().attention
    assert [(a.seat, a.reason, a.label) for a in attention] == [("A1", Reason.NEGATIVE, "sad")]
    assert attention[0].for_s >= 55 and attention[0].why == "looked sad"  # flagged once 30 s were seen
    assert lesson.snapshot().away == () and lesson.flagged() == {"A1"}
    # B2 (index 6) leaves: after absent_s it is a seat with no face (not a worry, counted apart).
    t = feed(lesson, boxes[:6] + boxes[7:], lambda i: "sad" if i == 0 else "neutral", 70, start=t)
    snapshot = lesson.snapshot()
    assert [a.seat for a in snapshot.attention] == ["A1"]
    away = {a.seat: a for a in snapshot.away}
    assert list(away) == ["B2"] and away["B2"].reason is Reason.NO_FACE and away["B2"].for_s >= 20
    seats = {s.name: s for s in snapshot.seats}  # on camera from the first frame it was seated in
    assert seats["B2"].on_camera_s == pytest.approx(seats["B2"].last_seen_s - seats["B2"].first_seen_s)
    assert seats["B2"].last_seen_s == pytest.approx(89.5) and seats["A1"].last_seen_s == pytest.approx(159.5)
    assert seats["A1"].on_camera_s == pytest.approx(159.5 - seats["A1"].first_seen_s)
    assert len(snapshot.seats) == 25
    assert [(m.seat, m.reason) for m in snapshot.moments] == [("A1", Reason.NEGATIVE), ("B2", Reason.NO_FACE)]
    assert snapshot.line == "24 faces · mostly neutral"


def test_a_check_in_needs_sustained_confident_readings_not_a_noisy_plurality():
    config = AttentionConfig(window_s=240, observed_s=60)
    lesson = Lesson(START, attention=config)
    boxes = grid_boxes(2, 2)
    # A1 sad but unsure (0.4: its plurality is sad, yet no reading is confident); A2 sad half the time,
    # confidently; B1 sad a third of the time; B2 neutral.
    t = 0.0
    for n in range(2 * 300):
        labels = ["sad", "sad" if n % 2 else "neutral", "sad" if n % 3 == 0 else "happy", "neutral"]
        scores = [0.4, 0.8, 0.8, 0.8]
        lesson.add([make_face(b, label, s) for b, label, s in zip(boxes, labels, scores, strict=True)], t)
        t += 0.5
    snapshot = lesson.snapshot()
    assert [(a.seat, a.label) for a in snapshot.attention] == [("A2", "sad")]
    moods = {s.name: s.mood(config.confident) for s in snapshot.seats}
    assert moods["A1"] == "uncertain" and moods["B2"] == "neutral"


def test_the_check_ins_are_the_longest_first():
    lesson = Lesson(START, attention=AttentionConfig(window_s=60, observed_s=20))
    boxes = grid_boxes(2, 2)
    t = feed(lesson, boxes, lambda i: "angry" if i == 3 else "neutral", 60)
    feed(lesson, boxes, lambda i: "angry" if i in (0, 3) else "neutral", 60, start=t)
    assert [a.seat for a in lesson.snapshot().attention] == ["B2", "A1"]


def test_a_reading_is_negative_only_when_confident():
    sad = np.array([0.05, 0.05, 0.05, 0.05, 0.6, 0.1, 0.1])
    assert negative_reading(sad, 0.5) == 4 and negative_reading(sad, 0.7) == -1
    assert negative_reading(np.roll(sad, 2), 0.5) == -1  # neutral: never a worry
    readings = Readings(AttentionConfig(window_s=10, observed_s=5))
    for t in range(8):
        readings.add(float(t), sad)
    assert readings.check_in(7.0) == "sad" and readings.on_camera_s == 7.0
    assert readings.check_in(30.0) == ""  # nothing seen in the last 10 s


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
    assert not store.ended(code_a)
    store.end(code_a)
    assert store.get(code_a) is None and len(store) == 1
    assert store.ended(code_a) and not store.ended(code_b) and not store.ended(None)  # a tab sharing it is told


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


def test_a_pause_in_sharing_is_not_counted_as_watched():
    lesson = Lesson(START, attention=AttentionConfig(absent_s=20))
    boxes = grid_boxes(5, 5)
    t = feed(lesson, boxes, lambda i: "neutral", 60)
    # Sharing stops for 7 minutes; when it comes back, B2 (index 6) has turned its camera off.
    feed(lesson, boxes[:6] + boxes[7:], lambda i: "neutral", 60, start=t + 420)
    snapshot = lesson.snapshot()
    assert len(snapshot.watched) == 2 and snapshot.watched_s == pytest.approx(119, abs=1)
    (pause,) = snapshot.pauses
    assert pause[1] - pause[0] == pytest.approx(420.5, abs=1)
    # B2 was last seen before the pause: away for the 60 s watched since, not 8 minutes.
    (away,) = snapshot.away
    assert away.seat == "B2" and away.for_s == pytest.approx(60, abs=1.5)
    assert [m.seat for m in snapshot.moments] == ["B2"] and snapshot.moments[0].for_s < 61
    html = report_html(snapshot)
    assert "Not watched" in html and "(7 min)" in html and "over\n2 min watched" in html
    assert html.count("<polygon") == 2 * 7  # the timeline breaks at the pause: one area per stretch and emotion


def test_names_the_teacher_types_stay_with_the_lesson_and_leave_it_only_when_chosen():
    lesson = Lesson(START)
    t = feed(lesson, grid_boxes(5, 5), lambda i: "happy", 10)
    lesson.name_seat("B3", "  Ben   Okafor ")
    lesson.name_seat("A1", "Ana")
    lesson.name_seat("A1", "")  # taken away again
    for seat, name, why in (("Z9", "Zed", "no seat"), ("B2", "x" * 41, "at most 40"), ("B2", "a\x00b", "one line")):
        with pytest.raises(ValueError, match=why):
            lesson.name_seat(seat, name)
    snapshot = lesson.snapshot()
    assert snapshot.names == {"B3": "Ben Okafor"}
    assert "Ben" not in report_html(snapshot) and "Ben" not in seats_csv(snapshot)
    assert "<td>B3 Ben Okafor</td>" in report_html(snapshot, with_names=True)
    rows = list(csv.DictReader(io.StringIO(seats_csv(snapshot, with_names=True))))
    assert {r["seat"]: r["name"] for r in rows}["B3"] == "Ben Okafor" and rows[0]["name"] == ""
    # A reflow: new seats, and no name is carried onto another student.
    feed(lesson, grid_boxes(4, 4), lambda i: "happy", 10, start=t)
    assert lesson.snapshot().names == {} and len(lesson.snapshot().reflows) == 1


def test_every_tile_of_the_pictures_grid_is_a_seat_a_face_seen_or_not():
    from fer.classroom.tiles import TileGrid

    w, h = 1280 // 3, 720 // 3
    grid = TileGrid(tuple(tuple((c * w + 2, r * h + 2, w - 4, h - 4) for c in range(3)) for r in range(3)))
    faces_at = [(x + w // 3, y + h // 4, h // 2, h // 2) for row in grid.rows for x, y, _, _ in row]
    lesson = Lesson(START, attention=AttentionConfig(absent_s=20))
    seen = faces_at[:4] + faces_at[5:8]  # B2 (camera off) and C3 (a face the cascade never finds): no face
    for n in range(80):
        lesson.add([make_face(b, "neutral", 0.8) for b in seen], n / 2, grid)
    snapshot = lesson.snapshot()
    assert len(snapshot.seats) == 7
    away = {a.seat: a for a in snapshot.away}
    assert set(away) == {"B2", "C3"} and away["B2"].start_s == 0.0 and away["B2"].for_s == pytest.approx(39.5)
    assert lesson.seat_names() == ["A1", "A2", "A3", "B1", "B2", "B3", "C1", "C2", "C3"]
    lesson.name_seat("B2", "Ben")  # the teacher can name a student whose camera is off
    assert lesson.names_now() == {"B2": "Ben"}
    with pytest.raises(ValueError, match="no seat 'D1'"):
        lesson.name_seat("D1", "Dana")


def test_a_flagged_seat_near_the_line_does_not_flicker():
    config = AttentionConfig(window_s=20, observed_s=5, most=0.5, release=0.35)
    sad = np.array([0.05, 0.05, 0.05, 0.05, 0.6, 0.1, 0.1])
    neutral = np.roll(sad, 2)
    readings, flags, on = Readings(config), [], False
    for t in range(80):  # sad 6 of every 10 readings, then 4 of 10 (below `most`, above `release`), then 2 of 10
        share = 6 if t < 30 else 4 if t < 60 else 2
        readings.add(float(t), sad if t % 10 < share else neutral)
        on = bool(readings.check_in(float(t), flagged=on))
        flags.append(on)
    assert flags[29] and all(flags[29:60])  # flagged, and held while the share stays above the release
    assert not flags[-1] and flags[40:].count(True) > 0  # released once it falls below it
    changes = sum(a != b for a, b in zip(flags, flags[1:], strict=False))
    assert changes == 2  # on once, off once: no flicker
    assert not Readings(config).check_in(0.0, flagged=True)  # no readings: nothing held
