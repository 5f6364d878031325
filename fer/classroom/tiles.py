"""The gallery's tiles as the picture shows them: equal rectangles on a plain background, apart by gaps.

A call's gallery view draws every participant in a tile of one size, on a grid, with a few pixels of
the call's plain background between tiles and around the grid. :func:`find_tiles` reads that
structure from the pixels alone: the background is the frame's most common gray value; a row of the
frame that is background all along is a gap between rows of tiles, and within a row of tiles a column
that is background all down is a gap between tiles. What is found counts as a gallery only when its
tiles are of one size (a short last row, centred, included). Faces are then seated by the tile they
are in, whether or not the cascade finds a face in every tile, and a box that spans two tiles is no
face of either.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from fer.faces import Box

BACKGROUND_SHARE = 0.03  # the background must be at least this share of the frame's pixels
BACKGROUND_LEVELS = 8  # gray levels of JPEG or video-codec noise a background pixel may stray by
CANDIDATES = 3  # the commonest gray levels tried as the background
GAP_SHARE = 0.95  # a line of the frame is a gap when this share of it is background
MIN_TILE_PX = 40  # a tile is at least this many pixels wide and high
SIZE_TOLERANCE = 0.12  # tiles of one gallery are within this share of their median width and height
ASPECT = (0.9, 2.4)  # a tile's width over its height (16:9 is 1.78; phones and small tiles are squarer)
INSIDE = 0.8  # a face's box lies in a tile when this share of its area does


@dataclass(frozen=True)
class TileGrid:
    """The tiles of a gallery, row by row, left to right: each ``(x, y, w, h)`` in frame pixels."""

    rows: tuple[tuple[Box, ...], ...]

    @property
    def shape(self) -> tuple[int, int]:
        """Rows, and tiles in the widest row."""
        return len(self.rows), max(len(row) for row in self.rows)

    @property
    def count(self) -> int:
        return sum(len(row) for row in self.rows)

    def same_as(self, other: TileGrid | None, tolerance_px: int = 6) -> bool:
        """Whether ``other`` is this grid again (its tiles where these are, within ``tolerance_px``)."""
        if other is None or [len(r) for r in self.rows] != [len(r) for r in other.rows]:
            return False
        a = np.array([t for row in self.rows for t in row])
        b = np.array([t for row in other.rows for t in row])
        return bool(np.abs(a - b).max() <= tolerance_px)

    @property
    def tile_size(self) -> tuple[float, float]:
        """The median tile's width and height."""
        tiles = np.array([t for row in self.rows for t in row], float)
        return float(np.median(tiles[:, 2])), float(np.median(tiles[:, 3]))

    def same_tiles(self, other: TileGrid, tolerance: float = 0.03) -> bool:
        """Whether ``other`` has tiles of this grid's size and as many rows: the same gallery read again,
        with a tile more or less (a tile as dark as the background, a participant more in the last row)."""
        (w, h), (ow, oh) = self.tile_size, other.tile_size
        return len(self.rows) == len(other.rows) and abs(w - ow) <= tolerance * w and abs(h - oh) <= tolerance * h

    @cached_property
    def _row_spans(self) -> tuple[tuple[int, int], ...]:
        """Each row's top and bottom: the rows a box cannot overlap are skipped (a frame asks per face)."""
        return tuple((min(t[1] for t in row), max(t[1] + t[3] for t in row)) for row in self.rows)

    def tile_of(self, box: Box) -> tuple[int, int] | None:
        """``(row, column)`` of the tile that holds ``box``; None for a box in no tile or across tiles."""
        x, y, w, h = box
        for r, row in enumerate(self.rows):
            top, bottom = self._row_spans[r]
            if w * h > 0 and (bottom <= y or y + h <= top):  # no overlap with any tile of the row
                continue
            for c, (tx, ty, tw, th) in enumerate(row):
                overlap_w = max(0, min(x + w, tx + tw) - max(x, tx))
                overlap_h = max(0, min(y + h, ty + th) - max(y, ty))
                if overlap_w * overlap_h >= INSIDE * w * h:
                    return r, c
        return None


def _runs(is_gap: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of non-gap positions at least ``min_length`` long."""
    edges = np.diff(np.concatenate(([1], is_gap.astype(np.int8), [1])))
    starts, ends = np.nonzero(edges == -1)[0], np.nonzero(edges == 1)[0]
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= min_length]


def _one_size(values: list[int]) -> bool:
    median = float(np.median(values))
    return all(abs(v - median) <= SIZE_TOLERANCE * median for v in values)


def find_tiles(gray: np.ndarray) -> TileGrid | None:
    """The gallery's tiles in a gray frame, or None where the picture is not a gallery of two or more
    tiles of one size on a plain background (a shared slide, one speaker, a photo)."""
    small = cv2.medianBlur(gray, 3)
    # OpenCV's histogram and range test: a few times quicker than numpy's on a whole frame, read every frame.
    counts = cv2.calcHist([small], [0], None, [256], [0, 256]).ravel().astype(np.int64)
    # The background is one of the commonest gray levels (a camera-off tile's gray may be commoner still):
    # the one whose gaps make a gallery.
    for level in np.argsort(-counts)[:CANDIDATES]:
        if (
            counts[max(0, level - BACKGROUND_LEVELS) : level + BACKGROUND_LEVELS + 1].sum()
            < BACKGROUND_SHARE * small.size
        ):
            break
        grid = _grid(cv2.inRange(small, max(0, int(level) - BACKGROUND_LEVELS), int(level) + BACKGROUND_LEVELS))
        if grid is not None:
            return grid
    return None


def _share(near: np.ndarray, axis: int) -> np.ndarray:
    """The share of background pixels along each row (``axis`` 1) or column (``axis`` 0) of 0/255 ``near``."""
    sums = cv2.reduce(near, axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    return sums / (255 * near.shape[axis])


def _grid(near: np.ndarray) -> TileGrid | None:
    """The tiles that background pixels ``near`` (255, else 0) frame, if they are a gallery's."""
    bands = _runs(_share(near, 1) >= GAP_SHARE, MIN_TILE_PX)
    profiles = [_share(near[top:bottom], 0) >= GAP_SHARE for top, bottom in bands]
    widths = [e - s for profile in profiles for s, e in _runs(profile, MIN_TILE_PX)]
    if len(widths) < 2:
        return None
    width = float(np.median(widths))
    rows = []
    for (top, bottom), profile in zip(bands, profiles, strict=True):
        tiles = [(left, top, right - left, bottom - top) for left, right in _joined(_runs(profile, 2), width)]
        if tiles:
            rows.append(tuple(tiles))
    tiles = [t for row in rows for t in row]
    if len(tiles) < 2 or not _one_size([t[2] for t in tiles]) or not _one_size([t[3] for t in tiles]):
        return None
    if not all(ASPECT[0] <= w / h <= ASPECT[1] for _, _, w, h in tiles):
        return None
    return TileGrid(tuple(rows))


def _joined(runs: list[tuple[int, int]], width: float) -> list[tuple[int, int]]:
    """Runs of a row's content joined into tiles of about ``width``: a tile whose picture has a dark band
    as dark as the background, top to bottom, is one tile, not two pieces. Pieces that make no tile of
    that width are dropped."""
    tiles, i = [], 0
    while i < len(runs):
        start, end, j = runs[i][0], runs[i][1], i
        while j + 1 < len(runs) and runs[j + 1][1] - start <= width * (1 + SIZE_TOLERANCE):
            j += 1
            end = runs[j][1]
        if abs(end - start - width) <= SIZE_TOLERANCE * width:
            tiles.append((start, end))
        i = j + 1
    return tiles
