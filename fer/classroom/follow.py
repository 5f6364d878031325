"""A shared call's faces frame after frame, without searching every frame whole.

A cascade search of a whole 1080p gallery costs a few hundred milliseconds on two cores: more than a
frame's share of them at two frames a second. :class:`GalleryFollower` searches the whole frame only
where it must: the first frame, a frame whose gallery grid (:func:`fer.classroom.tiles.find_tiles`) is
not the grid of the frame before (a reflow: every face may have moved, so no face is followed across
it), a frame in which most followed faces are lost at once, the first frame after a pause, and every
``WHOLE_EVERY_S`` seconds. In between, each face is followed from its last box by matching a small
patch of it near there (:func:`fer.video.stream.follow`, as the live camera's path does), and a few
tiles are searched (a cascade search of one tile's region, a few milliseconds):

* the tile of a face lost (its patch no longer matches, or it left its tile), in the same frame;
* the tile of a face followed with little likeness (a student gone from the camera leaves a blurred
  room that a small patch of the face may still match), at most ``MAX_DOUBTFUL`` a frame;
* an empty tile whose picture changed since its latest search (a camera turned on, a student back at
  the desk), or that has not been searched for ``EMPTY_EVERY`` frames, at most ``EMPTY_PER_FRAME`` a
  frame; a tile whose face the cascade cannot find is not searched again every frame;
* and the other tiles in turn, each within about ``SWEEP_FRAMES`` frames.

A search's faces replace those followed where it searched: a followed face it does not find is
dropped, so no face outlives its student. A picture that shows no grid is searched whole every
``NO_GRID_EVERY_S`` seconds and at once when a followed face is lost or doubtful.

Each face is classified in one view per frame, the next of the classifier's views each time, and its
probabilities are the mean of its latest reading in every view: the photo path's mean of six views,
spread over six frames (a face first found is classified in every view at once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from fer.classroom.tiles import TileGrid
from fer.config import DetectorConfig
from fer.faces import NOT_ESTIMATED, Box, Face
from fer.recognition.detection import FaceDetector
from fer.recognition.face_classifier import FaceClassifier
from fer.video.stream import KEEP_CONFIRMED, NEW_PICTURE_FACES, face_patch, follow
from fer.video.tracking import TrackerConfig, iou_matrix

# A gallery's frame is searched whole at least this often. Its tiles are searched in turn anyway; a whole
# search of a 1080p frame costs about 0.5 s of CPU, so this safety net costs about 4 ms a frame at 2 a second.
WHOLE_EVERY_S = 60.0
NO_GRID_EVERY_S = 3.0  # ... and a picture that shows no grid this often
PAUSE_S = 5.0  # frames further apart than this: the picture may be anything now, searched whole
SURE_MATCH = 0.8  # a face followed with less likeness than this to its look at its latest search is checked
MAX_DOUBTFUL = 4  # tiles of such faces searched per frame, the least alike first
EMPTY_PER_FRAME = 2  # empty tiles searched per frame at most, the changed ones first
EMPTY_EVERY = 10  # frames: an empty tile is searched again at least this often
# An empty tile's picture has changed when it differs from its picture at its latest search by more than
# this many gray levels (RMS, after the best gain and offset: a brightness drift is no change). Measured
# on call galleries at 32x18: video noise and JPEG under 2.5; a camera turned on or off 23 and more, a
# student gone from the camera 14 and more.
CHANGE_LEVELS = 6.0
LOOK_PX = (32, 18)  # a tile's picture is compared at this size
SWEEP_FRAMES = 120  # every tile with a face is searched again within about this many frames
TILE_PAD = 0.1  # a tile is searched with this share of its height around it (the cascade's windows overhang)
SAME_FACE = TrackerConfig.min_iou  # boxes of two searches overlapping this much are the same face
SAME_BOX = 0.6  # ... and this much, the same face in the same place

Tile = tuple[int, int]  # (row, column) in a TileGrid


@dataclass(eq=False)
class _Followed:
    """One face being followed: where it is, what it looks like, and its latest reading in each view."""

    box: Box
    patch: np.ndarray  # the face at its latest search: what follow() looks for
    tile: Tile | None = None  # the grid's tile that holds its box, if any
    readings: np.ndarray | None = None  # (V, 7) uncalibrated: its latest probabilities in each view
    shown: int = 0  # views shown so far: the next one is ``shown % V``
    likeness: float = 1.0  # of its patch now to its patch at its latest search


class GalleryFollower:
    """The faces of one shared call's frames, found, followed and classified. Not thread-safe: one per
    browser session, with its own detector and classifier (None: presence only, no expression estimated).
    :meth:`reset` before another call's frames."""

    def __init__(self, detector: FaceDetector, classifier: FaceClassifier | None) -> None:
        self.detector = detector
        self.classifier = classifier
        self.reset()

    def reset(self) -> None:
        """Forget every face: the next frame is searched whole."""
        self._faces: list[_Followed] = []
        self._grid: TileGrid | None = None
        self._shape: tuple[int, ...] | None = None
        self._searched_with: DetectorConfig | None = None  # the detector settings of the latest whole search
        self._whole_at = -math.inf  # seconds of the latest whole search
        self._seen_at = -math.inf  # seconds of the latest frame
        self._frame = 0
        self._tile_searched: dict[Tile, int] = {}  # tile -> frame number of its latest search
        self._looks: dict[Tile, np.ndarray] = {}  # tile -> its picture at its latest search, LOOK_PX
        self._sweep = 0.0  # tiles with faces due to be searched again
        self._next_view = 0
        self.searched_whole = False  # whether the latest frame was searched whole
        self.tiles_searched = 0  # tiles the latest frame searched

    def analyze(self, gray: np.ndarray, grid: TileGrid | None, t: float) -> list[Face]:
        """The faces of an HxW uint8 gray frame seen ``t`` seconds into the call, whose gallery grid is
        ``grid`` (None: the picture shows none), each with its probabilities; unseated, unsorted."""
        changed = (
            self.detector.config != self._searched_with
            or gray.shape != self._shape
            or not 0 <= t - self._seen_at <= PAUSE_S
            or (grid is None) != (self._grid is None)
            or (grid is not None and not grid.same_as(self._grid))
        )
        self._shape, self._seen_at, self._grid = gray.shape, t, grid
        self.searched_whole, self.tiles_searched = True, 0
        if changed:
            self._search_whole(gray, t, [])
        else:
            followed, lost = self._follow(gray, grid)
            tried = len(self._faces)
            # Most of several faces lost at once: the picture changed (a gallery reflowed within the same
            # grid, another window shared).
            new_picture = tried >= NEW_PICTURE_FACES and len(followed) < KEEP_CONFIRMED * tried
            every = NO_GRID_EVERY_S if grid is None else WHOLE_EVERY_S
            # Without tiles to search, a face lost or doubtful is looked for in the whole frame.
            unsure = len(followed) < tried or any(face.likeness < SURE_MATCH for face in followed)
            if new_picture or t - self._whole_at >= every or (grid is None and unsure):
                self._search_whole(gray, t, [] if new_picture else followed)
            else:
                self.searched_whole = False
                self._faces = followed
                if grid is not None:
                    self._search_tiles(gray, grid, lost)
        self._frame += 1
        return self._classify(gray)

    def _follow(self, gray: np.ndarray, grid: TileGrid | None) -> tuple[list[_Followed], list[Tile]]:
        """The faces found again near their last boxes (in their tiles), and the tiles of those lost."""
        followed, lost = [], []
        for face in self._faces:
            box = follow(gray, face.box, face.patch)
            if box is None or (grid is not None and grid.tile_of(box) != face.tile):
                if face.tile is not None:
                    lost.append(face.tile)
                continue
            face.box, face.likeness = box, _likeness(face_patch(gray, box), face.patch)
            followed.append(face)
        return followed, lost

    def _search_whole(self, gray: np.ndarray, t: float, followed: list[_Followed]) -> None:
        self._searched_with, self._whole_at = self.detector.config, t
        self._faces = _merged(gray, self.detector.detect(gray), followed)
        for face in self._faces:
            face.tile = None if self._grid is None else self._grid.tile_of(face.box)
        tiles = [] if self._grid is None else _tiles(self._grid)
        self._tile_searched = dict.fromkeys(tiles, self._frame)
        self._looks = {tile: _look(gray, self._grid, tile) for tile in tiles}

    def _search_tiles(self, gray: np.ndarray, grid: TileGrid, lost: list[Tile]) -> None:
        """Search the tiles of the faces just lost or doubtful, empty tiles and the others in turn."""
        doubtful = sorted(
            (f for f in self._faces if f.likeness < SURE_MATCH and f.tile is not None), key=lambda f: f.likeness
        )
        occupied = {face.tile for face in self._faces}
        waited = sorted(_tiles(grid), key=lambda tile: self._tile_searched.get(tile, -1))
        taken = [tile for tile in waited if tile in occupied]
        looks = {tile: _look(gray, grid, tile) for tile in waited if tile not in occupied and tile not in lost}
        change = {
            tile: _change(self._looks[tile], look) if tile in self._looks else math.inf for tile, look in looks.items()
        }
        changed = sorted((tile for tile in looks if change[tile] > CHANGE_LEVELS), key=lambda tile: -change[tile])
        stale = [tile for tile in looks if self._frame - self._tile_searched.get(tile, -1) >= EMPTY_EVERY]
        self._sweep += len(taken) / SWEEP_FRAMES
        swept = taken[: int(self._sweep)]
        self._sweep -= len(swept)
        due = (
            lost
            + [face.tile for face in doubtful[:MAX_DOUBTFUL]]
            + list(dict.fromkeys(changed + stale))[:EMPTY_PER_FRAME]
            + swept
        )
        for tile in dict.fromkeys(due):
            self._search_tile(gray, grid, tile)
            self._tile_searched[tile] = self._frame
            self._looks[tile] = looks[tile] if tile in looks else _look(gray, grid, tile)
            self.tiles_searched += 1

    def _search_tile(self, gray: np.ndarray, grid: TileGrid, tile: Tile) -> None:
        """A cascade search of one tile's region: its faces replace those followed in it."""
        x, y, w, h = grid.rows[tile[0]][tile[1]]
        pad = round(TILE_PAD * h)
        left, top = max(0, x - pad), max(0, y - pad)
        region = gray[top : min(gray.shape[0], y + h + pad), left : min(gray.shape[1], x + w + pad)]
        found = [(bx + left, by + top, bw, bh) for bx, by, bw, bh in self.detector.detect(region)]
        inside = [face for face in self._faces if face.tile == tile]
        faces = _merged(gray, [box for box in found if grid.tile_of(box) == tile], inside)
        for face in faces:
            face.tile = tile
        self._faces = [face for face in self._faces if face.tile != tile] + faces

    def _classify(self, gray: np.ndarray) -> list[Face]:
        """Each face in its next view (a new face in every view), one model call; each face's mean over views."""
        if self.classifier is None or not self._faces:  # presence only, or no face
            return [Face(face.box, NOT_ESTIMATED) for face in self._faces]
        count = len(self.classifier.views)
        picked = [None if face.readings is None else face.shown % count for face in self._faces]
        readings = self.classifier.in_views(gray, [face.box for face in self._faces], picked)
        for face, reading, view in zip(self._faces, readings, picked, strict=True):
            if view is None:
                face.readings, face.shown = reading, self._next_view  # new faces start in different views
                self._next_view += 1
            else:
                face.readings[view] = reading[view]
                face.shown += 1
        probabilities = self.classifier.calibrated(np.array([face.readings.mean(axis=0) for face in self._faces]))
        return [Face(face.box, p) for face, p in zip(self._faces, probabilities, strict=True)]


