from __future__ import annotations

import numpy as np
import pytest

from fer.labels import LABELS
from fer.training.metrics import classification_report


def test_exact_report():
    true = np.array([0, 0, 3, 3, 3, 6, 1])
    pred = np.array([0, 3, 3, 3, 6, 6, 0])
    report = classification_report(true, pred)
    assert report.accuracy == pytest.approx(4 / 7)
    assert report.confusion[0].tolist() == [1, 0, 0, 1, 0, 0, 0]
    assert report.confusion[1].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert report.confusion.sum() == 7
    assert report.precision["angry"] == pytest.approx(0.5) and report.recall["angry"] == pytest.approx(0.5)
    assert report.precision["happy"] == pytest.approx(2 / 3) and report.recall["happy"] == pytest.approx(2 / 3)
    assert report.recall["disgust"] == 0.0 and report.precision["fear"] == 0.0  # undefined counts as 0
    f1 = [0.5, 0, 0, 2 / 3, 0, 0, 2 / 3]
    assert report.macro_f1 == pytest.approx(sum(f1) / 7)
    assert list(report.to_dict()["recall"]) == list(LABELS)


def test_rejects_mismatched_input():
    with pytest.raises(ValueError):
        classification_report(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError):
        classification_report(np.array([]), np.array([]))
