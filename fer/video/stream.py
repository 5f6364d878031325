"""The live path's analysis of one video stream, spread over its frames.

A whole-frame face search (the Haar cascade) is the costly part of a frame. :class:`StreamAnalyzer`
runs it every ``detect_every`` frames, proportionally less often on frames larger than 640x480, and
at once when a face is lost or the detection settings change. In between it follows each known face
from its last box by matching a small patch of it in the box's neighbourhood (a fraction of a
millisecond). Each face is classified again every ``classify_every`` frames, in the next of the
classifier's views each time (the tracker's smoothing averages them, as the photo path averages
every view within one frame), and at most ``max_classified`` followed faces per frame, so a crowded
gallery costs a bounded amount per frame. Faces keep their ids and smoothed emotions throughout.
"""

from __future__ import annotations

import cv2
import numpy as np

from fer.config import AnalyzerConfig, DetectorConfig, StreamConfig
from fer.faces import Box, Face
from fer.recognition.detection import FaceDetector
from fer.recognition.face_classifier import FaceClassifier
from fer.recognition.model_card import ModelFiles, shipped_model_files
from fer.recognition.preprocessing import to_gray
from fer.video.tracking import FaceTracker, Track

PATCH_PX = 24  # a followed face is matched at this size
FOLLOW_PAD = 0.25  # how far a face may move between frames, as a fraction of its side
MIN_MATCH = 0.6  # normalised correlation below which a followed face counts as lost
# Fewer than this share of at least NEW_PICTURE_FACES faces followed into a frame: a new picture,
# in which the next search keeps no face it does not find.
KEEP_CONFIRMED = 0.5
NEW_PICTURE_FACES = 4
MAX_UNCONFIRMED = 2  # searches in a row that may miss a followed face before it is dropped
REFERENCE_PIXELS = 640 * 480  # frames up to about this size are searched every ``detect_every`` frames


