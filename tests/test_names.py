"""Typed names follow their students' faces: through a gallery that moves everyone one tile on, a reflow
to another grid, and a seat that a new student takes; real faces, the real cascade and tiles."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from fer.classroom.lesson import Lesson
from fer.classroom.names import NameKeeper, face_template, likeness
from fer.classroom.tiles import find_tiles
from fer.config import GALLERY_DETECTOR, AnalyzerConfig, gallery_detector
from fer.recognition.frame import FrameAnalyzer
from fer.recognition.preprocessing import to_gray

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def analyzer():
    return FrameAnalyzer.from_model(
        config=AnalyzerConfig(detector=gallery_detector(GALLERY_DETECTOR), expressions=False)
    )


class Call:
    """A lesson fed the frames of a call, as the shared call feeds it, with its names following faces."""

    def __init__(self, analyzer) -> None:
        self.analyzer, self.lesson, self.keeper, self.t = analyzer, Lesson(START, expressions=False), NameKeeper(), 0.0

    def show(self, bgr: np.ndarray, frames: int = 4) -> dict[str, str]:
        gray = to_gray(bgr)
        found, grid = self.analyzer.analyze(gray), find_tiles(gray)
        for _ in range(frames):
            faces = self.lesson.add(found, self.t, grid)
            self.lesson.update_names(lambda names, layout, faces=faces: self.keeper.follow(gray, faces, names, layout))
            self.t += 0.5
        return self.lesson.names_now()


def moved(gallery, order: list[int | None]) -> np.ndarray:
    """The gallery's frame with tile ``i`` showing what tile ``order[i]`` showed (None: an empty tile)."""
    frame = gallery.bgr.copy()
    for i, source in enumerate(order):
        x, y, w, h = gallery.rects[i]
        if source is None:
            frame[y : y + h, x : x + w] = frame[0, 0]
        else:
            sx, sy, _, _ = gallery.rects[source]
            frame[y : y + h, x : x + w] = gallery.bgr[sy : sy + h, sx : sx + w]
    return frame


def named_seats(call: Call, gallery, how_many: int) -> dict[str, int]:
    """Name the first ``how_many`` seats with a face, in order; name -> the tile its student sits in."""
    names, snapshot = {}, call.lesson.snapshot()
    places = {t.name: i for i, t in enumerate(snapshot.layout.tiles)}
    for seat in [s.name for s in snapshot.seats][:how_many]:
        name = gallery.names[places[seat]]
        call.lesson.name_seat(seat, name)
        names[name] = places[seat]
    return names


def named_call(analyzer, seed: int, how_many: int):
    """The standard 5x5 gallery of ``seed`` shared, its first ``how_many`` seats with a face named, and their
    faces learnt: the gallery, the call and name -> the tile its student sits in."""
    from tests.fixtures.call_galleries import standard

    gallery = standard("5x5", seed)
    call = Call(analyzer)
    call.show(gallery.bgr)
    typed = named_seats(call, gallery, how_many)
    call.show(gallery.bgr, 2)  # the names' faces are learnt
    return gallery, call, typed


def test_names_follow_when_everyone_moves_one_tile_on(analyzer):
    gallery, call, typed = named_call(analyzer, 0, 6)
    # The participant of the first tile leaves: the call keeps its grid and moves everyone one tile back.
    count = len(gallery.rects)
    names = call.show(moved(gallery, [*range(1, count), None]), 6)
    tiles = {t.name: i for i, t in enumerate(call.lesson.snapshot().layout.tiles)}
    for seat, name in names.items():  # every name is on its own student's face, never on another's
        assert typed[name] == tiles[seat] + 1, (seat, name)
    # Each named student whose face the cascade finds is named again (the first tile's left the call).
    found = {name for name, tile in typed.items() if tile > 0}
    assert len(set(names.values()) & found) >= len(found) - 1


def test_a_seat_taken_by_another_student_loses_its_name_and_it_waits(analyzer):
    gallery, call, typed = named_call(analyzer, 1, 3)
    first, second = sorted(typed.values())[:2]
    order = list(range(len(gallery.rects)))
    stranger = max(i for i, photo in enumerate(gallery.photos) if photo is not None and i not in typed.values())
    order[first] = stranger  # a student who was not named sits there now
    names = call.show(moved(gallery, order), 4)
    lost = [n for n, tile in typed.items() if tile == first][0]
    assert lost not in names.values()  # not left on a stranger
    names = call.show(gallery.bgr, 4)  # the student is back in the tile: the name comes back with the face
    assert lost in names.values()


def test_a_template_tells_the_same_face_from_another(analyzer):
    from tests.fixtures.call_galleries import standard

    gallery = standard("7x7", 0)
    gray = to_gray(gallery.bgr)
    faces = analyzer.analyze(gray)[:10]
    templates = [face_template(gray, f.box) for f in faces]
    scores = np.array([[likeness(gray, f.box, t) for f in faces] for t in templates])
    assert (np.diag(scores) > 0.85).all() and (scores[~np.eye(len(faces), dtype=bool)] < 0.85).all()


def relaid(gallery, rows: int, cols: int) -> np.ndarray:
    """The gallery's participants, in the same order, laid out again on a ``rows`` x ``cols`` grid (a reflow)."""
    import cv2

    from tests.fixtures.call_galleries import BACKGROUND, CLOSE_ZOOM, GAP, WILD, camera_off, camera_view, name_tag
    from tests.fixtures.galleries import tile_size

    height, width = gallery.bgr.shape[:2]
    tile_w, tile_h = tile_size(rows, cols, width, height, GAP)
    frame = np.full((height, width, 3), BACKGROUND, np.uint8)
    for i, (photo, name) in enumerate(zip(gallery.photos, gallery.names, strict=True)):
        row, col = divmod(i, cols)
        x, y = col * (tile_w + GAP), row * (tile_h + GAP)
        if photo is None:
            tile = camera_off(name, tile_w, tile_h)
        else:
            image = cv2.imread(str(WILD / "images" / photo), cv2.IMREAD_COLOR)
            tile = camera_view(image, tile_w, tile_h, CLOSE_ZOOM if gallery.close[i] else 1.0)
        frame[y : y + tile_h, x : x + tile_w] = name_tag(tile, name)
    return frame


def test_names_follow_their_faces_through_a_reflow_to_another_grid(analyzer):
    gallery, call, typed = named_call(analyzer, 2, 5)
    layout = call.lesson.layout
    names = call.show(relaid(gallery, 4, 6), 6)  # everyone moves: 4 rows of 6
    assert call.lesson.layout > layout  # seats named afresh
    tiles = {t.name: i for i, t in enumerate(call.lesson.snapshot().layout.tiles)}
    assert names and all(typed[name] == tiles[seat] for seat, name in names.items())  # the same participant
    assert len(names) >= len(typed) - 1
