"""Face detection with OpenCV's bundled frontal-face Haar cascade."""

from __future__ import annotations

import cv2
import numpy as np

from fer.config import DetectorConfig
from fer.faces import Box

CASCADE_FILE = "haarcascade_frontalface_default.xml"


class FaceDetector:
    """Finds frontal faces in a grayscale frame. Not thread-safe: one instance per session/thread.

    ``config`` is the one copy of the detection settings; assign a new one to change them.
    """

    def __init__(self, config: DetectorConfig = DetectorConfig()) -> None:
        path = cv2.data.haarcascades + CASCADE_FILE
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"cannot load the Haar cascade {path}")
        self.config = config

    def detect(self, gray: np.ndarray) -> list[Box]:
        """Boxes ``(x, y, w, h)`` in ``gray``'s pixels, largest first. ``gray``: HxW uint8."""
        if gray.ndim != 2 or gray.dtype != np.uint8:
            raise ValueError(f"expected an HxW uint8 gray image, got {gray.shape} {gray.dtype}")
        cfg = self.config
        scale = cfg.detection_scale
        small = gray
        if scale < 1.0:
            size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
            small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        min_side = max(1, round(cfg.min_face_px * scale))
        if min(small.shape) < min_side:
            return []
        found = self._cascade.detectMultiScale(
            small, scaleFactor=cfg.scale_factor, minNeighbors=cfg.min_neighbors, minSize=(min_side, min_side)
        )
        boxes = [tuple(int(round(v / scale)) for v in box) for box in np.asarray(found).reshape(-1, 4)]
        return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)
