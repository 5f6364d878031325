"""Many live sessions at once, each with its own analyzer, tracker and mood."""

from __future__ import annotations

import threading

import av
import numpy as np

from fer.video.live_annotator import LiveAnnotator
from fer.video.stream import StreamAnalyzer


def test_eight_parallel_sessions_keep_their_own_numbers(sampled_frames):
    singer = sampled_frames[:30]
    empty = [np.zeros_like(bgr) for bgr in singer]
    sessions = [LiveAnnotator(StreamAnalyzer.from_model()) for _ in range(8)]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            # Even sessions see the singer, odd ones an empty room: any cross-talk shows. Each
            # stream has frames of its own, as each WebRTC connection does.
            for bgr in singer if index % 2 == 0 else empty:
                sessions[index](av.VideoFrame.from_ndarray(bgr, format="bgr24"))
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and not any(t.is_alive() for t in threads)
    reference = LiveAnnotator(StreamAnalyzer.from_model())
    for bgr in singer:
        reference(av.VideoFrame.from_ndarray(bgr, format="bgr24"))
    expected = reference.snapshot().frames_with_faces
    assert expected > 0
    for i, session in enumerate(sessions):
        snap = session.snapshot()
        assert snap.frames == len(singer) and snap.failed_frames == 0
        assert snap.frames_with_faces == (expected if i % 2 == 0 else 0)
        seconds = session.mood.seconds()
        assert sum(r.frames for r in seconds) == len(singer)
        assert all(r.faces == 0 for r in seconds) == (i % 2 == 1)
