"""Build a video-call gallery of real faces and count the faces the analyzer finds in it.

The gallery is a grid of tiles (default 5x5 at 1280x720, like a 25-person call); each tile
shows one FER2013 PrivateTest face, taken at evenly spaced positions of the split (so all
seven emotions appear), enlarged to ``--face-px`` and set on a blurred copy of itself, the way
call apps blur a background. Same arguments, same image.

    python -m scripts.gallery --out gallery.png
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from fer.data import load_fer2013
from scripts.common import DEFAULT_DATA


def gallery_tile(face: np.ndarray, width: int, height: int, face_px: int) -> np.ndarray:
    """One BGR tile: the gray face, enlarged to ``face_px``, centred on a blurred backdrop."""
    side = max(width, height)
    backdrop = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    top, left = (side - height) // 2, (side - width) // 2
    tile = cv2.GaussianBlur(backdrop[top : top + height, left : left + width], (0, 0), 12)
    big = cv2.resize(face, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
    y, x = (height - face_px) // 2, (width - face_px) // 2
    tile[y : y + face_px, x : x + face_px] = big
    return cv2.cvtColor(tile, cv2.COLOR_GRAY2BGR)


def frontal_picks(faces: np.ndarray, rows: int, cols: int, width: int, height: int, face_px: int) -> list[int]:
    """Indices of ``rows * cols`` faces, each the first at or after an evenly spaced position of
    ``faces`` that the default cascade finds in the gallery: a gallery whose faces are all findable,
    for timing the path with every face in it (profile and half-turned faces are passed over)."""
    from fer.detection import FaceDetector

    detector = FaceDetector()
    picks = [int(i) for i in np.linspace(0, len(faces) - 1, rows * cols).round()]
    while True:
        gallery = build_gallery(faces, rows, cols, width, height, face_px, picks=picks)
        found = {tile_of(box, rows, cols, width, height) for box in detector.detect(gallery[:, :, 0])}
        missing = [n for n in range(rows * cols) if divmod(n, cols) not in found]
        if not missing:
            return picks
        for n in missing:
            picks[n] = (picks[n] + 1) % len(faces)


def build_gallery(
    faces: np.ndarray,
    rows: int = 5,
    cols: int = 5,
    width: int = 1280,
    height: int = 720,
    face_px: int = 96,
    frontal: bool = False,
    picks: list[int] | None = None,
) -> np.ndarray:
    """An HxWx3 BGR gallery of ``rows * cols`` faces of ``faces`` (N, 48, 48): ``picks``, else
    picked evenly, or with ``frontal`` only faces the cascade finds (see :func:`frontal_picks`)."""
    count = rows * cols
    tile_w, tile_h = width // cols, height // rows
    if picks is None:
        picks = (
            frontal_picks(faces, rows, cols, width, height, face_px)
            if frontal
            else np.linspace(0, len(faces) - 1, count).round().astype(int)
        )
    gallery = np.zeros((height, width, 3), np.uint8)
    for n, index in enumerate(picks):
        r, c = divmod(n, cols)
        gallery[r * tile_h : (r + 1) * tile_h, c * tile_w : (c + 1) * tile_w] = gallery_tile(
            faces[index], tile_w, tile_h, face_px
        )
    return gallery


def tile_of(box: tuple[int, int, int, int], rows: int, cols: int, width: int, height: int) -> tuple[int, int] | None:
    """``(row, col)`` of the tile that ``box`` lies within, or None if it straddles tiles."""
    tile_w, tile_h = width // cols, height // rows
    x, y, w, h = box
    row, col = y // tile_h, x // tile_w
    return (row, col) if (x + w - 1) // tile_w == col and (y + h - 1) // tile_h == row else None


def score_gallery(faces, rows: int, cols: int, width: int, height: int) -> tuple[int, int]:
    """(tiles whose face was found, detections that are not a tile's face).

    A detection is a tile's face when its box lies within one tile; one per tile counts.
    """
    tiles = set()
    extra = 0
    for face in faces:
        tile = tile_of(face.box, rows, cols, width, height)
        if tile is not None and tile not in tiles:
            tiles.add(tile)
        else:
            extra += 1
    return len(tiles), extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rows", type=int, default=5)
    parser.add_argument("--cols", type=int, default=5)
    parser.add_argument("--size", default="1280x720", help="gallery size WxH")
    parser.add_argument("--face-px", type=int, default=96, help="face size in the gallery, pixels")
    parser.add_argument(
        "--frontal",
        action="store_true",
        help="only faces the cascade finds on their own tile (the benchmark's gallery)",
    )
    parser.add_argument("--out", type=Path, help="also save the annotated gallery here (PNG)")
    args = parser.parse_args(argv)
    from fer import AnalyzerConfig, DetectorConfig, FrameAnalyzer
    from fer.overlay import draw_faces

    width, height = (int(v) for v in args.size.split("x"))
    faces = load_fer2013(args.data).split("PrivateTest").faces
    gallery = build_gallery(faces, args.rows, args.cols, width, height, args.face_px, args.frontal)
    print(
        f"{args.rows * args.cols} real faces (FER2013 PrivateTest), {args.face_px} px each, "
        f"in a {width}x{height} gallery"
    )
    for name, detector in (
        ("default", DetectorConfig()),
        ("sensitivity high", DetectorConfig(scale_factor=1.05, min_neighbors=3)),
    ):
        analyzer = FrameAnalyzer.from_model(config=AnalyzerConfig(detector=detector))
        analyzer.analyze(gallery)
        start = time.perf_counter()
        found = analyzer.analyze(gallery)
        ms = (time.perf_counter() - start) * 1000
        hits, extra = score_gallery(found, args.rows, args.cols, width, height)
        print(
            f"{name:17s} faces found: {hits:2d} of {args.rows * args.cols}, other detections: {extra}  "
            f"({ms:.0f} ms per frame)"
        )
        if args.out and name == "default":
            cv2.imwrite(str(args.out), draw_faces(gallery.copy(), found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
