"""A gallery's layout: its tiles on rows and columns, learnt from where faces are, named like "B3".

Face centres cluster into rows, and within a row into columns; each tile is named by its row letter
and column number (:class:`Layout`, :class:`Tile`). :mod:`fer.classroom.seats` keeps a layout over a
lesson's frames and tells when it changes.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from fer.faces import Box

MAX_SIDE = 2.0  # a box this many times the gallery's face side, or larger, is no face of a tile
GAP = 0.75  # centres further apart than this many face sides start a new row or column
MIN_GALLERY_TILES = 4  # fewer faces than a 2x2 gallery make a grid too often by chance
GRID_TOLERANCE = 0.3  # a gallery's tile centres lie within this share of the tile spacing of a regular grid


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


def _straight(tiles: Sequence[Tile], tolerance: float) -> bool:
    """Whether the tiles of each column lie within ``2 * tolerance`` of each other across."""
    xs: dict[int, list[float]] = {}
    for tile in tiles:
        xs.setdefault(tile.col, []).append(tile.x)
    return all(max(x) - min(x) <= 2 * tolerance for x in xs.values())


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

    def looks_like_gallery(self) -> bool:
        """Whether the tiles lie as a call lays out its gallery: :data:`MIN_GALLERY_TILES` or more,
        in level rows evenly spaced down, evenly spaced across (a tile missing from a row keeps its
        column's place), in straight columns, a short last row either in those columns or centred
        under the others. Faces in no gallery (a street, a stage) lie so only by chance."""
        if len(self.tiles) < MIN_GALLERY_TILES:
            return False
        rows = [[t for t in self.tiles if t.row == r] for r in range(self.shape[0])]
        across = [(b.x - a.x, b.col - a.col) for row in rows for a, b in pairwise(row)]
        levels = [float(np.mean([t.y for t in row])) for row in rows]
        down = [b - a for a, b in pairwise(levels)]
        pitch_x = float(np.median([gap / cols for gap, cols in across])) if across else None
        pitch_y = float(np.median(down)) if down else None
        tol_x, tol_y = GRID_TOLERANCE * (pitch_x or pitch_y), GRID_TOLERANCE * (pitch_y or pitch_x)
        if any(abs(t.y - levels[t.row]) > tol_y for t in self.tiles):
            return False
        if any(abs(gap - cols * pitch_x) > tol_x for gap, cols in across):
            return False
        if any(abs(gap - max(1, round(gap / pitch_y)) * pitch_y) > tol_y for gap in down):
            return False  # (a whole row of cameras off leaves a gap of two rows)
        if _straight(self.tiles, tol_x):
            return True
        last = rows[-1] if len(rows[-1]) < max(len(row) for row in rows) else []
        full = [t for t in self.tiles if t not in last]
        middle = (min(t.x for t in full) + max(t.x for t in full)) / 2
        return bool(last) and _straight(full, tol_x) and abs((last[0].x + last[-1].x) / 2 - middle) <= tol_x

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
