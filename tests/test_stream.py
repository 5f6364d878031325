"""The live path's fast stream against the plain path, on real frames."""

from __future__ import annotations

import av
import numpy as np
import pytest

from fer import Analyzer
from fer.classifier import EmotionClassifier, shipped_model_files
from fer.config import StreamConfig
from fer.stream import StreamAnalyzer, face_patch, follow
from fer.tracking import FaceTracker, iou


@pytest.fixture(scope="module")
def consecutive_frames(video_path) -> list[np.ndarray]:
    """Every frame of the real video, in order, as a stream delivers them."""
    with av.open(str(video_path)) as container:
        return [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


class Recording:
    """A single-view classifier that records the crops of each call."""

    def __init__(self):
        self.inner = EmotionClassifier(shipped_model_files(), flip_tta=False)
        self.calls: list[np.ndarray] = []

    def __call__(self, crops):
        self.calls.append(crops.copy())
        return self.inner(crops)


def test_the_stream_finds_the_faces_of_the_plain_path_with_the_same_boxes_and_labels(analyzer, consecutive_frames):
    stream, tracker = StreamAnalyzer(analyzer), FaceTracker()
    cold_frames = stream_frames = 0
    overlaps, agree = [], []
    for bgr in consecutive_frames:
        cold = tracker.update(analyzer.analyze(bgr))
        fast = stream.analyze(bgr)
        cold_frames += bool(cold)
        stream_frames += bool(fast)
        if len(cold) == len(fast) == 1:
            overlaps.append(iou(cold[0].box, fast[0].box))
            agree.append(cold[0].label == fast[0].label)
    assert cold_frames >= 150
    assert stream_frames >= cold_frames  # following a face bridges frames where the cascade misses it
    assert len(overlaps) >= 100
    assert np.mean(np.array(overlaps) >= 0.5) >= 0.9
    assert np.mean(agree) >= 0.8


def counting_searches(analyzer: Analyzer) -> list:
    """A list that gets an item for each whole-frame search ``analyzer``'s detector makes."""
    searches = []
    original = analyzer.detector.detect
    analyzer.detector.detect = lambda gray: searches.append(1) or original(gray)
    return searches


def test_searches_every_nth_frame_while_faces_are_followed(consecutive_frames):
    analyzer = Analyzer()
    searches = counting_searches(analyzer)
    stream = StreamAnalyzer(analyzer, StreamConfig(detect_every=10))
    ids = [[f.id for f in stream.analyze(bgr)] for bgr in consecutive_frames[82:112]]  # the singer, 30 frames
    assert len(searches) == 3
    assert all(frame_ids == [1] for frame_ids in ids)


def test_a_lost_face_triggers_a_search_on_the_next_frame(consecutive_frames):
    analyzer = Analyzer()
    searches = counting_searches(analyzer)
    stream = StreamAnalyzer(analyzer, StreamConfig(detect_every=30))
    assert stream.analyze(consecutive_frames[90])
    blank = np.zeros_like(consecutive_frames[90])
    assert stream.analyze(blank) == []  # followed face gone
    assert len(searches) == 1
    stream.analyze(consecutive_frames[92])
    assert len(searches) == 2


def test_faces_alternate_views_and_take_turns_within_the_budget(fer_faces):
    from scripts.gallery import build_gallery

    gallery = build_gallery(fer_faces.split("PrivateTest").faces, frontal=True)
    recording = Recording()
    analyzer = Analyzer(classifier=recording)
    searches = counting_searches(analyzer)
    stream = StreamAnalyzer(analyzer, StreamConfig(detect_every=10, classify_every=2, max_classified=8))
    reported = [stream.analyze(gallery.copy()) for _ in range(32)]
    assert len(searches) == 2  # frames 0 and 30: a 1280x720 frame is searched a third as often
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


def test_analyzer_mirror_averaging_equals_the_served_classifier(fer_faces):
    crops = fer_faces.split("PrivateTest").faces[:64, :, :, None].astype(np.float32)
    served = EmotionClassifier(shipped_model_files(), flip_tta=True)(crops)
    np.testing.assert_allclose(Analyzer().classify(crops), served, atol=1e-6)


def test_follow_moves_with_the_face_and_gives_up_when_it_is_gone(analyzer, consecutive_frames):
    from fer.pipeline import as_gray

    gray = [as_gray(bgr) for bgr in consecutive_frames[90:96]]
    box = analyzer.detector.detect(gray[0])[0]
    patch = face_patch(gray[0], box)
    later = analyzer.detector.detect(gray[5])[0]
    followed = follow(gray[5], box, patch)
    assert followed is not None and iou(followed, later) >= 0.6
    assert follow(np.zeros_like(gray[0]), box, patch) is None
    assert follow(gray[0], (gray[0].shape[1] - 10, 0, 40, 40), patch) is None  # mostly outside the frame
