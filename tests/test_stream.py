"""The live path's fast stream against the plain path, on real frames."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import CountingDetector, RecordingClassifier

from fer.config import DetectorConfig, StreamConfig
from fer.labels import LABELS
from fer.recognition.detection import FaceDetector
from fer.recognition.emotion_model import EmotionModel
from fer.recognition.face_classifier import FaceClassifier
from fer.recognition.model_card import shipped_model_files
from fer.recognition.preprocessing import to_gray
from fer.video.stream import StreamAnalyzer, face_patch, follow
from fer.video.tracking import FaceTracker, iou_matrix


def iou(a, b) -> float:
    return float(iou_matrix([a], [b])[0, 0])


@pytest.fixture(scope="module")
def served():
    return EmotionModel(shipped_model_files())


def counted_stream(classify, config: StreamConfig) -> tuple[StreamAnalyzer, CountingDetector]:
    detector = CountingDetector()
    return StreamAnalyzer(detector, FaceClassifier(classify), config), detector


def test_the_stream_finds_the_faces_of_the_plain_path_with_the_same_boxes_and_labels(analyzer, consecutive_frames):
    stream, tracker = StreamAnalyzer.from_model(), FaceTracker()
    cold_frames = stream_frames = 0
    overlaps, agree, near = [], [], []
    for bgr in consecutive_frames:
        cold = tracker.update(analyzer.analyze(bgr))
        fast = stream.analyze(bgr)
        cold_frames += bool(cold)
        stream_frames += bool(fast)
        if len(cold) == len(fast) == 1:
            overlaps.append(iou(cold[0].box, fast[0].box))
            agree.append(cold[0].label == fast[0].label)
            near.append(LABELS.index(fast[0].label) in np.argsort(cold[0].probabilities)[-2:])
    assert cold_frames >= 150
    assert stream_frames >= cold_frames  # following a face bridges frames where the cascade misses it
    assert len(overlaps) >= 100
    assert np.mean(np.array(overlaps) >= 0.5) >= 0.9
    # The singer's face changes by the frame; the stream classifies each face every other frame, in
    # one view, so its smoothed label lags a little: the same label on most frames, and on nearly
    # all one of the plain path's two most likely.
    assert np.mean(agree) >= 0.7
    assert np.mean(near) >= 0.9


def test_searches_every_nth_frame_while_faces_are_followed(served, consecutive_frames):
    stream, detector = counted_stream(served, StreamConfig(detect_every=10))
    ids = [[f.id for f in stream.analyze(bgr)] for bgr in consecutive_frames[82:112]]  # the singer, 30 frames
    assert detector.searches == 3
    assert all(frame_ids == [1] for frame_ids in ids)


def test_a_lost_face_triggers_a_search_on_the_next_frame(served, consecutive_frames):
    stream, detector = counted_stream(served, StreamConfig(detect_every=30))
    assert stream.analyze(consecutive_frames[90])
    blank = np.zeros_like(consecutive_frames[90])
    assert stream.analyze(blank) == []  # followed face gone
    assert detector.searches == 1
    stream.analyze(consecutive_frames[92])
    assert detector.searches == 2


def test_new_detection_settings_search_at_once(served, consecutive_frames):
    stream, detector = counted_stream(served, StreamConfig(detect_every=30))
    stream.analyze(consecutive_frames[90])
    stream.analyze(consecutive_frames[91])
    assert detector.searches == 1
    detector.config = DetectorConfig(min_face_px=200)  # larger than the singer's face
    assert stream.analyze(consecutive_frames[92]) == []  # only what the new settings find counts
    assert detector.searches == 2


def test_faces_alternate_views_and_take_turns_within_the_budget(served, fer_faces):
    from tests.fixtures.galleries import build_gallery

    gallery = build_gallery(fer_faces.split("PrivateTest").faces, frontal=True)
    recording = RecordingClassifier(served)
    stream, detector = counted_stream(recording, StreamConfig(detect_every=10, classify_every=2, max_classified=8))
    reported = [stream.analyze(gallery.copy()) for _ in range(32)]
    assert detector.searches == 2  # frames 0 and 30: a 1280x720 frame is searched a third as often
    reported = reported[:12]
    assert all(len(faces) == 25 for faces in reported)
    assert all({f.id for f in faces} == set(range(1, 26)) for faces in reported)
    sizes = [len(c) for c in recording.calls][:11]  # the calls of the first 12 frames (none on the second)
    assert sizes[0] == 25 and max(sizes[1:]) <= 8  # new faces at once, then at most 8 a frame
    assert sizes[1:] == [8] * 10  # from the third frame on, each frame classifies its budget's worth
    # The first call sees every face as it is; the next one the first 8 faces again, mirrored.
    first, second = recording.calls[0][:8], recording.calls[1]
    mirrored = np.abs(second - first[:, :, ::-1]).mean(axis=(1, 2, 3))
    as_is = np.abs(second - first).mean(axis=(1, 2, 3))
    assert np.all(mirrored < as_is / 2)


def test_follow_moves_with_the_face_and_gives_up_when_it_is_gone(consecutive_frames):
    detector = FaceDetector()
    gray = [to_gray(bgr) for bgr in consecutive_frames[90:96]]
    box = detector.detect(gray[0])[0]
    patch = face_patch(gray[0], box)
    later = detector.detect(gray[5])[0]
    followed = follow(gray[5], box, patch)
    assert followed is not None and iou(followed, later) >= 0.6
    assert follow(np.zeros_like(gray[0]), box, patch) is None
    assert follow(gray[0], (gray[0].shape[1] - 10, 0, 40, 40), patch) is None  # mostly outside the frame
