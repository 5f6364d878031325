"""The per-frame path: BGR frame -> faces with emotions, in one classifier call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from fer.classifier import EmotionClassifier, ModelFiles, shipped_model_files
from fer.config import AnalyzerConfig, DetectorConfig
from fer.detection import Box, FaceDetector
from fer.labels import LABELS
from fer.preprocessing import crop_faces, to_gray

Classify = Callable[[np.ndarray], np.ndarray]  # (N, 48, 48, 1) float32 0..255 -> (N, 7) probabilities


@dataclass(frozen=True)
class Face:
    """One detected face: its box in frame pixels and its emotion."""

    box: Box
    label: str
    score: float  # probability of ``label``
    probabilities: dict[str, float]  # every label -> probability; sums to 1


class Analyzer:
    """Finds every face in a frame and recognises its emotion.

    One instance per session/thread (the cascade and the interpreter are not thread-safe); the
    model bytes are read once per process and shared. ``classifier`` replaces the shipped model
    with any callable of the same contract.
    """

    def __init__(self, config: AnalyzerConfig = AnalyzerConfig(), *, classifier: Classify | None = None,
                 model_files: ModelFiles | None = None) -> None:
        self.config = config
        self._detector = FaceDetector(config.detector)
        if classifier is None:  # single view: the mirror image is this class's business (see classify)
            classifier = EmotionClassifier(model_files or shipped_model_files(), flip_tta=False,
                                           num_threads=config.num_threads)
        self._classify = classifier

    @property
    def detector(self) -> FaceDetector:
        return self._detector

    def set_detector_config(self, detector: DetectorConfig) -> None:
        """Change detection settings; the next frame uses them."""
        self.config = replace(self.config, detector=detector)
        self._detector.config = detector

    def analyze(self, bgr: np.ndarray) -> list[Face]:
        """Faces in an HxWx3 uint8 BGR frame (HxW gray and HxWx4 BGRA are accepted too), largest first."""
        gray = as_gray(bgr)
        boxes = self._detector.detect(gray)
        if not boxes:
            return []
        probabilities = self.classify(crop_faces(gray, boxes, self.config.crop))
        return [face_from(box, p) for box, p in zip(boxes, probabilities, strict=True)]

    def classify(self, crops: np.ndarray, mirrored: np.ndarray | None = None) -> np.ndarray:
        """``(N, 7)`` probabilities of ``(N, 48, 48, 1)`` crops, in one classifier call.

        By default each crop is classified together with its mirror image (if ``flip_tta``) and
        the two are averaged. With ``mirrored`` (N bools) each crop is classified once, mirrored
        where True: the live path alternates the two views over frames at half the cost.
        """
        n = len(crops)
        if mirrored is not None:
            return self._classify(np.where(np.asarray(mirrored)[:, None, None, None], crops[:, :, ::-1], crops))
        if not self.config.flip_tta or n == 0:
            return self._classify(crops)
        probabilities = self._classify(np.concatenate([crops, crops[:, :, ::-1]]))
        return (probabilities[:n] + probabilities[n:]) / 2


def as_gray(image: np.ndarray) -> np.ndarray:
    """A contiguous HxW uint8 gray copy or view of an HxWx3 BGR, HxWx4 BGRA or HxW gray image."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 numpy image, got {type(image).__name__} "
                         f"{getattr(image, 'dtype', '')}".rstrip())
    return np.ascontiguousarray(to_gray(image))


def face_from(box: Box, probabilities: np.ndarray) -> Face:
    best = int(np.argmax(probabilities))
    return Face(box=box, label=LABELS[best], score=float(probabilities[best]),
                probabilities={label: float(p) for label, p in zip(LABELS, probabilities, strict=True)})
