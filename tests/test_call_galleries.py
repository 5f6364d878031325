"""The labelled call galleries (``tests/fixtures/call_galleries.py``): laid out as calls lay them,
labelled, drawn without regard to detection; and what today's class path must do with one."""

from __future__ import annotations

import base64
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import shared_data

from fer.classroom.call import SharedCall
from fer.classroom.layout import centre
from fer.classroom.lesson import Lesson
from fer.classroom.tiles import find_tiles
from fer.media import encode_jpeg
from tests.fixtures.call_galleries import (
    BACKGROUND,
    CAMERA_OFF,
    GAP,
    STANDARD,
    TAG_ALPHA,
    call_gallery,
    camera_off,
    standard,
    tag_rect,
)
from tests.fixtures.galleries import WILD

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def wild() -> Path:
    return shared_data(WILD / "labels.csv")


@pytest.fixture(scope="module")
def gallery():
    return standard("5x5", 0)


def test_the_same_seed_builds_the_same_gallery(gallery):
    again = standard("5x5", 0)
    assert np.array_equal(gallery.bgr, again.bgr)
    assert (gallery.photos, gallery.labels, gallery.names, gallery.close) == (
        again.photos,
        again.labels,
        again.names,
        again.close,
    )


@pytest.mark.parametrize("name", list(STANDARD))
def test_a_standard_gallery_has_its_tiles_an_empty_one_and_a_close_up(name):
    spec, built = STANDARD[name], standard(name, 1)
    assert built.bgr.shape == (spec.height, spec.width, 3) and built.bgr.dtype == np.uint8
    assert len(built.rects) == len(built.photos) == len(built.labels) == len(built.names) == spec.count
    assert built.photos.count(None) == spec.off >= 1 and sum(built.close) == spec.close >= 1
    assert len(set(built.names)) == spec.count
    for photo, label in zip(built.photos, built.labels, strict=True):
        assert (photo is None) == (label is None)
        assert label in (None, "angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")
    for i, (x, y, w, h) in enumerate(built.rects):
        if built.photos[i] is None:  # camera off: dark grey, its name in the middle
            tile = built.bgr[y : y + h, x : x + w]
            assert (tile[2, 2] == CAMERA_OFF).all() and (tile[h // 2 - 8 : h // 2 + 8, w // 3 : 2 * w // 3] > 150).any()


def test_tiles_are_16_9_on_a_centred_grid_with_background_gaps(gallery):
    frame, (x0, y0, w, h) = gallery.bgr, gallery.rects[0]
    assert abs(w / h - 16 / 9) < 0.02 and len({r[2:] for r in gallery.rects}) == 1
    first_row = [r for r in gallery.rects if r[1] == y0]
    right = first_row[-1][0] + w
    assert abs(x0 - (frame.shape[1] - right)) <= 1  # letterboxed: as much room left as right
    # Between tiles A1 and A2, and between rows A and B, only the call's background.
    assert (frame[y0 : y0 + h, x0 + w : x0 + w + GAP] == BACKGROUND).all()
    assert (frame[y0 + h : y0 + h + GAP, x0 : x0 + w] == BACKGROUND).all()
    # The short last row (3 of 5) is centred: the background where its first and last tiles would be.
    last = gallery.rects[-3:]
    assert len({r[1] for r in last}) == 1 and last[0][0] == x0 + (w + GAP)
    assert (frame[last[0][1] : last[0][1] + h, x0 : x0 + w] == BACKGROUND).all()


def test_every_tile_has_a_dark_name_tag_bottom_left(gallery):
    for (x, y, w, h), name in zip(gallery.rects, gallery.names, strict=True):
        tx, ty, tw, th = tag_rect(name, w, h)
        tag = gallery.bgr[y + ty : y + ty + th, x + tx : x + tx + tw].astype(int)
        assert ty + th < h and tx < w // 4
        assert (tag > 200).any()  # the name, in white
        assert np.median(tag) <= (1 - TAG_ALPHA) * 255 + 1  # on a box that darkens what is behind it


def test_photos_are_drawn_with_the_seed_not_chosen_by_detection():
    one, two = standard("7x7", 0), standard("7x7", 1)
    assert set(one.photos) - {None} != set(two.photos) - {None}
    # The same draw for any grid: the photos are the seed's, whatever a cascade would find in them.
    assert call_gallery(7, 7, 640, 360, 0, count=45, off=3, close=2).photos == one.photos
    source = (ROOT / "tests" / "fixtures" / "call_galleries.py").read_text()
    assert not any(word in source for word in ("fer.recognition", "FaceDetector", "findable", "CascadeClassifier"))
    # Building a gallery loads no detector.
    code = (
        "import sys; from tests.fixtures.call_galleries import standard; standard('5x5', 3); "
        "assert 'fer.recognition.detection' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_class_path_seats_a_call_gallery(gallery):
    from fer.classroom.call import SharedCall
    from fer.classroom.lesson import Lesson
    from fer.media import encode_jpeg

    url = "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(gallery.bgr, 85)).decode()
    call, lesson = SharedCall.from_model(), Lesson(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    last = [call.take(url, lesson, t / 2) for t in range(6)][-1]
    names = [s.name for s in lesson.snapshot().seats]
    seats = [f.seat for f in last.faces if f.seat is not None]
    assert len(set(names)) == len(names) and len(set(seats)) == len(seats)
    assert len(names) >= 15


def test_seats_come_from_the_tiles_the_picture_shows():
    """A full last row whose first and last cameras are off: its faces keep their tiles' names (E2-E4),
    which faces alone cannot tell from a short centred row; every tile the picture shows is found."""
    gallery = call_gallery(5, 5, 1280, 720, seed=3, off=0, close=0)
    frame = gallery.bgr.copy()
    for i in (20, 24):  # E1 and E5 turn their cameras off
        x, y, w, h = gallery.rects[i]
        frame[y : y + h, x : x + w] = camera_off(gallery.names[i], w, h)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    grid = find_tiles(gray)
    assert grid is not None and [len(row) for row in grid.rows] == [5] * 5
    assert [t for row in grid.rows for t in row] == list(gallery.rects)
    call, lesson = SharedCall.from_model(), Lesson()
    data_url = lambda bgr: "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(bgr, 85)).decode()  # noqa: E731
    for n in range(4):
        faces = call.take(data_url(frame), lesson, n / 2).faces
    row_e = {gallery.tile_at(*centre(f.box)): f.seat for f in faces if f.box[1] > gallery.rects[20][1]}
    assert row_e and all(seat == gallery.tile_name(i) for i, seat in row_e.items()), row_e
    # A box across two tiles (the cascade's false box over a gap) is nobody's seat.
    (ax, ay, aw, ah), (bx, _, _, _) = gallery.rects[0], gallery.rects[1]
    across = (bx - aw // 3, ay + ah // 4, aw // 2, ah // 2)
    assert grid.tile_of(across) is None and grid.tile_of((ax + 10, ay + 10, 40, 40)) == (0, 0)
