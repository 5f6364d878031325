"""Video-call degradations for training: what a face goes through between a student's camera and the model.

A student's camera adds noise and its own gamma and contrast; the call shrinks the face into a small
tile and compresses it (JPEG-like blocks, some blur); the app then crops the face and resizes it to
48x48 with ``cv2.INTER_AREA``. :func:`degrade` plays that chain on a batch of 48x48 training faces, each
step at random, in that order. It runs on the CPU in NumPy and OpenCV, outside the Keras model, so that
the saved model holds none of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class DegradeConfig:
    """How often each step happens and how strong it is (ranges are drawn uniformly)."""

    share: float = 0.8  # of the faces that are degraded at all; the rest are left as they are
    camera_p: float = 0.5  # gamma and contrast
    gamma: tuple[float, float] = (0.7, 1.4)
    contrast: tuple[float, float] = (0.7, 1.3)
    noise_p: float = 0.4  # sensor noise, in gray levels (standard deviation)
    noise: tuple[float, float] = (2.0, 8.0)
    scale: tuple[float, float] = (0.4, 1.0)  # the face's size in the tile relative to 48 px
    blur_p: float = 0.3
    blur_sigma: tuple[float, float] = (0.3, 1.0)
    jpeg_p: float = 0.7
    jpeg_quality: tuple[int, int] = (20, 90)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> DegradeConfig:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in record.items()})


def degrade_face(face: np.ndarray, rng: np.random.Generator, config: DegradeConfig = DegradeConfig()) -> np.ndarray:
    """One degraded copy of a ``(48, 48)`` uint8 face, the same shape and type."""
    size = face.shape[0]
    image = face.astype(np.float32)
    if rng.random() < config.camera_p:
        gamma, contrast = rng.uniform(*config.gamma), rng.uniform(*config.contrast)
        image = 255.0 * (image / 255.0) ** gamma
        image = (image - image.mean()) * contrast + image.mean()
    if rng.random() < config.noise_p:
        image = image + rng.normal(0.0, rng.uniform(*config.noise), image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    side = max(8, round(size * rng.uniform(*config.scale)))
    if side < size:
        image = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
    if rng.random() < config.blur_p:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(*config.blur_sigma))
    if rng.random() < config.jpeg_p:
        quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            image = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    if image.shape[0] != size:
        image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return image


def degrade(faces: np.ndarray, rng: np.random.Generator, config: DegradeConfig = DegradeConfig()) -> np.ndarray:
    """A degraded copy of a batch of raw faces ``(N, 48, 48, 1)`` (0..255), as float32."""
    out = faces.astype(np.float32, copy=True)
    for i in np.flatnonzero(rng.random(len(faces)) < config.share):
        face = np.clip(faces[i, :, :, 0], 0, 255).astype(np.uint8)
        out[i, :, :, 0] = degrade_face(face, rng, config)
    return out


def degraded_batches(x, y, weights, batch_size: int, seed: int, config: DegradeConfig, first_epoch: int = 0):
    """A ``keras.utils.PyDataset`` of shuffled, degraded batches ``(x, y[, weights])``: a new order and new
    degradations each epoch, drawn from ``(seed, epoch)`` so that a resumed run does not repeat its first epochs."""
    import keras

    class DegradedFaces(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = first_epoch
            self.order = np.random.default_rng((seed, self.epoch)).permutation(len(x))

        def __len__(self) -> int:
            return int(np.ceil(len(x) / batch_size))

        def __getitem__(self, index: int):
            rows = np.sort(self.order[index * batch_size : (index + 1) * batch_size])
            rng = np.random.default_rng((seed, self.epoch, index))
            batch = (degrade(x[rows], rng, config), y[rows])
            return batch if weights is None else (*batch, weights[rows])

        def on_epoch_end(self) -> None:
            self.epoch += 1
            self.order = np.random.default_rng((seed, self.epoch)).permutation(len(x))

    return DegradedFaces()
