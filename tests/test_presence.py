"""Presence-only mode: faces, seats, cameras on or off and time on camera, and no expression anywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from fer.classroom.lesson import Lesson
from fer.classroom.report import class_csv, report_html, seats_csv
from fer.classroom.tiles import find_tiles
from fer.config import GALLERY_DETECTOR, AnalyzerConfig, gallery_detector
from fer.faces import NOT_ESTIMATED, Face, label_of
from fer.labels import LABELS
from fer.recognition.frame import FrameAnalyzer
from fer.recognition.preprocessing import to_gray

EMOTION = re.compile(r"\b(" + "|".join(LABELS) + r"|mood|emotion|negative|uncertain)\b", re.IGNORECASE)
START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def presence_lesson():
    """A 5x5 call gallery of real faces (cameras off among them) shared for 2 minutes, presence only."""
    from tests.fixtures.call_galleries import standard

    gallery = standard("5x5", 0)
    analyzer = FrameAnalyzer.from_model(
        config=AnalyzerConfig(detector=gallery_detector(GALLERY_DETECTOR), expressions=False)
    )
    assert analyzer.classifier is None  # the model is not even loaded
    gray = to_gray(gallery.bgr)
    faces, grid = analyzer.analyze(gray), find_tiles(gray)
    lesson = Lesson(START, expressions=False)
    for n in range(240):
        lesson.add(faces, n / 2, grid)
    return gallery, faces, lesson.snapshot()


def test_no_expression_is_estimated_on_a_real_gallery(presence_lesson):
    gallery, faces, snapshot = presence_lesson
    assert len(faces) >= 15 and all(f.probabilities.size == 0 and f.label == "" and f.score == 0.0 for f in faces)
    assert not snapshot.expressions and snapshot.line == f"{snapshot.faces} faces in view"
    assert snapshot.faces == len(snapshot.seats) >= 15
    assert snapshot.attention == () and all(s.mood(0.5) == "" for s in snapshot.seats)
    assert all(s.on_camera_s == pytest.approx(119.5) for s in snapshot.seats)
    # Every tile is a seat: the cameras off (and faces the cascade misses) are counted apart.
    assert len(snapshot.away) == len(gallery.rects) - len(snapshot.seats) >= 2


def test_no_export_names_an_emotion(presence_lesson):
    _, _, snapshot = presence_lesson
    html = report_html(snapshot)
    assert "Class presence" in html and "no expression or\nemotion was estimated" in html
    said = html.replace("no expression or\nemotion was estimated", "").replace("Made by Class mood", "")
    assert not EMOTION.search(said)
    assert class_csv(snapshot).splitlines()[0] == "time,second,frames,faces"
    assert seats_csv(snapshot).splitlines()[0] == "minute,layout,seat,frames_seen,frames"
    assert seats_csv(snapshot, with_names=True).splitlines()[0] == "minute,layout,seat,name,frames_seen,frames"
    assert len(seats_csv(snapshot).splitlines()) == 1 + 2 * len(snapshot.seats)


def test_a_face_without_an_estimate_has_no_label():
    assert label_of(NOT_ESTIMATED) == "" and label_of(np.zeros(len(LABELS))) == ""
    assert Face((0, 0, 10, 10), NOT_ESTIMATED).ranked() == []


def test_a_presence_lesson_is_stored_and_listed_as_one(presence_lesson, tmp_path):
    import secrets

    from fer.storage import LessonDatabase

    _, _, snapshot = presence_lesson
    database = LessonDatabase.open(None, tmp_path)
    code = secrets.token_urlsafe(16)
    database.save(code, snapshot)
    loaded = database.load(code)
    assert not loaded.expressions and report_html(loaded) == report_html(snapshot)
    assert class_csv(loaded) == class_csv(snapshot) and seats_csv(loaded) == seats_csv(snapshot)
    (summary,) = database.summaries([code])
    assert summary.summary == f"{snapshot.faces} faces · presence only"
    database.close()


def test_the_shared_call_in_presence_only_seats_faces_and_estimates_nothing():
    import base64

    from fer.classroom.call import SharedCall
    from fer.media import encode_jpeg
    from tests.fixtures.call_galleries import standard

    gallery = standard("5x5", 1)
    url = "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(gallery.bgr, 85)).decode()
    call, lesson = SharedCall.from_model(expressions=False), Lesson(START, expressions=False)
    assert call.analyzer.classifier is None
    frames = [call.take(url, lesson, n / 2) for n in range(8)]
    assert frames[-1].seated >= 15 and all(f.probabilities.size == 0 for f in frames[-1].faces)
    snapshot = lesson.snapshot()
    assert snapshot.line == f"{snapshot.faces} faces in view" and not snapshot.expressions
