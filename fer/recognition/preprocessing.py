"""From frames and detected boxes to the model's input: gray, square crops, 48x48, batched."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from fer.config import CropConfig
from fer.faces import Box


def to_gray(image: np.ndarray) -> np.ndarray:
    """A contiguous HxW uint8 gray copy or view of an HxWx3 BGR, HxWx4 BGRA, HxWx1 or HxW image."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError(
            f"expected a uint8 numpy image, got {type(image).__name__} {getattr(image, 'dtype', '')}".rstrip()
        )
    if image.ndim == 3 and image.shape[2] == 3:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim != 2:
        raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {image.shape}")
    return np.ascontiguousarray(image)


def model_input(faces: np.ndarray) -> np.ndarray:
    """``(N, 48, 48, 1)`` float32 from ``(N, 48, 48)`` uint8 faces (raw 0..255; the model rescales)."""
    return np.asarray(faces)[..., None].astype(np.float32)


def square_box(box: Box, margin: float, width: int, height: int) -> Box:
    """The square around ``box``'s centre, side ``max(w, h) * (1 + 2 * margin)``.

    Moved inside the ``width`` x ``height`` image where it fits, clipped at its edges where not.
    """
    x, y, w, h = box
    side = round(max(w, h) * (1 + 2 * margin))
    left = round(x + w / 2 - side / 2)
    top = round(y + h / 2 - side / 2)
    left = min(max(left, 0), max(width - side, 0))
    top = min(max(top, 0), max(height - side, 0))
    return left, top, min(side, width - left), min(side, height - top)


def crop_faces(gray: np.ndarray, boxes: Sequence[Box], config: CropConfig = CropConfig()) -> np.ndarray:
    """``(N, 48, 48, 1)`` float32 raw gray 0..255, one crop per box, ready for the classifier."""
    crops = np.empty((len(boxes), config.size, config.size, 1), np.float32)
    height, width = gray.shape[:2]
    for i, box in enumerate(boxes):
        x, y, w, h = square_box(box, config.margin, width, height)
        crops[i, :, :, 0] = cv2.resize(
            gray[y : y + h, x : x + w], (config.size, config.size), interpolation=cv2.INTER_AREA
        )
    return crops
