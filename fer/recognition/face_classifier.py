"""From boxes in a gray frame to emotion probabilities: the crops and the views the model sees.

The model is more accurate when it sees each face in a few views and their probabilities are
averaged: the crop as is, zoomed out and in a little (more and less of the face's surroundings,
the range the model was trained on), each as seen and mirrored. :class:`FaceClassifier` holds that
policy in one place: :meth:`FaceClassifier.every_view` shows every view in one model call (a single
frame); :meth:`FaceClassifier.one_view` shows one view per face (a stream, which cycles through the
views over frames and averages them by smoothing); :meth:`FaceClassifier.in_views` returns each view's
reading apart, for a caller that keeps each face's latest reading in every view and averages those
(:meth:`FaceClassifier.calibrated`), as a shared call does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from fer.config import AnalyzerConfig, CropConfig
from fer.faces import Box
from fer.labels import LABELS
from fer.recognition.emotion_model import Classify, EmotionModel
from fer.recognition.model_card import ModelFiles
from fer.recognition.preprocessing import crop_faces


@dataclass(frozen=True)
class View:
    """One way of showing a crop to the model: zoomed about its centre (1.0: as is), maybe mirrored."""

    zoom: float = 1.0
    mirrored: bool = False

    def show(self, crops: np.ndarray) -> np.ndarray:
        """``(N, 48, 48, 1)`` crops in this view."""
        return show_views(crops, (self,))[0]


def show_views(crops: np.ndarray, shown: Sequence[View]) -> list[np.ndarray]:
    """``crops`` in each of ``shown``; each zoom is made once, its mirror image flipped from it."""
    zoomed = {z: zoom(crops, z) for z in {view.zoom for view in shown}}
    return [mirror(zoomed[view.zoom]) if view.mirrored else zoomed[view.zoom] for view in shown]


def views(zooms: Sequence[float], mirror_views: bool) -> tuple[View, ...]:
    """Each zoom as seen, then (with ``mirror_views``) mirrored: the order a stream cycles through."""
    return tuple(View(z, m) for z in zooms for m in ((False, True) if mirror_views else (False,)))


def mirror(crops: np.ndarray) -> np.ndarray:
    """``(N, 48, 48, 1)`` crops flipped left to right."""
    return crops[:, :, ::-1]


def zoom(crops: np.ndarray, factor: float) -> np.ndarray:
    """``(N, S, S, 1)`` crops scaled by ``factor`` about their centre, same size; below 1 the edge
    pixels fill the border, above 1 the edges are cut off."""
    if factor == 1.0:
        return crops
    side = crops.shape[1]
    centre = (side - 1) / 2
    warp = cv2.getRotationMatrix2D((centre, centre), 0, factor)
    out = np.empty_like(crops)
    for i, crop in enumerate(crops):
        out[i, :, :, 0] = cv2.warpAffine(
            crop[:, :, 0], warp, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    return out


def temper(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities ``(N, 7)`` calibrated by temperature scaling: softmax(log(p) / T). T = 1 leaves them as
    they are; the likeliest emotion never changes, only how sure the probabilities say it is."""
    if temperature == 1.0:
        return probs
    logits = np.log(np.clip(probs, 1e-7, 1.0)) / temperature
    scaled = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


class FaceClassifier:
    """Classifies the faces in given boxes of a gray frame. Not thread-safe (the model call is not).

    ``classify`` is the model (:class:`fer.recognition.emotion_model.EmotionModel` or any callable of its
    contract); ``crop`` is how a box becomes the model's input; ``zooms`` and ``mirror_views`` are
    the views (see :class:`fer.config.AnalyzerConfig`).
    """

    def __init__(
        self,
        classify: Classify,
        crop: CropConfig = CropConfig(),
        *,
        mirror_views: bool = True,
        zooms: Sequence[float] = AnalyzerConfig.zooms,
        temperature: float = 1.0,
    ) -> None:
        self.classify = classify
        self.crop = crop
        self.views = views(zooms, mirror_views)
        self.temperature = temperature  # the model's calibration (its card), applied to what is returned

    @classmethod
    def from_model(cls, files: ModelFiles, config: AnalyzerConfig = AnalyzerConfig()) -> FaceClassifier:
        classify = EmotionModel(files, num_threads=config.num_threads)
        temperature = float(files.card.calibration.get("temperature", 1.0))
        return cls(classify, config.crop, mirror_views=config.mirror_views, zooms=config.zooms, temperature=temperature)

    def every_view(self, gray: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
        """``(N, 7)``: the mean of each face's probabilities over every view; one model call."""
        return self.calibrated(self.in_views(gray, boxes, [None] * len(boxes)).mean(axis=1))

    def one_view(self, gray: np.ndarray, boxes: Sequence[Box], shown: Sequence[int]) -> np.ndarray:
        """``(N, 7)``: each face in one view, the next after ``shown[i]`` earlier ones (cycling)."""
        picked = [n % len(self.views) for n in shown]
        return self.calibrated(self.in_views(gray, boxes, picked)[np.arange(len(boxes)), picked])

    def in_views(self, gray: np.ndarray, boxes: Sequence[Box], picked: Sequence[int | None]) -> np.ndarray:
        """``(N, V, 7)`` uncalibrated probabilities of each face in view ``picked[i]`` (an index into
        ``views``), or in every view where ``picked[i]`` is None; NaN in the views not shown. One model call.
        The mean of a face's rows over every view, :meth:`calibrated`, is :meth:`every_view`'s reading."""
        out = np.full((len(boxes), len(self.views), len(LABELS)), np.nan, np.float32)
        if not len(boxes):
            return out
        crops = crop_faces(gray, boxes, self.crop)
        # The batch face by face, each face's views in the views' order.
        shown = [(i, v) for i, p in enumerate(picked) for v in (range(len(self.views)) if p is None else (p,))]
        faces, seen = (list(column) for column in zip(*shown, strict=True))
        batch = crops[faces]
        for v, view in enumerate(self.views):
            rows = [k for k, w in enumerate(seen) if w == v]
            if rows:
                batch[rows] = view.show(batch[rows])
        out[faces, seen] = self.classify(batch)
        return out

    def calibrated(self, probs: np.ndarray) -> np.ndarray:
        """``(N, 7)`` model probabilities (a mean over views, say) calibrated as the model's card says."""
        return temper(probs, self.temperature)
