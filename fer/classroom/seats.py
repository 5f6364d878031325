"""Seats in a video-call gallery: every face gets the tile it sits in, named like "B3".

A gallery lays its students out in rows of tiles. :class:`SeatMap` learns that layout from where
faces are found over a few frames (face centres cluster into rows, and within a row into
columns), names each tile by its row letter and column number, and then gives each frame's faces
the tile they are in. The layout stays put through blinks, turned heads and missed detections: a
tile whose face is missed is still a seat, and a face found where the layout lacked a tile adds
that tile and renames no other. When faces keep turning up where no tile is, or most
tiles stay empty while faces are found elsewhere, the gallery has reflowed (someone joined or
left): the layout is learnt again from the latest frames and every seat is named afresh, and
:attr:`SeatMap.reflows` says when. One tile is one seat: never two seats in a tile.
"""

from __future__ import annotations

import string
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fer.faces import Box

LEARN_FRAMES = 3  # frames of face centres a layout is learnt from; a tile needs a face in most of them
MISFIT_FRAMES = 3  # frames in a row that must look reflowed before the layout is learnt again
STRAY_FRAMES = 5  # a face that fits no tile in this many frames in a row has a tile the layout lacks
MISFIT_SHARE = 0.25  # a frame looks reflowed when this share of its faces fits no tile...
EMPTY_SHARE = 0.5  # ...or this share of the tiles is empty while as many faces are found elsewhere
MAX_SIDE = 2.0  # a box this many times the gallery's face side, or larger, is no face of a tile
GAP = 0.75  # centres further apart than this many face sides start a new row or column


@dataclass(frozen=True)
class Tile:
    """One tile of the gallery: its row and column (from 0) and its centre in frame pixels."""

    row: int
    col: int
    x: float
    y: float

    @property
    def name(self) -> str:
        return row_name(self.row) + str(self.col + 1)


