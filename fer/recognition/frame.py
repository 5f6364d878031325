"""One frame on its own (a photo, a sampled video frame): every face searched for and classified."""

from __future__ import annotations

import numpy as np

from fer.config import AnalyzerConfig
from fer.faces import NOT_ESTIMATED, Face
from fer.recognition.detection import FaceDetector
from fer.recognition.face_classifier import FaceClassifier
from fer.recognition.model_card import ModelFiles, shipped_model_files
from fer.recognition.preprocessing import to_gray


class FrameAnalyzer:
    """Finds every face in a frame and recognises its emotion, seeing each face in every view.

    One instance per session or thread (the cascade and the interpreter are not thread-safe); the
    model bytes are shared.
    """

    def __init__(self, detector: FaceDetector, classifier: FaceClassifier | None) -> None:
        self.detector = detector
        self.classifier = classifier

    @classmethod
    def from_model(cls, files: ModelFiles | None = None, config: AnalyzerConfig = AnalyzerConfig()) -> FrameAnalyzer:
        """Built from model files (default: the shipped model) and ``config``; with ``config.expressions``
        off (presence only), without the model: faces are found, no expression is estimated."""
        if not config.expressions:
            return cls(FaceDetector(config.detector), None)
        return cls(FaceDetector(config.detector), FaceClassifier.from_model(files or shipped_model_files(), config))

    def analyze(self, image: np.ndarray) -> list[Face]:
        """Faces in an HxWx3 uint8 BGR frame (HxW gray and HxWx4 BGRA are accepted too), largest first."""
        gray = to_gray(image)
        boxes = self.detector.detect(gray)
        if self.classifier is None:  # presence only
            return [Face(box, NOT_ESTIMATED) for box in boxes]
        probabilities = self.classifier.every_view(gray, boxes)
        return [Face(box, p) for box, p in zip(boxes, probabilities, strict=True)]
