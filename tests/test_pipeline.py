from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from fer import LABELS, Analyzer, Face


class CountingClassifier:
    """Wraps a classifier and records each call's batch size."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    def __call__(self, faces):
        self.calls.append(len(faces))
        return self.inner(faces)


def test_astronaut(analyzer, astronaut_bgr):
    faces = analyzer.analyze(astronaut_bgr)
    assert len(faces) == 1
    face = faces[0]
    assert isinstance(face, Face) and face.label in LABELS
    assert list(face.probabilities) == list(LABELS)
    assert sum(face.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert face.score == max(face.probabilities.values()) == face.probabilities[face.label]


def test_one_classifier_call_per_frame_with_faces_none_without(video_frames):
    from fer.classifier import EmotionClassifier, shipped_model_files

    counting = CountingClassifier(EmotionClassifier(shipped_model_files(), flip_tta=False))
    analyzer = Analyzer(classifier=counting)
    results = [analyzer.analyze(f.to_ndarray(format="bgr24")) for f in video_frames]
    with_faces = [r for r in results if r]
    assert len(with_faces) >= 0.5 * len(video_frames)
    assert counting.calls == [2 * len(r) for r in with_faces]  # each face and its mirror image, one call


def test_fake_classifier_maps_outputs_to_labels(astronaut_bgr):
    probs = np.array([[0.05, 0.05, 0.05, 0.05, 0.1, 0.6, 0.1]], np.float32)
    faces = Analyzer(classifier=lambda crops: np.repeat(probs, len(crops), 0)).analyze(astronaut_bgr)
    assert [(f.label, round(f.score, 6)) for f in faces] == [("surprise", 0.6)]


def test_gray_bgra_and_blank_frames(analyzer, astronaut_bgr):
    gray = astronaut_bgr.mean(axis=2).astype(np.uint8)
    assert len(analyzer.analyze(gray)) == 1
    bgra = np.dstack([astronaut_bgr, np.full(astronaut_bgr.shape[:2], 255, np.uint8)])
    assert [f.box for f in analyzer.analyze(bgra)] == [f.box for f in analyzer.analyze(astronaut_bgr)]
    assert analyzer.analyze(np.zeros((1, 1, 3), np.uint8)) == []
    assert analyzer.analyze(astronaut_bgr[::2, ::2]) != []  # non-contiguous view
    with pytest.raises(ValueError, match="uint8"):
        analyzer.analyze(astronaut_bgr.astype(np.float32))


def test_import_fer_loads_neither_tensorflow_nor_streamlit():
    code = "import sys, fer; print(sorted(m for m in ('tensorflow', 'streamlit', 'keras') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
