"""Read FER2013 in the two forms it is distributed in.

* the original Kaggle CSV (``emotion,pixels,Usage``; 2,304 space-separated pixels per row),
  plain or gzipped;
* the image-folder release (``train/<class>/*.jpg``, ``test/<class>/*.jpg``, the split being the
  file-name prefix ``Training``/``PublicTest``/``PrivateTest``), as a directory or a
  ``.tar``/``.tar.gz`` archive.

Both give a :class:`FerData`: uint8 faces ``(N, 48, 48)``, int64 labels in
:data:`fer.labels.LABELS` order and the split of each face. Malformed input raises
:class:`DataError` naming the file and the first bad line or member.
"""

from __future__ import annotations

import csv
import gzip
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from fer.labels import LABELS, SPLITS

SIDE = 48
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class DataError(ValueError):
    """FER2013 input that cannot be read; the message names the file and the bad line/member."""


@dataclass(frozen=True)
class FerData:
    """Faces ``(N, 48, 48)`` uint8, labels ``(N,)`` int64 (index into LABELS), splits ``(N,)`` str.

    ``names`` says where each face came from: its member path in an image release
    (``train/angry/Training_1.jpg``, the key of the FER+ votes file) or ``row:<n>`` in a CSV.
    """

    faces: np.ndarray
    labels: np.ndarray
    splits: np.ndarray
    names: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def split(self, name: str) -> FerData:
        """The faces of one split (``Training``, ``PublicTest`` or ``PrivateTest``)."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; expected one of {SPLITS}")
        return self.select(self.splits == name)

    def select(self, keep: np.ndarray | slice) -> FerData:
        """The faces picked by a boolean mask, an index array or a slice."""
        return FerData(self.faces[keep], self.labels[keep], self.splits[keep], self.names[keep])

    def counts(self) -> dict[str, int]:
        """Number of faces per label."""
        counts = np.bincount(self.labels, minlength=len(LABELS))
        return {label: int(n) for label, n in zip(LABELS, counts, strict=True)}


def load_fer2013(path: str | Path) -> FerData:
    """Load FER2013 from a CSV (``.csv``/``.csv.gz``), an image folder or a ``.tar``/``.tar.gz``."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    name = path.name.lower()
    if path.is_dir():
        return _from_members(path, _iter_directory(path))
    if name.endswith((".csv", ".csv.gz")):
        return load_csv(path)
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        return load_image_archive(path)
    raise DataError(f"{path}: not a FER2013 CSV, image folder or .tar/.tar.gz archive")


def load_csv(path: str | Path) -> FerData:
    """Load the Kaggle ``fer2013.csv`` (plain or gzipped)."""
    path = Path(path)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    faces, labels, splits = [], [], []
    try:
        with opener(path, "rt", encoding="ascii", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{path}: empty file, expected the header 'emotion,pixels,Usage'")
            columns = [c.strip() for c in header]
            if columns[:2] != ["emotion", "pixels"]:
                raise DataError(f"{path}: line 1: expected the header 'emotion,pixels,Usage', got {header!r}")
            has_usage = len(columns) > 2 and columns[2] == "Usage"
            for row in reader:
                line = reader.line_num
                face, label, split = _parse_row(row, has_usage, f"{path}: line {line}")
                faces.append(face)
                labels.append(label)
                splits.append(split)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, zlib.error) as err:
        raise DataError(f"{path}: cannot be read as a FER2013 CSV ({err})") from err
    if not faces:
        raise DataError(f"{path}: no faces (header only)")
    names = np.asarray([f"row:{i}" for i in range(len(faces))])
    return FerData(np.stack(faces), np.asarray(labels, np.int64), np.asarray(splits), names)


def _parse_row(row: list[str], has_usage: bool, where: str) -> tuple[np.ndarray, int, str]:
    if len(row) < 2:
        raise DataError(f"{where}: expected 'emotion,pixels[,Usage]', got {len(row)} field(s)")
    try:
        label = int(row[0])
    except ValueError:
        raise DataError(f"{where}: emotion {row[0]!r} is not an integer 0..6") from None
    if not 0 <= label < len(LABELS):
        raise DataError(f"{where}: emotion {label} is outside 0..6")
    values = row[1].split()
    if len(values) != SIDE * SIDE:
        raise DataError(f"{where}: {len(values)} pixels, expected {SIDE * SIDE}")
    try:
        pixels = np.array(values, dtype=np.int64)
    except ValueError:
        raise DataError(f"{where}: pixels must be integers 0..255") from None
    if pixels.min() < 0 or pixels.max() > 255:
        raise DataError(f"{where}: pixels must be integers 0..255")
    split = row[2].strip() if has_usage and len(row) > 2 else "Training"
    if split not in SPLITS:
        raise DataError(f"{where}: Usage {split!r} is not one of {', '.join(SPLITS)}")
    return pixels.astype(np.uint8).reshape(SIDE, SIDE), label, split


def load_image_archive(path: str | Path) -> FerData:
    """Load the image-folder release packed as ``.tar`` or ``.tar.gz``."""
    path = Path(path)
    try:
        with tarfile.open(path, "r:*") as archive:
            return _from_members(path, _iter_archive(archive))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path}: cannot be read as a tar archive ({err})") from err


def _iter_archive(archive: tarfile.TarFile) -> Iterator[tuple[str, bytes]]:
    for member in archive:
        if not member.isfile():
            continue
        handle = archive.extractfile(member)
        if handle is not None:
            yield member.name, handle.read()


def _iter_directory(root: Path) -> Iterator[tuple[str, bytes]]:
    for file in sorted(root.rglob("*")):
        if file.is_file():
            yield file.relative_to(root).as_posix(), file.read_bytes()


def _from_members(source: Path, members: Iterator[tuple[str, bytes]]) -> FerData:
    """Decode ``(relative path, bytes)`` members laid out as ``<part>/<class>/<Split>_<id>.<ext>``."""
    import cv2

    faces, labels, splits, names = [], [], [], []
    for name, data in members:
        parts = PurePosixPath(name).parts
        if parts and parts[0] == ".":
            parts = parts[1:]
        if not parts or parts[-1].startswith(".") or not parts[-1].lower().endswith(IMAGE_SUFFIXES):
            continue  # README files, .DS_Store and the like
        where = f"{source}: {name}"
        if len(parts) < 2:
            raise DataError(f"{where}: expected <train|test>/<class>/<Split>_<id>.jpg")
        folder = parts[-2].lower()
        if folder not in LABELS:
            raise DataError(f"{where}: unknown class folder {parts[-2]!r}; expected one of {', '.join(LABELS)}")
        split = parts[-1].split("_", 1)[0]
        if split not in SPLITS:
            raise DataError(f"{where}: file name must start with one of {', '.join(SPLITS)}")
        gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            raise DataError(f"{where}: not a readable image")
        if gray.shape != (SIDE, SIDE):
            raise DataError(f"{where}: image is {gray.shape[1]}x{gray.shape[0]}, expected {SIDE}x{SIDE}")
        faces.append(gray)
        labels.append(LABELS.index(folder))
        splits.append(split)
        names.append(PurePosixPath(*parts).as_posix())
    if not faces:
        raise DataError(f"{source}: no FER2013 images found (expected <train|test>/<class>/<Split>_<id>.jpg)")
    return FerData(np.stack(faces), np.asarray(labels, np.int64), np.asarray(splits), np.asarray(names))
