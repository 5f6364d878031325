from __future__ import annotations

import logging

import av
import numpy as np
import pytest

from fer.config import DetectorConfig, StreamConfig
from fer.live import LiveSession, LiveSettings


def test_round_trips_real_video_frames(analyzer, video_frames):
    session = LiveSession(analyzer)
    annotated = 0
    for frame in video_frames:
        out = session(frame)
        assert isinstance(out, av.VideoFrame)
        assert (out.width, out.height, out.pts, out.time_base) == (frame.width, frame.height, frame.pts,
                                                                    frame.time_base)
        faces = session.snapshot().faces
        before, after = frame.to_ndarray(format="bgr24"), out.to_ndarray(format="bgr24")
        assert np.array_equal(before, after) == (not faces)  # drawn on exactly when faces were found
        annotated += bool(faces)
    snap = session.snapshot()
    assert snap.frames == len(video_frames) and snap.frames_with_faces == annotated >= len(video_frames) // 2
    assert snap.failed_frames == 0
    assert sum(row.frames for row in session.mood.seconds()) == len(video_frames)
    assert all(face.id >= 1 for face in snap.faces)


def test_settings_apply_to_the_next_frame(analyzer, video_frames):
    session = LiveSession(analyzer)
    frame = next(f for f in video_frames if analyzer.analyze(f.to_ndarray(format="bgr24")))
    session(frame)
    assert session.snapshot().faces
    session.configure(LiveSettings(detector=DetectorConfig(min_face_px=300)))
    session(frame)
    assert session.snapshot().faces == ()
    session.configure(LiveSettings())
    session(frame)
    assert session.snapshot().faces


class Exploding:
    config = type("C", (), {"detector": DetectorConfig()})()

    def analyze(self, bgr):
        raise RuntimeError("boom")


def test_a_failing_frame_goes_back_unannotated_and_is_logged_once(video_frames, caplog):
    session = LiveSession(Exploding())
    with caplog.at_level(logging.ERROR, logger="fer.live"):
        outs = [session(f) for f in video_frames[:3]]
    assert outs == video_frames[:3]
    assert session.snapshot().failed_frames == 3 and session.snapshot().frames == 0
    assert len([r for r in caplog.records if "frame analysis failed" in r.message]) == 1


def test_detecting_every_third_frame_keeps_ids_and_skips_the_detector(video_path):
    from fer import Analyzer

    analyzer = Analyzer()
    detector = analyzer._detector
    calls = []
    original = detector.detect
    detector.detect = lambda gray: calls.append(1) or original(gray)
    session = LiveSession(analyzer, LiveSettings(stream=StreamConfig(detect_every=3)))
    ids = []
    with av.open(str(video_path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if 82 <= i < 112:  # 30 consecutive frames of the singer
                session(frame)
                ids.append([f.id for f in session.snapshot().faces])
    assert len(calls) == 10  # frames 0, 3, 6, ... of the 30
    assert all(face_ids == ids[0] for face_ids in ids) and len(ids[0]) == 1


@pytest.mark.parametrize("name", ["detect_every", "classify_every", "max_classified"])
def test_stream_settings_are_validated(name):
    with pytest.raises(ValueError, match=name):
        StreamConfig(**{name: 0})
