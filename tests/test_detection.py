from __future__ import annotations

import numpy as np
import pytest

from fer.config import DetectorConfig
from fer.recognition.detection import FaceDetector
from fer.recognition.preprocessing import to_gray


def test_finds_the_astronaut(astronaut_bgr):
    boxes = FaceDetector().detect(to_gray(astronaut_bgr))
    assert len(boxes) == 1
    x, y, w, h = boxes[0]
    assert all(isinstance(v, int) for v in boxes[0])
    # Her face spans about x 175..275, y 60..165 in the 512x512 image.
    assert 160 <= x <= 200 and 50 <= y <= 90 and 80 <= w <= 120 and w == h


def test_finds_faces_on_most_frames_of_the_video(sampled_frames):
    detector = FaceDetector()
    found = [detector.detect(to_gray(bgr)) for bgr in sampled_frames]
    with_face = sum(bool(b) for b in found)
    # The clip has cut-aways without a frontal face; the shared README counts 173/275 frames.
    assert with_face >= 0.5 * len(sampled_frames)
    assert all(w >= 40 for boxes in found for _, _, w, _ in boxes)


def test_min_face_size_is_respected(astronaut_bgr):
    assert FaceDetector(DetectorConfig(min_face_px=150)).detect(to_gray(astronaut_bgr)) == []


def test_blank_tiny_and_wrong_inputs():
    detector = FaceDetector()
    assert detector.detect(np.zeros((480, 640), np.uint8)) == []
    assert detector.detect(np.zeros((1, 1), np.uint8)) == []
    assert detector.detect(np.zeros((3, 7), np.uint8)) == []
    with pytest.raises(ValueError, match="gray"):
        detector.detect(np.zeros((10, 10, 3), np.uint8))
