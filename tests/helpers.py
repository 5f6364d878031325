"""What several test modules share: paths, a face factory, real frames, instrumented parts."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from fer.faces import Box, Face
from fer.labels import LABELS
from fer.recognition.detection import FaceDetector

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def shared_data(path: Path) -> Path:
    """``path``, a file of the shared data beside the checkout, for a test that needs it.

    A fresh clone has no ``../shared/data`` at all: the test skips, naming the file and where it
    belongs. Where the folder is there (CI, a working copy) a missing file fails the test.
    """
    if not SHARED.is_dir():
        pytest.skip(f"needs ../{path.relative_to(ROOT.parent)} beside the checkout (the project's shared data)")
    assert path.exists(), f"test data missing: {path} (../shared/data is there, but not this file)"
    return path


def make_face(
    box: Box = (0, 0, 10, 10), label: str = "neutral", score: float = 0.9, face_id: int | None = None
) -> Face:
    """A face whose ``label`` has probability ``score`` and the other emotions share the rest."""
    rest = (1 - score) / (len(LABELS) - 1)
    probabilities = np.array([score if name == label else rest for name in LABELS], np.float32)
    return Face(box, probabilities, face_id)


class CountingDetector(FaceDetector):
    """The real cascade, counting its whole-frame searches."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.searches = 0

    def detect(self, gray: np.ndarray) -> list[Box]:
        self.searches += 1
        return super().detect(gray)


class RecordingClassifier:
    """Wraps a classifier and keeps a copy of each call's input."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[np.ndarray] = []

    def __call__(self, crops: np.ndarray) -> np.ndarray:
        self.calls.append(np.array(crops, copy=True))
        return self.inner(crops)


def write_tar(path: Path, members: list[tuple[str, bytes]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def write_tree(root: Path, members: list[tuple[str, bytes]]) -> Path:
    for name, data in members:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def grid_boxes(
    rows: int, cols: int, width: int = 1280, height: int = 720, seed: int = 0, last_row: int | None = None
) -> list[tuple[int, int, int, int]]:
    """One face box per tile of a ``rows`` x ``cols`` gallery, a face of about 0.4 of the tile's
    height, each a little off its tile's centre; a short last row (``last_row`` tiles) is centred,
    as call apps centre it."""
    rng = np.random.default_rng(seed)
    tile_w, tile_h = width / cols, height / rows
    side = round(0.4 * tile_h)
    boxes = []
    for r in range(rows):
        n = cols if r < rows - 1 or last_row is None else last_row
        offset = (cols - n) * tile_w / 2
        for c in range(n):
            cx = offset + (c + 0.5) * tile_w + rng.uniform(-0.1, 0.1) * tile_w
            cy = (r + 0.5) * tile_h + rng.uniform(-0.1, 0.1) * tile_h
            boxes.append((round(cx - side / 2), round(cy - side / 2), side, side))
    return boxes
