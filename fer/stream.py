"""The live path's analysis of one video stream, spread over its frames.

A whole-frame face search (the Haar cascade) is the costly part of a frame. :class:`StreamAnalyzer`
runs it every ``detect_every`` frames, proportionally less often on frames larger than 640x480, and
at once when a face is lost or the detection settings change. In between it follows each known face
from its last box by matching a small patch of it in the box's neighbourhood (a fraction of a
millisecond). Each face is classified again every ``classify_every`` frames, alternately as seen
and mirrored (the tracker's smoothing averages the two views, as the photo path's mirror averaging
does within one frame), and at most ``max_classified`` followed faces per frame, so a crowded
gallery costs a bounded amount per frame. Faces keep their ids and smoothed emotions throughout.
"""

from __future__ import annotations

import cv2
import numpy as np

from fer.config import StreamConfig
from fer.detection import Box
from fer.pipeline import Analyzer, as_gray
from fer.preprocessing import crop_faces
from fer.tracking import FaceTracker, TrackedFace, iou_matrix

PATCH_PX = 24  # a followed face is matched at this size
FOLLOW_PAD = 0.25  # how far a face may move between frames, as a fraction of its side
MIN_MATCH = 0.6  # normalised correlation below which a followed face counts as lost
REFERENCE_PIXELS = 640 * 480  # frames up to about this size are searched every ``detect_every`` frames


def face_patch(gray: np.ndarray, box: Box) -> np.ndarray:
    """The face in ``box``, shrunk to ``PATCH_PX`` square: what :func:`follow` looks for."""
    x, y, w, h = box
    return cv2.resize(gray[y:y + h, x:x + w], (PATCH_PX, PATCH_PX), interpolation=cv2.INTER_AREA)


def follow(gray: np.ndarray, box: Box, patch: np.ndarray) -> Box | None:
    """Where the face of ``patch``, last seen in ``box``, is in ``gray`` now; None if it is gone.

    Searches the box widened by ``FOLLOW_PAD`` of its side, at the face's size.
    """
    x, y, w, h = box
    height, width = gray.shape
    pad = round(w * FOLLOW_PAD)
    left, top = max(0, x - pad), max(0, y - pad)
    right, bottom = min(width, x + w + pad), min(height, y + h + pad)
    scale = PATCH_PX / w
    size = (round((right - left) * scale), round((bottom - top) * scale))
    if min(size) < PATCH_PX:  # the face has left the frame
        return None
    area = cv2.resize(gray[top:bottom, left:right], size, interpolation=cv2.INTER_AREA)
    _, best, _, (dx, dy) = cv2.minMaxLoc(cv2.matchTemplate(area, patch, cv2.TM_CCOEFF_NORMED))
    if not best >= MIN_MATCH:  # NaN on a flat area fails too
        return None
    return left + round(dx / scale), top + round(dy / scale), w, h


class StreamAnalyzer:
    """Faces with ids and smoothed emotions, frame after frame of one stream. Not thread-safe.

    Uses ``analyzer``'s detector, crop settings and classifier; ``config`` may be replaced
    between frames.
    """

    def __init__(self, analyzer: Analyzer, config: StreamConfig = StreamConfig(), *,
                 tracker: FaceTracker | None = None) -> None:
        self.analyzer = analyzer
        self.config = config
        self._tracker = tracker or FaceTracker()
        self._frame = 0
        self._search_next = False
        self._searched_at = 0  # frame number of the latest search
        self._searched_with = None  # the detector settings of the latest search
        self._patches: dict[int, np.ndarray] = {}  # track id -> its face at the latest search

    def analyze(self, bgr: np.ndarray) -> list[TrackedFace]:
        """This frame's faces (HxWx3 BGR, HxW gray or HxWx4 BGRA uint8), in detection order."""
        gray = as_gray(bgr)
        frame, config = self._frame, self.config
        self._frame += 1
        detector = self.analyzer.detector
        # A search costs in proportion to the frame's area: larger frames are searched less often,
        # so that searching takes the same share of the time at any camera resolution.
        interval = config.detect_every * max(1, round(gray.size / REFERENCE_PIXELS))
        # New detection settings apply from this frame on: search with them at once, and only
        # the faces they find count.
        reset = detector.config != self._searched_with
        searched = reset or self._search_next or frame - self._searched_at >= interval
        followed = [follow(gray, t.box, self._patches[t.id]) for t in self._tracker.tracks
                    if t.id in self._patches and t.missed == 0]
        boxes = [box for box in followed if box is not None]
        # A face lost from view (it turned, moved fast, or the shot changed): search the whole
        # next frame instead of waiting for the next scheduled search.
        self._search_next = not searched and len(boxes) < len(followed)
        found: list[Box] = []
        if searched:
            found = detector.detect(gray)
            self._searched_at, self._searched_with = frame, detector.config
            # The search's boxes replace the followed ones they overlap; a followed face that this
            # one search missed (the cascade misses a face now and then) is kept where it was followed.
            overlaps = iou_matrix(boxes, found)
            boxes = found + [box for box, row in zip(boxes, overlaps, strict=True)
                             if not reset and not (row >= self._tracker.config.min_iou).any()]
        tracks = self._tracker.match(boxes)
        for track in tracks[:len(found)]:
            self._patches[track.id] = face_patch(gray, track.box)
        if searched:
            alive = {t.id for t in self._tracker.tracks}
            self._patches = {i: patch for i, patch in self._patches.items() if i in alive}
        new = [t for t in tracks if t.probabilities is None]
        waiting = sorted((t for t in tracks if t.probabilities is not None
                          and frame - t.classified_at >= config.classify_every), key=lambda t: t.classified_at)
        due = new + waiting[:max(0, config.max_classified - len(new))]
        if due:
            crops = crop_faces(gray, [t.box for t in due], self.analyzer.config.crop)
            mirrored = np.array([t.classified % 2 == 1 for t in due])
            smoothing = self._tracker.config.smoothing
            for track, probabilities in zip(due, self.analyzer.classify(crops, mirrored), strict=True):
                track.observe(probabilities, smoothing, frame)
        return [t.face() for t in tracks]
