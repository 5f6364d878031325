"""Photos with many faces, and recorded video, through fer.classroom.recorded."""

from __future__ import annotations

import csv
import io
import json

import av
import numpy as np
import pytest

from fer import AnalyzerConfig, FrameAnalyzer
from fer.classroom.lesson import Lesson
from fer.classroom.recorded import (
    ROW_FIELDS,
    FrameResult,
    Previews,
    analyze_photo,
    analyze_recording,
    face_rows,
    recording_analyzer,
    time_left,
)
from fer.config import HIGH_SENSITIVITY
from fer.media import VideoReader, VideoSample
from fer.tables import rows_text
from tests.fixtures.galleries import build_gallery, score_gallery

HIGH = AnalyzerConfig(detector=HIGH_SENSITIVITY)


@pytest.mark.parametrize(
    "rows, cols, size, at_least",
    [
        (5, 5, (1280, 720), 20),  # a 25-person call at 1280x720
        (7, 7, (1920, 1080), 40),  # 49 faces at 1920x1080
    ],
)
def test_group_photos_of_real_faces(fer_faces, rows, cols, size, at_least):
    # The misses are the gallery's profile and half-turned faces, which a frontal cascade cannot see.
    gallery = build_gallery(fer_faces.split("PrivateTest").faces, rows, cols, *size, face_px=96)
    result = analyze_photo(FrameAnalyzer.from_model(config=HIGH), gallery)
    found, extra = score_gallery(result.faces, rows, cols, *size)
    assert found >= at_least and extra <= 5
    assert sorted(f.id for f in result.faces) == list(range(1, len(result.faces) + 1))


def test_a_recording_is_analysed_as_a_stream_into_a_lesson(video_path):
    lesson = Lesson.of_recording("clip.mp4")
    seen = []
    with VideoReader(video_path, every_s=0.25) as reader:
        analyzer = recording_analyzer(every_s=0.25, search_s=1.0)  # the singer turns away often
        results = list(
            analyze_recording(analyzer, reader, lesson, on_sample=lambda r, sample: seen.append(sample.gray.shape))
        )
    times = np.array([r.time_s for r in results])
    assert times[0] == 0 and times[-1] > 8.9 and 0.2 <= np.diff(times).min() and np.diff(times).max() < 0.4
    assert abs(np.diff(times).mean() - 0.25) < 0.01  # on schedule
    assert seen == [(360, 640)] * len(results)
    snapshot = lesson.snapshot()
    assert [row.second for row in snapshot.seconds] == list(range(10))  # video time, not wall time
    assert f"{snapshot.clock(9):%H:%M:%S}" == "00:00:09"  # the recording's own clock
    # One singer, followed between searches: the same id from sample to sample while he is in
    # view (a new one only after he turned away), and one seat for the whole clip.
    faces = [f for r in results for f in r.faces]
    assert len(faces) >= 8 and all(len(r.faces) <= 1 for r in results)
    for before, after in zip(results, results[1:], strict=False):
        if before.faces and after.faces:
            assert before.faces[0].id == after.faces[0].id
    seats = {f.seat for r in results for f in r.faces}
    assert "A1" in seats and seats <= {"A1", None}
    rows = [row for r in results for row in face_rows("clip.mp4", r)]
    assert rows and all(list(row) == list(ROW_FIELDS) for row in rows)
    table = list(csv.DictReader(io.StringIO(rows_text(rows, ROW_FIELDS))))
    assert len(table) == len(rows) and table[0]["source"] == "clip.mp4"
    assert rows_text([], ROW_FIELDS) == ",".join(ROW_FIELDS) + "\n"
    assert json.loads(rows_text(rows, ROW_FIELDS, "json")) == rows
    assert json.loads(rows_text([], ROW_FIELDS, "json")) == []
    with pytest.raises(ValueError, match="format"):
        rows_text(rows, ROW_FIELDS, "xml")


def test_time_left():
    assert time_left(10.0, 0.25) == pytest.approx(30.0)
    assert time_left(10.0, 1.0) == 0.0 and time_left(0.0, 0.0) is None


def test_previews_stay_bounded_and_spread_over_the_video(analyzer, sampled_frames):
    previews = Previews(every_s=0.5, width=320, limit=8)
    for i, bgr in enumerate(sampled_frames):  # 55 frames, 1 s apart in this test's timeline
        sample = VideoSample(i, float(i), av.VideoFrame.from_ndarray(bgr, format="bgr24"))
        previews.keep(FrameResult(i, float(i), analyze_photo(analyzer, bgr).faces), sample)
    times = [t for t, _ in previews.moments]
    assert len(times) <= 8 and times[0] == 0.0 and times[-1] >= 40
    assert all(jpeg[:3] == b"\xff\xd8\xff" for _, jpeg in previews.moments)
    assert np.diff(times).min() >= 1.0
