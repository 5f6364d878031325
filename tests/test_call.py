"""The shared call's per-frame path, as the class page runs it, on real faces: JPEG in, seats and view out."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import cv2
import numpy as np
import pytest
from helpers import shared_data

from fer.classroom.call import VIEW_WIDTH, SharedCall, call_headline, small_faces_warning
from fer.classroom.lesson import Lesson
from fer.media import MediaError, encode_jpeg
from tests.fixtures.galleries import build_gallery

START = datetime(2026, 12, 2, 9, 0, 0, tzinfo=UTC)


def data_url(bgr: np.ndarray) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(bgr, 85)).decode()


@pytest.fixture(scope="module")
def gallery(fer_faces) -> np.ndarray:
    """A 5x5 call of PrivateTest faces taken evenly through the split (not chosen for the cascade)."""
    return build_gallery(fer_faces.split("PrivateTest").faces, 5, 5, 1280, 720, face_px=96)


def test_a_shared_frame_comes_back_seated_and_drawn(gallery):
    call, lesson = SharedCall.from_model(), Lesson(START)
    frames = [call.take(data_url(gallery), lesson, t / 2) for t in range(6)]
    first, last = frames[0], frames[-1]
    assert first.size == (1280, 720) and first.analyse_ms > 0
    # The first frames teach the lesson the gallery's seats; the page says so meanwhile.
    assert call_headline(first, Lesson(START).snapshot()).endswith("found · learning the gallery's seats")
    # A box far larger than the gallery's faces (the cascade's false box over a tile's backdrop) gets no seat.
    assert last.seated >= 15
    seats = [f.seat for f in last.faces if f.seat is not None]
    assert len(set(seats)) == len(seats)  # one face a seat
    view = cv2.imdecode(np.frombuffer(last.view, np.uint8), cv2.IMREAD_COLOR)
    assert view.shape == (round(720 * VIEW_WIDTH / 1280), VIEW_WIDTH, 3)
    snapshot = lesson.snapshot()
    assert snapshot.frames == 6 and {s.name for s in snapshot.seats} == set(seats)
    assert call_headline(last, snapshot) == snapshot.line and snapshot.line.startswith(f"{len(seats)} faces")
    assert small_faces_warning(last) is None


def test_a_bad_frame_is_refused_and_the_lesson_keeps_what_it_had(gallery):
    call, lesson = SharedCall.from_model(), Lesson(START)
    call.take(data_url(gallery), lesson, 0.0)
    for bad in (None, "data:image/jpeg;base64,", "data:image/png;base64,QUFB", 42):
        with pytest.raises(MediaError):
            call.take(bad, lesson, 1.0)
    assert lesson.snapshot().frames == 1


def test_a_small_window_is_named(gallery):
    call, lesson = SharedCall.from_model(), Lesson(START)
    frame = call.take(data_url(cv2.resize(gallery, (480, 270), interpolation=cv2.INTER_AREA)), lesson, 0.0)
    warning = small_faces_warning(frame)
    assert warning is not None and "480x270" in warning


def test_a_call_follows_its_faces_between_searches_and_starts_afresh_for_another_lesson(gallery):
    call, lesson = SharedCall.from_model(), Lesson(START)
    url = data_url(gallery)
    whole = []
    for n in range(4):
        call.take(url, lesson, n / 2)
        whole.append(call.follower.searched_whole)
    assert whole == [True, False, False, False]
    call.take(url, Lesson(START), 0.0)  # the same session shares another lesson: nothing is carried over
    assert call.follower.searched_whole


def test_a_reflow_leaves_no_seat_where_no_face_is():
    """A call of 25 reflows to one of 24 (someone left, the others moved) and then three cameras go off:
    after each change every seated face is in a tile with a face, and the lesson has no ghost seat."""
    from tests.fixtures.call_galleries import call_gallery
    from tests.fixtures.galleries import WILD

    shared_data(WILD / "labels.csv")
    before = call_gallery(5, 5, 1280, 720, seed=6, off=0, close=1)
    after = call_gallery(5, 5, 1280, 720, seed=7, count=24, off=3, close=1)
    call, lesson = SharedCall.from_model(), Lesson(START)
    frames = [before.bgr] * 4 + [after.bgr] * 4
    for n, bgr in enumerate(frames):
        shown = after if n >= 4 else before
        faces = call.take(data_url(bgr), lesson, n / 2).faces
        for face in faces:
            if face.seat is not None:
                tile = shown.tile_at(face.box[0] + face.box[2] / 2, face.box[1] + face.box[3] / 2)
                assert tile is not None and shown.photos[tile] is not None, (n, face)
    snapshot = lesson.snapshot()
    places = {t.name: (t.x, t.y) for t in snapshot.layout.tiles}
    seen_lately = [s.name for s in snapshot.seats if s.last_seen_s >= 2.0]
    assert seen_lately and all(after.photos[after.tile_at(*places[name])] is not None for name in seen_lately)
