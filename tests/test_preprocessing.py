from __future__ import annotations

import numpy as np
import pytest

from fer.config import CropConfig
from fer.recognition.preprocessing import crop_faces, square_box, to_gray


def test_square_box_inside():
    assert square_box((100, 100, 40, 40), 0.0, 640, 480) == (100, 100, 40, 40)
    assert square_box((100, 100, 40, 40), 0.25, 640, 480) == (90, 90, 60, 60)
    assert square_box((100, 100, 40, 60), 0.0, 640, 480) == (90, 100, 60, 60)  # widened to a square


def test_square_box_moved_inside_at_edges():
    assert square_box((0, 0, 40, 40), 0.25, 640, 480) == (0, 0, 60, 60)
    assert square_box((610, 450, 30, 30), 0.5, 640, 480) == (580, 420, 60, 60)


def test_square_box_clipped_when_larger_than_image():
    assert square_box((0, 0, 50, 40), 0.5, 60, 40) == (0, 0, 60, 40)


def test_crop_faces_shape_dtype_and_values():
    gray = np.zeros((120, 160), np.uint8)
    gray[20:68, 30:78] = 200  # a bright 48x48 square
    crops = crop_faces(gray, [(30, 20, 48, 48), (0, 0, 10, 10)], CropConfig())
    assert crops.shape == (2, 48, 48, 1) and crops.dtype == np.float32
    assert (crops[0] == 200).all() and (crops[1] == 0).all()
    assert crop_faces(gray, []).shape == (0, 48, 48, 1)


def test_crop_at_edge_never_empty():
    gray = np.full((30, 30), 7, np.uint8)
    crops = crop_faces(gray, [(25, 25, 5, 5)], CropConfig(margin=1.0))
    assert crops.shape == (1, 48, 48, 1) and (crops == 7).all()


def test_to_gray():
    bgr = np.zeros((4, 5, 3), np.uint8)
    bgr[..., 2] = 255  # pure red
    assert to_gray(bgr).shape == (4, 5) and to_gray(bgr)[0, 0] == 76
    bgra = np.dstack([bgr, np.full((4, 5), 9, np.uint8)])
    assert np.array_equal(to_gray(bgra), to_gray(bgr))
    assert to_gray(bgr[..., 0]) is not None and to_gray(bgr[..., :1]).shape == (4, 5)
    with pytest.raises(ValueError, match="HxW"):
        to_gray(np.zeros((4, 5, 2), np.uint8))
