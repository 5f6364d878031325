"""Seats in a video-call gallery: every face gets the tile it sits in, named like "B3".

A gallery lays its students out in rows of tiles. :class:`SeatMap` learns that layout from where
faces are found over a few frames (face centres cluster into rows, and within a row into
columns), names each tile by its row letter and column number, and then gives each frame's faces
the tile they are in. The layout stays put through blinks, turned heads and missed detections: a
tile whose face is missed is still a seat, and a face found where the layout lacked a tile adds
that tile and renames no other. When faces keep turning up where no tile is, or most
tiles stay empty while faces are found elsewhere, the gallery has reflowed (someone joined or
left): the layout is learnt again from the latest frames and every seat is named afresh, and
:attr:`SeatMap.reflows` says when. Faces in no gallery (a street, a stage) make the layout be
learnt again as they move, but no reflow is told of them (:meth:`SeatMap.reflowed`). One tile is
one seat: never two seats in a tile.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fer.classroom.layout import Layout, Tile, centre
from fer.classroom.tiles import TileGrid
from fer.faces import Box

LEARN_FRAMES = 3  # frames of face centres a layout is learnt from; a tile needs a face in most of them
MISFIT_FRAMES = 3  # frames in a row that must look reflowed before the layout is learnt again
STRAY_FRAMES = 5  # a face that fits no tile in this many frames in a row has a tile the layout lacks
MISFIT_SHARE = 0.25  # a frame looks reflowed when this share of its faces fits no tile...
EMPTY_SHARE = 0.5  # ...or this share of the tiles is empty while as many faces are found elsewhere
GALLERY_HOLD_S = 5.0  # a layout's change is named a reflow only once it has held this long


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
        self.reflows: list[Reflow] = []  # the gallery's changes: see reflowed()
        self.relearnt = 0  # times the layout was learnt afresh, told as a reflow or not: seats are new each time
        self.grid: TileGrid | None = None  # the gallery's tiles as the picture shows them, while it does
        self._new_grid: TileGrid | None = None  # a different grid seen once: taken when the next frame shows it too
        self._no_grid = 0  # frames in a row that showed no grid
        self._grid_seen = False  # whether the picture has shown the gallery's tiles: then only they tell reflows
        self.since = 0.0  # when the layout was learnt
        self._recent: deque[list[Box]] = deque(maxlen=STRAY_FRAMES)
        self._misfit_frames = 0  # frames in a row that looked reflowed
        self._strays: deque[list[tuple[float, float]]] = deque(maxlen=STRAY_FRAMES)  # misfit centres per frame

    def assign(self, boxes: Sequence[Box], time_s: float, grid: TileGrid | None = None) -> list[Tile | None]:
        """The tile of each of this frame's boxes (None for a box that fits no tile yet). ``grid``: the
        tiles the frame shows (:func:`fer.classroom.tiles.find_tiles`), where it shows a gallery."""
        self._no_grid = 0 if grid is not None else self._no_grid + 1
        if grid is not None or (self.grid is not None and self._no_grid < MISFIT_FRAMES):
            return self._assign_by_grid(boxes, time_s, grid or self.grid)
        self.grid = None  # the picture has shown no gallery for a while: seats from where faces are
        self._recent.append(list(boxes))
        if self.layout is None:
            with_faces = [frame for frame in self._recent if frame]
            if len(with_faces) < LEARN_FRAMES:
                return [None] * len(boxes)
            self.layout, self.since = Layout.learn(with_faces[-LEARN_FRAMES:]), time_s
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
                if self.reflowed(layout, time_s) and not self._grid_seen:  # once the picture showed tiles, it tells
                    self.reflows.append(Reflow(time_s, self.layout.shape, layout.shape))
                self.layout, self.since = layout, time_s
                self.relearnt += 1
                tiles = self.layout.assign(boxes)
        return tiles

    def _assign_by_grid(self, boxes: Sequence[Box], time_s: float, grid: TileGrid) -> list[Tile | None]:
        """Seats from the tiles the picture shows: every tile is a seat, a face's seat is the tile that
        holds its box, and a box across two tiles (or in none) has no seat. A new grid is taken when two
        frames in a row show it; it is a reflow, told with both grids' shapes, when it replaces a grid."""
        if self.grid is not None and grid.same_tiles(self.grid) and grid.count <= self.grid.count:
            grid = self.grid  # a tile too dark to tell from the background this frame: the grid holds
        elif self.grid is not None and grid.same_tiles(self.grid) and grid.count > self.grid.count:
            # A tile that was too dark to read before: the grid grows (its seats are named afresh, untold).
            self.grid, self.layout, self.since = grid, grid_layout(grid), time_s
            self.relearnt += 1
        elif self.grid is not None and [len(r) for r in grid.rows] == [len(r) for r in self.grid.rows]:
            self.grid, self.layout = grid, grid_layout(grid)  # the same tiles, moved (a resized window): same seats
        elif not grid.same_as(self.grid):
            if not grid.same_as(self._new_grid) and self.grid is not None:
                self._new_grid, grid = grid, self.grid  # one frame of it could be a glitch: the old grid holds
            else:
                if self.grid is not None:
                    self.reflows.append(Reflow(time_s, self.grid.shape, grid.shape))
                if self.layout is not None:
                    self.relearnt += 1
                self.grid, self._new_grid, self.since = grid, None, time_s
                self.layout = grid_layout(grid)
                self._grid_seen = True
                self._recent.clear()
        by_place = {(t.row, t.col): t for t in self.layout.tiles}
        return [by_place.get(grid.tile_of(box)) for box in boxes]

    def reflowed(self, layout: Layout, time_s: float) -> bool:
        """Whether the layout being replaced by ``layout`` at ``time_s`` is a gallery's reflow, to
        be told as one: the layout before held for :data:`GALLERY_HOLD_S` and both it and the new
        one look like a gallery (:meth:`Layout.looks_like_gallery`).

        Seats are learnt again either way. But faces that are not in a gallery (a street scene, a
        singer walking about) make the layout be learnt again and again as they move, and "the
        gallery changed" would be said of a gallery that never was. A call's gallery stays put
        between reflows and lays its tiles on a regular grid; moving faces seldom do either. The
        cost: a gallery that reflows again within :data:`GALLERY_HOLD_S` is relearnt untold.
        """
        return (
            time_s - self.since >= GALLERY_HOLD_S and self.layout.looks_like_gallery() and layout.looks_like_gallery()
        )

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


def grid_layout(grid: TileGrid) -> Layout:
    """The layout of a grid's tiles: each tile a seat named by its row and its place in the row."""
    tiles = tuple(
        Tile(r, c, x + w / 2, y + h / 2) for r, row in enumerate(grid.rows) for c, (x, y, w, h) in enumerate(row)
    )
    face_side = 0.45 * float(np.median([h for row in grid.rows for _, _, _, h in row]))
    return Layout(tiles, face_side)
