"""Count the faces the analyzer finds in a video-call gallery of 25 real FER2013 faces.

The gallery (``tests/fixtures/galleries.py``, :func:`build_gallery`) is a grid of tiles (default
5x5 at 1280x720, like a 25-person call), each an FER2013 PrivateTest face taken at evenly spaced
positions of the split (so all seven emotions appear), or with ``--frontal`` only faces the cascade
finds (the benchmark's gallery). Prints the faces found with the default settings and with
Sensitivity High, and the time per frame.

    python -m scripts.bench.gallery --out gallery.png
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2

from fer.training.data import load_fer2013
from scripts.training.common import DEFAULT_DATA
from tests.fixtures.galleries import build_gallery, score_gallery


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
    from fer.config import HIGH_SENSITIVITY
    from fer.video.overlay import draw_faces

    width, height = (int(v) for v in args.size.split("x"))
    faces = load_fer2013(args.data).split("PrivateTest").faces
    gallery = build_gallery(faces, args.rows, args.cols, width, height, args.face_px, args.frontal)
    print(
        f"{args.rows * args.cols} real faces (FER2013 PrivateTest), {args.face_px} px each, "
        f"in a {width}x{height} gallery"
    )
    for name, detector in (
        ("default", DetectorConfig()),
        ("sensitivity high", HIGH_SENSITIVITY),
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
