from __future__ import annotations

import numpy as np
import pytest
from helpers import make_face as any_face

from fer.labels import COLORS_BGR
from fer.video.overlay import draw_faces


def make_face(box, label="happy", score=0.8, face_id=None):
    return any_face(box, label, score, face_id)


def changed_pixels(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.argwhere((before != after).any(axis=2))


@pytest.mark.parametrize("width", [320, 640, 1280, 1920])
def test_draws_only_near_the_box(width):
    height = width * 9 // 16
    frame = np.full((height, width, 3), 30, np.uint8)
    box = (width // 3, height // 3, width // 6, width // 6)
    out = draw_faces(frame.copy(), [make_face(box)])
    ys, xs = changed_pixels(frame, out).T
    x, y, w, h = box
    reach = width // 20 + 60  # the label tag above the box, in frame-relative size
    assert xs.min() >= x - 5 and xs.max() <= x + w + reach * 3
    assert ys.min() >= y - reach and ys.max() <= y + h + 5
    assert tuple(out[y + h // 2, x]) == COLORS_BGR["happy"]  # the box edge in the emotion's colour
    assert (out[: max(0, y - reach)] == 30).all()  # far from the box, untouched


def test_label_grows_with_frame_width():
    def tag_height(width):
        frame = np.zeros((width, width, 3), np.uint8)
        box = (width // 2, width // 2, width // 5, width // 5)
        ys = changed_pixels(frame, draw_faces(frame.copy(), [make_face(box)]))[:, 0]
        return box[1] - ys.min()

    assert tag_height(320) >= 14  # readable: at least 14 px of tag at 320 px wide
    assert tag_height(1920) >= 2 * tag_height(320)


def test_label_moves_below_a_box_at_the_top_edge():
    frame = np.zeros((360, 640, 3), np.uint8)
    out = draw_faces(frame.copy(), [make_face((100, 0, 80, 80), "sad")])
    ys = changed_pixels(frame, out)[:, 0]
    assert ys.min() == 0 and ys.max() > 80 + 10


def test_probabilities_listed_under_the_box_and_in_place():
    frame = np.zeros((360, 640, 3), np.uint8)
    plain = draw_faces(frame.copy(), [make_face((100, 100, 80, 80))])
    target = frame.copy()
    returned = draw_faces(target, [make_face((100, 100, 80, 80))], show_probabilities=True)
    assert returned is target
    below = (slice(185, 360), slice(0, 640))
    assert (plain[below] == 0).all() and (target[below] != 0).any()


def test_no_faces_no_change():
    frame = np.random.default_rng(1).integers(0, 255, (90, 160, 3), np.uint8)
    assert np.array_equal(draw_faces(frame.copy(), []), frame)


def test_tracked_faces_show_their_id():
    frame = np.zeros((360, 640, 3), np.uint8)
    plain = make_face((100, 100, 80, 80))
    tracked = make_face(plain.box, face_id=17)
    width = lambda f: changed_pixels(frame, draw_faces(frame.copy(), [f]))[:, 1].max()  # noqa: E731
    assert width(tracked) > width(plain) + 20  # the tag carries "#17 " in front of the label


def test_small_faces_in_a_large_frame_get_small_tags():
    frame = np.zeros((720, 1280, 3), np.uint8)

    def tag_width(side):
        ys_xs = changed_pixels(frame, draw_faces(frame.copy(), [make_face((400, 300, side, side))]))
        return ys_xs[:, 1].max() - 400

    assert tag_width(60) < tag_width(200)
    assert tag_width(60) <= 110  # "happy 80%" stays within about two gallery faces