def _tiles(grid: TileGrid) -> list[Tile]:
    return [(r, c) for r, row in enumerate(grid.rows) for c in range(len(row))]


def _look(gray: np.ndarray, grid: TileGrid, tile: Tile) -> np.ndarray:
    """The tile's picture at ``LOOK_PX``, float32, as a row."""
    x, y, w, h = grid.rows[tile[0]][tile[1]]
    return cv2.resize(gray[y : y + h, x : x + w], LOOK_PX, interpolation=cv2.INTER_AREA).astype(np.float32).ravel()


def _change(before: np.ndarray, now: np.ndarray) -> float:
    """How much a tile's picture changed: the RMS gray levels by which either look misses the best
    gain-and-offset fit of it from the other (the larger; 0 for the same picture, brighter or darker)."""
    a, b = before - before.mean(), now - now.mean()

    def misfit(x: np.ndarray, y: np.ndarray) -> float:
        gain = float(x @ y) / max(float(x @ x), 1e-6)
        return float(np.sqrt(np.mean((y - gain * x) ** 2)))

    return max(misfit(a, b), misfit(b, a))


def _likeness(patch: np.ndarray, look: np.ndarray) -> float:
    """Normalised correlation of two face patches (1: alike; NaN, from a flat patch, counts as unlike)."""
    value = float(cv2.matchTemplate(patch, look, cv2.TM_CCOEFF_NORMED)[0, 0])
    return value if math.isfinite(value) else 0.0


def _merged(gray: np.ndarray, found: list[Box], followed: list[_Followed]) -> list[_Followed]:
    """The faces a search ``found``, each carrying on the followed face its box overlaps most (its readings
    in the views); the followed faces it did not find are gone."""
    overlaps = iou_matrix([face.box for face in followed], found)
    faces, taken = [], set()
    for j, box in enumerate(found):
        best = next((i for i in np.argsort(-overlaps[:, j]) if overlaps[i, j] >= SAME_FACE and i not in taken), None)
        if best is None:
            faces.append(_Followed(box, face_patch(gray, box)))
            continue
        taken.add(best)
        face = followed[best]
        # Found where it is followed: it keeps its box, so that its readings in the views stay readings of
        # one crop (two searches' boxes of a still face differ by a few pixels); its look is taken afresh.
        if overlaps[best, j] < SAME_BOX:
            face.box = box
        face.patch, face.likeness = face_patch(gray, face.box), 1.0
        faces.append(face)
    return faces
