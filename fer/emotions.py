"""From boxes in a gray frame to emotion probabilities: the crops and the views the model sees.

The model is more accurate when it sees a face and its mirror image and their probabilities are
averaged. :class:`FaceClassifier` holds that policy in one place: :meth:`FaceClassifier.both_views`
shows both in one model call (a single frame); :meth:`FaceClassifier.one_view` shows one of the
two per face (a stream, which alternates them over frames and averages by smoothing).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fer.classifier import Classify, EmotionClassifier
from fer.config import AnalyzerConfig, CropConfig
from fer.faces import Box
from fer.labels import LABELS
from fer.model_card import ModelFiles
from fer.preprocessing import crop_faces


def mirror(crops: np.ndarray) -> np.ndarray:
    """``(N, 48, 48, 1)`` crops flipped left to right."""
    return crops[:, :, ::-1]


class FaceClassifier:
    """Classifies the faces in given boxes of a gray frame. Not thread-safe (the model call is not).

    ``classify`` is the model (:class:`fer.classifier.EmotionClassifier` or any callable of its
    contract); ``crop`` is how a box becomes the model's input.
    """

    def __init__(self, classify: Classify, crop: CropConfig = CropConfig(), *, mirror_views: bool = True) -> None:
        self.classify = classify
        self.crop = crop
        self.mirror_views = mirror_views

    @classmethod
    def from_model(cls, files: ModelFiles, config: AnalyzerConfig = AnalyzerConfig()) -> FaceClassifier:
        return cls(
            EmotionClassifier(files, num_threads=config.num_threads), config.crop, mirror_views=config.mirror_views
        )

    def both_views(self, gray: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """``(N, 7)``: each face and (with ``mirror_views``) its mirror image, averaged; one model call."""
        if not len(boxes):
            return np.zeros((0, len(LABELS)), np.float32)
        crops = crop_faces(gray, boxes, self.crop)
        if not self.mirror_views:
            return self.classify(crops)
        probs = self.classify(np.concatenate([crops, mirror(crops)]))
        return (probs[: len(crops)] + probs[len(crops) :]) / 2

    def one_view(self, gray: np.ndarray, boxes: Sequence[Box], mirrored: Sequence[bool]) -> np.ndarray:
        """``(N, 7)``: each face once, mirrored where ``mirrored`` says (never without ``mirror_views``)."""
        if not len(boxes):
            return np.zeros((0, len(LABELS)), np.float32)
        crops = crop_faces(gray, boxes, self.crop)
        if self.mirror_views:
            crops = np.where(np.asarray(mirrored, bool)[:, None, None, None], mirror(crops), crops)
        return self.classify(crops)
