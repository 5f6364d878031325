"""Classification metrics for the emotion model, in plain numpy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fer.labels import LABELS


@dataclass(frozen=True)
class Report:
    """Accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix.

    ``confusion[i, j]`` counts faces of true class ``i`` predicted as class ``j``.
    """

    accuracy: float
    macro_f1: float
    precision: dict[str, float]
    recall: dict[str, float]
    f1: dict[str, float]
    confusion: np.ndarray

    def to_dict(self) -> dict:
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "precision": _rounded(self.precision),
            "recall": _rounded(self.recall),
            "f1": _rounded(self.f1),
            "confusion": self.confusion.tolist(),
            "faces": int(self.confusion.sum()),
        }


def _rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in values.items()}


def classification_report(true: np.ndarray, predicted: np.ndarray) -> Report:
    """Compare integer labels (``(N,)``, indices into LABELS). Undefined ratios count as 0."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    if true.shape != predicted.shape or true.ndim != 1 or len(true) == 0:
        raise ValueError("true and predicted must be non-empty 1-D arrays of the same length")
    k = len(LABELS)
    confusion = np.bincount(true * k + predicted, minlength=k * k).reshape(k, k)
    hits = np.diag(confusion).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(hits / confusion.sum(axis=0))
        recall = np.nan_to_num(hits / confusion.sum(axis=1))
        f1 = np.nan_to_num(2 * precision * recall / (precision + recall))
    return Report(
        accuracy=float(hits.sum() / len(true)),
        macro_f1=float(f1.mean()),
        precision=dict(zip(LABELS, precision.tolist(), strict=True)),
        recall=dict(zip(LABELS, recall.tolist(), strict=True)),
        f1=dict(zip(LABELS, f1.tolist(), strict=True)),
        confusion=confusion,
    )


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error of the top emotion's probability: the faces put in ``bins`` equal-width
    bins of that confidence, the mean gap between a bin's confidence and its accuracy, weighted by its faces."""
    confidence, right = probs.max(axis=1), probs.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    gaps = [abs(confidence[which == b].mean() - right[which == b].mean()) * (which == b).sum() for b in set(which)]
    return float(sum(gaps) / len(labels))
