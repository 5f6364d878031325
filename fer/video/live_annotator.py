"""The live video path: one :class:`LiveAnnotator` per browser session, called on each frame.

The frame callback runs on a streaming worker thread; the page reads results from another
thread. Settings go in and results come out through a lock; nothing else is shared.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace

import numpy as np

from fer.config import DetectorConfig, StreamConfig
from fer.faces import Face, mean_shares
from fer.video.headline import CalmHeadline
from fer.video.mood import MoodTimeline
from fer.video.overlay import draw_faces
from fer.video.stream import StreamAnalyzer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveSettings:
    """What the viewer can change while streaming."""

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    stream: StreamConfig = field(default_factory=StreamConfig)
    show_probabilities: bool = False


@dataclass(frozen=True)
class Snapshot:
    """The latest analysed frame's faces, and counters since the session started."""

    faces: tuple[Face, ...] = ()
    frames: int = 0  # frames analysed
    frames_with_faces: int = 0
    failed_frames: int = 0  # frames returned unannotated because analysis raised
    line: str = "No faces in view"  # the calm headline on the class


class LiveAnnotator:
    """Analyses, tracks and annotates the frames of one video stream, and keeps the class mood.

    Call it with an ``av.VideoFrame``. ``mood`` is read by the page while frames come in.
    """

    def __init__(
        self, stream: StreamAnalyzer, settings: LiveSettings = LiveSettings(), *, mood: MoodTimeline | None = None
    ) -> None:
        self._stream = stream
        self.mood = mood or MoodTimeline()
        self.headline = CalmHeadline()
        self._lock = threading.Lock()
        self._settings = settings
        self._snapshot = Snapshot()
        self._logged_failure = False

    def configure(self, settings: LiveSettings) -> None:
        """Apply new settings from the next frame on."""
        with self._lock:
            self._settings = settings

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def annotate(self, bgr: np.ndarray) -> tuple[np.ndarray, list[Face]]:
        """Analyse and track an HxWx3 BGR frame, add it to the mood, draw on it in place."""
        with self._lock:
            settings = self._settings
        self._stream.detector.config = settings.detector
        self._stream.config = settings.stream
        faces = self._stream.analyze(bgr)
        self.mood.update(faces)
        self._line = self.headline.update(time.monotonic(), len(faces), mean_shares(faces))
        return draw_faces(bgr, faces, show_probabilities=settings.show_probabilities), faces

    def __call__(self, frame):
        """The ``video_frame_callback``: ``av.VideoFrame`` in, annotated ``av.VideoFrame`` out.

        A frame that cannot be analysed goes back unannotated; the failure is logged once per
        session and counted, and the stream goes on.
        """
        import av

        try:
            bgr, faces = self.annotate(frame.to_ndarray(format="bgr24"))
        except Exception:  # noqa: BLE001 - one bad frame must not end the stream
            if not self._logged_failure:
                log.exception("frame analysis failed; returning frames unannotated while it fails")
                self._logged_failure = True
            with self._lock:
                self._snapshot = replace(self._snapshot, failed_frames=self._snapshot.failed_frames + 1)
            return frame
        out = av.VideoFrame.from_ndarray(bgr, format="bgr24")
        out.pts = frame.pts
        if frame.time_base is not None:  # frames made from arrays carry none
            out.time_base = frame.time_base
        with self._lock:
            old = self._snapshot
            self._snapshot = Snapshot(
                faces=tuple(faces),
                frames=old.frames + 1,
                frames_with_faces=old.frames_with_faces + bool(faces),
                failed_frames=old.failed_frames,
                line=self._line,
            )
        return out
