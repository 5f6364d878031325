from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT, RecordingClassifier

from fer import LABELS, Face, FrameAnalyzer
from fer.recognition.detection import FaceDetector
from fer.recognition.emotion_model import EmotionModel
from fer.recognition.face_classifier import FaceClassifier, View, zoom
from fer.recognition.model_card import shipped_model_files


def test_astronaut(analyzer, astronaut_bgr):
    faces = analyzer.analyze(astronaut_bgr)
    assert len(faces) == 1
    face = faces[0]
    assert isinstance(face, Face) and face.label in LABELS and face.id is None
    assert face.probabilities.shape == (len(LABELS),)
    assert face.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert face.score == face.probabilities.max() == face.probabilities[LABELS.index(face.label)]


def test_one_classifier_call_per_frame_with_faces_none_without(sampled_frames):
    recording = RecordingClassifier(EmotionModel(shipped_model_files()))
    analyzer = FrameAnalyzer(FaceDetector(), FaceClassifier(recording))
    results = [analyzer.analyze(bgr) for bgr in sampled_frames]
    with_faces = [r for r in results if r]
    assert len(with_faces) >= 0.5 * len(sampled_frames)
    # Each face in its six views, in one call.
    assert [len(c) for c in recording.calls] == [6 * len(r) for r in with_faces]


def test_a_photo_face_is_the_mean_of_its_six_views(analyzer, astronaut_bgr):
    recording = RecordingClassifier(EmotionModel(shipped_model_files()))
    face = FrameAnalyzer(FaceDetector(), FaceClassifier(recording)).analyze(astronaut_bgr)[0]
    crops = recording.calls[0]
    single = EmotionModel(shipped_model_files())
    np.testing.assert_allclose(face.probabilities, single(crops).mean(axis=0), atol=1e-6)
    as_is, mirrored, zoomed_out = crops[0], crops[1], crops[2]
    np.testing.assert_array_equal(mirrored, as_is[:, ::-1])  # the second view is the mirror image
    np.testing.assert_array_equal(crops[3], zoomed_out[:, ::-1])
    np.testing.assert_array_equal(zoomed_out, zoom(crops[:1], 0.9)[0])
    np.testing.assert_array_equal(crops[4], zoom(crops[:1], 1.1)[0])
    as_seen = FrameAnalyzer(FaceDetector(), FaceClassifier(single, mirror_views=False, zooms=(1.0,))).analyze(
        astronaut_bgr
    )[0]
    np.testing.assert_allclose(as_seen.probabilities, single(crops[:1])[0], atol=1e-6)


def test_fake_classifier_maps_outputs_to_labels(astronaut_bgr):
    probs = np.array([[0.05, 0.05, 0.05, 0.05, 0.1, 0.6, 0.1]], np.float32)
    fake = FaceClassifier(lambda crops: np.repeat(probs, len(crops), 0))
    faces = FrameAnalyzer(FaceDetector(), fake).analyze(astronaut_bgr)
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
    code = (
        "import sys, fer, fer.cli, fer.classroom.recorded, fer.video.live_annotator; "
        "print(sorted(m for m in ('tensorflow', 'streamlit', 'keras', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_zoom_scales_about_the_centre():
    square = np.zeros((1, 48, 48, 1), np.float32)
    square[0, 14:34, 14:34] = 255  # a 20-pixel bright square in the middle
    assert zoom(square, 1.0) is square
    side = lambda crops: int((crops[0, 24, :, 0] > 127).sum())  # noqa: E731
    assert side(zoom(square, 0.9)) == 18 and side(zoom(square, 1.1)) == 22
    edge = np.zeros((1, 48, 48, 1), np.float32)
    edge[0, :, 0] = 200  # zooming out repeats the edge pixels, it adds no black border
    assert (zoom(edge, 0.8)[0, :, :3, 0] == 200).all()


def test_one_view_cycles_through_the_views(astronaut_bgr):
    recording = RecordingClassifier(EmotionModel(shipped_model_files()))
    classifier = FaceClassifier(recording)
    gray = astronaut_bgr.mean(axis=2).astype(np.uint8)
    box = FaceDetector().detect(gray)[0]
    assert classifier.views == tuple(View(z, m) for z in (1.0, 0.9, 1.1) for m in (False, True))
    classifier.one_view(gray, [box] * 7, range(7))
    classifier.every_view(gray, [box])
    shown, every = recording.calls
    np.testing.assert_array_equal(shown[:6], every)  # the i-th view shown is the i-th of every view
    np.testing.assert_array_equal(shown[6], shown[0])  # and after the last, the first again