def row_name(row: int) -> str:
    """A, B, ..., Z, then AA, AB, ... for very large galleries."""
    letters = string.ascii_uppercase
    return letters[row] if row < 26 else letters[row // 26 - 1] + letters[row % 26]


def seat_key(name: str) -> tuple[int, str, int]:
    """Sorts seat names row by row, then by column: A1, A2, ..., A10, B1."""
    letters = name.rstrip("0123456789")
    return len(letters), letters, int(name[len(letters) :] or 0)


def centre(box: Box) -> tuple[float, float]:
    x, y, w, h = box
    return x + w / 2, y + h / 2


def clusters(values: np.ndarray, gap: float) -> list[np.ndarray]:
    """Indices of ``values`` grouped where sorted neighbours lie within ``gap``, lowest group first."""
    order = np.argsort(values, kind="stable")
    breaks = np.nonzero(np.diff(values[order]) > gap)[0] + 1
    return [group for group in np.split(order, breaks) if len(group)]


def column_numbers(rows: list[list[float]], gap: float) -> list[list[int]]:
    """Each tile's column (from 0), given the x of each row's tiles, left to right.

    The gallery's columns are the x positions shared by tiles of two rows or more. A row whose
    tiles all stand in such columns is numbered by them, so that a face missed in a row does not
    shift the names of its neighbours. Any other row is numbered left to right: a gallery of one
    row, and the last row of a gallery that is not full, centred under the others (a last row
    that reaches neither the first nor the last column is such a row, even where its tiles line
    up with columns).
    """
    flat = np.array([x for row in rows for x in row])
    row_of = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
    columns = [group for group in clusters(flat, gap) if len(set(row_of[group])) >= 2] if len(flat) else []
    column_of = {int(i): n for n, group in enumerate(columns) for i in group}
    numbers, start = [], 0
    for row in rows:
        indices = range(start, start + len(row))
        start += len(row)
        shared = [column_of.get(i) for i in indices]
        aligned = None not in shared and len(set(shared)) == len(shared)
        if aligned and len(numbers) == len(rows) - 1 and shared[0] > 0 and shared[-1] < len(columns) - 1:
            aligned = False  # a short last row, centred
        numbers.append([int(n) for n in shared] if aligned else list(range(len(row))))
    return numbers


@dataclass(frozen=True)
class Layout:
    """The tiles of a gallery, row by row, and the face size it was learnt at."""

    tiles: tuple[Tile, ...]
    face_side: float

    @classmethod
    def learn(cls, frames: Sequence[Sequence[Box]]) -> Layout:
        """The layout of the faces in ``frames`` of one gallery: a tile where a face is found in
        most of them (so that a false face in one frame makes no tile, and a face missed in one
        frame still does)."""
        boxes = [b for frame in frames for b in frame]
        if not boxes:
            return cls((), 0.0)
        face_side = float(np.median([max(b[2], b[3]) for b in boxes]))
        centres = np.array([centre(b) for b in boxes])
        frame_of = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
        support = (len(frames) + 1) // 2
        gap = GAP * face_side
        rows = []
        for row in clusters(centres[:, 1], gap):
            columns = [row[c] for c in clusters(centres[row, 0], gap)]
            kept = [members for members in columns if len(set(frame_of[members])) >= support]
            if kept:
                rows.append(kept)
        spots = [centres[members].mean(axis=0) for columns in rows for members in columns]
        return cls.at(spots, face_side)

    @classmethod
    def at(cls, spots: Sequence[Sequence[float]], face_side: float) -> Layout:
        """The layout whose tiles are centred at ``spots`` (x, y), named by their rows and columns."""
        if not len(spots):
            return cls((), face_side)
        xy = np.asarray(spots, float)
        gap = GAP * face_side
        rows = [row[np.argsort(xy[row, 0], kind="stable")] for row in clusters(xy[:, 1], gap)]
        numbers = column_numbers([[float(xy[i, 0]) for i in row] for row in rows], gap)
        tiles = [
            Tile(r, numbers[r][c], float(xy[i, 0]), float(xy[i, 1]))
            for r, row in enumerate(rows)
            for c, i in enumerate(row)
        ]
        return cls(tuple(tiles), face_side)

    def joined(self, other: Layout) -> Layout:
        """This layout with the tiles of ``other`` that lie beyond the reach of every tile of it."""
        reach = self.reach()
        mine = np.array([(t.x, t.y) for t in self.tiles])
        new = [
            (t.x, t.y) for t in other.tiles if not len(mine) or np.linalg.norm(mine - (t.x, t.y), axis=1).min() > reach
        ]
        return Layout.at([(t.x, t.y) for t in self.tiles] + new, self.face_side) if new else self

    @property
    def shape(self) -> tuple[int, int]:
        """Rows, and tiles in the widest row."""
        if not self.tiles:
            return 0, 0
        rows = np.bincount([t.row for t in self.tiles])
        return len(rows), int(rows.max())

    def reach(self) -> float:
        """How far from a tile's centre a face still counts as in that tile: half the spacing of
        neighbouring tiles (at least one face side when there is only one tile)."""
        if len(self.tiles) < 2:
            return self.face_side
        xy = np.array([(t.x, t.y) for t in self.tiles])
        distances = np.linalg.norm(xy[:, None] - xy[None], axis=2)
        np.fill_diagonal(distances, np.inf)
        return float(np.median(distances.min(axis=1))) / 2

    def assign(self, boxes: Sequence[Box]) -> list[Tile | None]:
        """The tile of each box, or None. Two boxes in one tile: the nearer to its centre keeps it."""
        return self.place(boxes)[0]

    def place(self, boxes: Sequence[Box]) -> tuple[list[Tile | None], list[bool]]:
        """The tile of each box (as :meth:`assign`), and for each whether it lies outside every tile
        (a box in a tile that another box took is inside, not outside)."""
        if not self.tiles or not len(boxes):
            return [None] * len(boxes), [bool(self.tiles) is False] * len(boxes)
        xy = np.array([(t.x, t.y) for t in self.tiles])
        points = np.array([centre(b) for b in boxes])
        distances = np.linalg.norm(points[:, None] - xy[None], axis=2)
        nearest = distances.argmin(axis=1)
        sides = np.array([max(b[2], b[3]) for b in boxes])
        # A box far larger than the gallery's faces (the cascade's false face across several tiles)
        # is in no tile.
        within = (distances[np.arange(len(boxes)), nearest] <= self.reach()) & (sides <= MAX_SIDE * self.face_side)
        result: list[Tile | None] = [None] * len(boxes)
        for i in np.argsort(distances[np.arange(len(boxes)), nearest], kind="stable"):
            if within[i] and self.tiles[nearest[i]] not in result:
                result[i] = self.tiles[nearest[i]]
        return result, [not w for w in within]

    def extends(self, other: Layout) -> bool:
        """Whether this layout is ``other`` with tiles added: each of ``other``'s tiles is here with
        its name, within a quarter of the tile spacing."""
        if len(self.tiles) <= len(other.tiles) or not other.tiles:
            return False
        tolerance = other.reach() / 2
        here = {(t.row, t.col): t for t in self.tiles}
        return all(
            (b.row, b.col) in here
            and abs(here[b.row, b.col].x - b.x) <= tolerance
            and abs(here[b.row, b.col].y - b.y) <= tolerance
            for b in other.tiles
        )

    def same_as(self, other: Layout) -> bool:
        """Whether ``other`` has the same tiles, each within a quarter of the tile spacing."""
        if len(self.tiles) != len(other.tiles) or not self.tiles:
            return False
        tolerance = self.reach() / 2
        return all(
            (a.row, a.col) == (b.row, b.col) and abs(a.x - b.x) <= tolerance and abs(a.y - b.y) <= tolerance
            for a, b in zip(self.tiles, other.tiles, strict=True)
        )


@dataclass(frozen=True)
class Reflow:
    """The gallery changed at ``time_s``: the shape before and after (rows, widest row)."""

    time_s: float
    before: tuple[int, int]
    after: tuple[int, int]


class SeatMap:
    """The seat of each face, frame after frame of one gallery. Not thread-safe."""

    def __init__(self) -> None:
        self.layout: Layout | None = None
        self.reflows: list[Reflow] = []
        self._recent: deque[list[Box]] = deque(maxlen=STRAY_FRAMES)
        self._misfit_frames = 0  # frames in a row that looked reflowed
        self._strays: deque[list[tuple[float, float]]] = deque(maxlen=STRAY_FRAMES)  # misfit centres per frame

    def assign(self, boxes: Sequence[Box], time_s: float) -> list[Tile | None]:
        """The tile of each of this frame's boxes (None for a box that fits no tile yet)."""
        self._recent.append(list(boxes))
        if self.layout is None:
            with_faces = [frame for frame in self._recent if frame]
            if len(with_faces) < LEARN_FRAMES:
                return [None] * len(boxes)
            self.layout = Layout.learn(with_faces[-LEARN_FRAMES:])
            return self.layout.assign(boxes)
        tiles, outside = self.layout.place(boxes)
        self._misfit_frames = self._misfit_frames + 1 if self._looks_reflowed(boxes, outside) else 0
        self._strays.append([centre(b) for b, out in zip(boxes, outside, strict=True) if out])
        reflowed = self._misfit_frames >= MISFIT_FRAMES
        if reflowed or self._stray_stays():
            # Learn from the frames since the change only: the older ones show the old layout.
            layout = Layout.learn(list(self._recent)[-MISFIT_FRAMES:])
            self._misfit_frames = 0
            self._strays.clear()
            joined = self.layout.joined(layout)
            if not reflowed and joined.extends(self.layout):
                # A face the layout lacked (missed while it was learnt, or a camera turned on)
                # in a gallery that has not moved: its tile joins, and every seat keeps its name.
                self.layout = joined
                tiles = self.layout.assign(boxes)
            elif not layout.same_as(self.layout):  # a stray that makes no tile of its own changes nothing
                self.reflows.append(Reflow(time_s, self.layout.shape, layout.shape))
                self.layout = layout
                tiles = self.layout.assign(boxes)
        return tiles

    def _looks_reflowed(self, boxes: Sequence[Box], outside: list[bool]) -> bool:
        if not boxes:
            return False  # an empty frame (everyone away, the shared window hidden) is no new layout
        misfits = sum(outside)
        empty = len(self.layout.tiles) - (len(boxes) - misfits)
        return misfits >= MISFIT_SHARE * len(boxes) or (
            empty >= EMPTY_SHARE * len(self.layout.tiles) and misfits >= empty / 2
        )

    def _stray_stays(self) -> bool:
        """Whether one face has fitted no tile, at about the same place, in each of the last frames."""
        if len(self._strays) < STRAY_FRAMES or not all(self._strays):
            return False
        reach = self.layout.reach() / 2
        latest = np.array(self._strays[-1])
        return any(
            all(np.min(np.linalg.norm(np.array(frame) - spot, axis=1)) <= reach for frame in self._strays)
            for spot in latest
        )
