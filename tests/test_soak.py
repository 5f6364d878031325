"""A long lesson: 20,000 real video frames through one live session's frame callback."""

from __future__ import annotations

import gc

import av
import pytest

from fer.video.live_annotator import LiveAnnotator
from fer.video.stream import StreamAnalyzer
from scripts.bench.sessions import rss_mb

FRAMES = 20_000
WARM_UP = 1_000
MAX_GROWTH_MB = 20


@pytest.mark.slow
def test_twenty_thousand_frames_without_an_error_or_growing_memory(video_path):
    with av.open(str(video_path)) as container:
        frames = list(container.decode(video=0))  # 275 frames, 640x360, in the decoder's yuv420p
    session = LiveAnnotator(StreamAnalyzer.from_model())
    baseline = None
    for n in range(FRAMES):
        out = session(frames[n % len(frames)])
        assert isinstance(out, av.VideoFrame)
        if n + 1 == WARM_UP:
            gc.collect()
            baseline = rss_mb()
    gc.collect()
    growth = rss_mb() - baseline
    snap = session.snapshot()
    assert snap.frames == FRAMES and snap.failed_frames == 0
    assert snap.frames_with_faces >= FRAMES // 2
    assert sum(row.frames for row in session.mood.seconds()) == FRAMES
    print(f"\nsoak: {FRAMES} frames, resident memory {baseline:.0f} MB after {WARM_UP}, +{growth:.1f} MB at the end")
    assert growth <= MAX_GROWTH_MB