def face_patch(gray: np.ndarray, box: Box) -> np.ndarray:
    """The face in ``box``, shrunk to ``PATCH_PX`` square: what :func:`follow` looks for."""
    x, y, w, h = box
    return cv2.resize(gray[y : y + h, x : x + w], (PATCH_PX, PATCH_PX), interpolation=cv2.INTER_AREA)


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

    Composed of a detector (whose ``config`` may be replaced between frames: the next frame is
    searched with it), a face classifier and a tracker; ``config`` may be replaced between frames.
    """

    def __init__(
        self,
        detector: FaceDetector,
        classifier: FaceClassifier,
        config: StreamConfig = StreamConfig(),
        *,
        tracker: FaceTracker | None = None,
    ) -> None:
        self.detector = detector
        self.classifier = classifier
        self.config = config
        self.tracker = tracker or FaceTracker()
        self._frame = 0
        self._search_next = False
        self._searched_at = 0  # frame number of the latest search
        self._searched_with: DetectorConfig | None = None  # the detector settings of the latest search
        self._patches: dict[int, np.ndarray] = {}  # track id -> its face at the latest search
        self._unconfirmed: dict[int, int] = {}  # track id -> searches in a row that missed it
        self._new_picture = False  # most faces were lost at once since the latest search

    @classmethod
    def from_model(
        cls,
        files: ModelFiles | None = None,
        config: AnalyzerConfig = AnalyzerConfig(),
        stream: StreamConfig = StreamConfig(),
    ) -> StreamAnalyzer:
        """Built from model files (default: the shipped model) and the settings."""
        return cls(
            FaceDetector(config.detector), FaceClassifier.from_model(files or shipped_model_files(), config), stream
        )

    def analyze(self, image: np.ndarray) -> list[Face]:
        """This frame's faces (HxWx3 BGR, HxW gray or HxWx4 BGRA uint8), found ones first."""
        gray = to_gray(image)
        frame = self._frame
        self._frame += 1
        # New detection settings apply from this frame on: search with them at once, and only the
        # faces they find count.
        reset = self.detector.config != self._searched_with
        search = reset or self._search_next or frame - self._searched_at >= self._search_interval(gray)
        followed, tried = self._follow(gray)
        lost = len(followed) < tried
        # Most of several faces lost at once: the picture changed (a gallery reflowed, the shot cut).
        if tried >= NEW_PICTURE_FACES and len(followed) < KEEP_CONFIRMED * tried:
            self._new_picture = True
        # A face lost from view (it turned, moved fast, or the shot changed): search the whole
        # next frame instead of waiting for the next scheduled search.
        self._search_next = not search and lost
        if search:
            found = self._search(gray, frame)
            boxes = found if reset else found + self._kept(followed, found)
            self._new_picture = False
        else:
            found, boxes = [], [box for _, box in followed]
        tracks = self.tracker.match(boxes)
        self._remember(gray, tracks[: len(found)], forget_gone=search)
        self._classify(gray, tracks, frame)
        return [t.face() for t in tracks]

    def search_next(self) -> None:
        """Search the whole of the next frame (someone may have come into view)."""
        self._search_next = True

    @property
    def searched_last(self) -> bool:
        """Whether the latest frame was searched whole."""
        return self._searched_at == self._frame - 1

    def _search_interval(self, gray: np.ndarray) -> int:
        """Frames between searches: a search costs in proportion to the frame's area, so larger frames
        are searched less often and searching takes the same share of the time at any resolution."""
        if self.config.detect_every_empty is not None and not self.tracker.followed():
            return self.config.detect_every_empty
        if not self.config.scale_with_area:
            return self.config.detect_every
        return self.config.detect_every * max(1, round(gray.size / REFERENCE_PIXELS))

    def _follow(self, gray: np.ndarray) -> tuple[list[tuple[int, Box]], int]:
        """Where the faces of the latest frame are now (track id, box), and how many were looked for."""
        tracks = [t for t in self.tracker.followed() if t.id in self._patches]
        followed = [(t.id, follow(gray, t.box, self._patches[t.id])) for t in tracks]
        return [(i, box) for i, box in followed if box is not None], len(tracks)

    def _search(self, gray: np.ndarray, frame: int) -> list[Box]:
        self._searched_at, self._searched_with = frame, self.detector.config
        return self.detector.detect(gray)

    def _kept(self, followed: list[tuple[int, Box]], found: list[Box]) -> list[Box]:
        """The followed faces no box of the search overlaps: a face that one search missed (the cascade
        misses a face now and then) is kept where it was followed, for at most
        ``MAX_UNCONFIRMED`` searches in a row. None is kept when the picture has changed since the
        latest search: what is still "followed" then is a likeness in the new picture."""
        if not followed or self._new_picture:
            self._unconfirmed = {}
            return []
        same = self.tracker.same_face([box for _, box in followed], found)
        kept, unconfirmed = [], {}
        for (track, box), row in zip(followed, same, strict=True):
            if not row.any():
                unconfirmed[track] = self._unconfirmed.get(track, 0) + 1
                if unconfirmed[track] <= MAX_UNCONFIRMED:
                    kept.append(box)
        self._unconfirmed = unconfirmed
        return kept

    def _remember(self, gray: np.ndarray, found: list[Track], forget_gone: bool) -> None:
        """Keep the look of the faces just found, to follow them; after a search, forget the gone."""
        for track in found:
            self._patches[track.id] = face_patch(gray, track.box)
        if forget_gone:
            alive = self.tracker.ids()
            self._patches = {i: patch for i, patch in self._patches.items() if i in alive}

    def _classify(self, gray: np.ndarray, tracks: list[Track], frame: int) -> None:
        """Classify the faces due (new ones, then those waiting longest), each in its next view."""
        due = self.tracker.due(tracks, frame, self.config.classify_every, self.config.max_classified)
        if due:
            probabilities = self.classifier.one_view(gray, [t.box for t in due], [t.classified for t in due])
            self.tracker.observe(due, probabilities, frame)
