"""Measure where OpenCV's frontal-face Haar cascade puts its box on FER2013 faces.

FER2013 faces are already cropped; the app crops live faces from the cascade's box. To crop
live faces the way the training faces were cropped, this upsamples FER2013 faces, pads them
(so the box is never clipped), runs the cascade and reports the box as a fraction of the
original 48x48 image. A box side near 1.0 and an offset near 0 mean "crop exactly the box".

    python -m scripts.training.crop_convention --faces 1500
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from fer.training.data import load_fer2013
from scripts.training.common import DEFAULT_DATA

UPSCALE = 8  # 48 px -> 384 px, well inside the cascade's working range
PAD = 96


def box_fractions(faces: np.ndarray) -> np.ndarray:
    """``(M, 4)`` x, y, w, h of the single detected box per face, as fractions of the face side."""
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    side = 48 * UPSCALE
    rows = []
    for face in faces:
        big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        canvas = cv2.copyMakeBorder(big, PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
        boxes = cascade.detectMultiScale(canvas, scaleFactor=1.1, minNeighbors=5, minSize=(60, 60))
        if len(boxes) == 1:
            x, y, w, h = boxes[0]
            rows.append(((x - PAD) / side, (y - PAD) / side, w / side, h / side))
    return np.array(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="PublicTest")
    parser.add_argument("--faces", type=int, default=1500)
    args = parser.parse_args(argv)
    faces = load_fer2013(args.data).split(args.split).faces[: args.faces]
    fractions = box_fractions(faces)
    print(f"one box found on {len(fractions)} of {len(faces)} {args.split} faces")
    for name, q in (("p25", 25), ("median", 50), ("p75", 75)):
        x, y, w, h = np.percentile(fractions, q, axis=0)
        print(f"{name:6s}  box x {x:+.3f}  y {y:+.3f}  side {w:.3f}  (fractions of the 48x48 face)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
