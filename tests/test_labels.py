from __future__ import annotations

import cv2
import numpy as np

from fer.labels import COLORS_BGR, LABELS, SPLITS


def test_fer2013_order():
    assert LABELS == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert SPLITS == ("Training", "PublicTest", "PrivateTest")


def test_one_distinct_saturated_colour_per_emotion():
    assert list(COLORS_BGR) == list(LABELS)
    assert len(set(COLORS_BGR.values())) == len(LABELS)
    hsv = cv2.cvtColor(np.array([list(COLORS_BGR.values())], np.uint8), cv2.COLOR_BGR2HSV)[0]
    assert (hsv[:, 1] >= 120).all() and (hsv[:, 2] >= 120).all()  # none grey, none dark
