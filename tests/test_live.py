from __future__ import annotations

import logging

import av
import numpy as np
import pytest
from helpers import CountingDetector

from fer.config import DetectorConfig, StreamConfig
from fer.recognition.face_classifier import FaceClassifier
from fer.recognition.model_card import shipped_model_files
from fer.video.live_annotator import LiveAnnotator, LiveSettings
from fer.video.stream import StreamAnalyzer


def live(settings: LiveSettings = LiveSettings()) -> LiveAnnotator:
    return LiveAnnotator(StreamAnalyzer.from_model(), settings)


def test_round_trips_real_video_frames(av_frames):
    session = live()
    annotated = 0
    for frame in av_frames:
        out = session(frame)
        assert isinstance(out, av.VideoFrame)
        assert (out.width, out.height, out.pts, out.time_base) == (
            frame.width,
            frame.height,
            frame.pts,
            frame.time_base,
        )
        faces = session.snapshot().faces
        before, after = frame.to_ndarray(format="bgr24"), out.to_ndarray(format="bgr24")
        assert np.array_equal(before, after) == (not faces)  # drawn on exactly when faces were found
        annotated += bool(faces)
    snap = session.snapshot()
    assert snap.frames == len(av_frames) and snap.frames_with_faces == annotated >= len(av_frames) // 2
    assert snap.failed_frames == 0
    assert sum(row.frames for row in session.mood.seconds()) == len(av_frames)
    assert all(face.id >= 1 for face in snap.faces)


def test_settings_apply_to_the_next_frame(analyzer, av_frames):
    session = live()
    frame = next(f for f in av_frames if analyzer.analyze(f.to_ndarray(format="bgr24")))
    session(frame)
    assert session.snapshot().faces
    session.configure(LiveSettings(detector=DetectorConfig(min_face_px=300)))
    session(frame)
    assert session.snapshot().faces == ()
    session.configure(LiveSettings())
    session(frame)
    assert session.snapshot().faces


def exploding(crops):
    raise RuntimeError("boom")


def test_a_failing_frame_goes_back_unannotated_and_is_logged_once(av_frames, caplog):
    stream = StreamAnalyzer(CountingDetector(), FaceClassifier(exploding), StreamConfig(detect_every=1))
    session = LiveAnnotator(stream, LiveSettings(stream=StreamConfig(detect_every=1)))
    frames = [f for f in av_frames if session._stream.detector.detect(np.asarray(f.to_ndarray(format="gray")))][:3]
    with caplog.at_level(logging.ERROR, logger="fer.video.live_annotator"):
        outs = [session(f) for f in frames]
    assert len(frames) == 3 and outs == frames
    assert session.snapshot().failed_frames == 3 and session.snapshot().frames == 0
    assert len([r for r in caplog.records if "frame analysis failed" in r.message]) == 1


def test_detecting_every_third_frame_keeps_ids_and_skips_the_detector(consecutive_frames):
    detector = CountingDetector()
    stream = StreamAnalyzer(detector, FaceClassifier.from_model(shipped_model_files()))
    session = LiveAnnotator(stream, LiveSettings(stream=StreamConfig(detect_every=3)))
    ids = []
    for bgr in consecutive_frames[82:112]:  # 30 consecutive frames of the singer
        session(av.VideoFrame.from_ndarray(bgr, format="bgr24"))
        ids.append([f.id for f in session.snapshot().faces])
    assert detector.searches == 10  # frames 0, 3, 6, ... of the 30
    assert all(face_ids == ids[0] for face_ids in ids) and len(ids[0]) == 1


@pytest.mark.parametrize("name", ["detect_every", "classify_every", "max_classified"])
def test_stream_settings_are_validated(name):
    with pytest.raises(ValueError, match=name):
        StreamConfig(**{name: 0})
