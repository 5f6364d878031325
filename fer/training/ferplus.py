"""FER+ crowd votes: ten taggers per FER2013 face, as soft targets and majority labels.

The votes file (``ferplus_votes.csv`` beside the image archive) has one line per archive member:
``path, usage, fer2013_row``, ten vote counts ``neutral, happiness, surprise, sadness, anger,
disgust, fear, contempt, unknown, NF`` and ``matched``. Of the ten columns, seven map onto
:data:`fer.labels.LABELS`; contempt, unknown and NF (not a face) have no class of their own.

Two views of the votes, each with a stated rule:

* :func:`soft_targets` (training): single votes are dropped as outliers, then the votes for the
  seven classes are normalised to sum to 1. A face keeps no target (its row is all zero and its
  mask False) when no class vote is left, or when unknown + NF outvote every class.
* :func:`majority_labels` (evaluation, the field's FER+ "majority" accuracy): the plurality of the
  ten columns; faces whose plurality is contempt, unknown or NF, or tied, get ``-1`` (left out).
* :func:`repository_majority_labels` (evaluation, the rule of the FER+ authors' own code): single
  votes dropped, then a face is kept only when its top column has more than half of the votes left
  and is not unknown or NF; contempt faces are kept as :data:`CONTEMPT`, a class no 7-class model
  predicts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fer.labels import LABELS, SPLITS

VOTE_COLUMNS: tuple[str, ...] = (
    "neutral",
    "happiness",
    "surprise",
    "sadness",
    "anger",
    "disgust",
    "fear",
    "contempt",
    "unknown",
    "NF",
)
#: For each of :data:`LABELS`, the votes column that counts for it.
CLASS_COLUMNS: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
_CLASS_INDEX = [VOTE_COLUMNS.index(c) for c in CLASS_COLUMNS]
_NO_CLASS_INDEX = [VOTE_COLUMNS.index(c) for c in ("unknown", "NF")]
CONTEMPT = len(LABELS)  # repository_majority_labels' label of a contempt face
HEADER: tuple[str, ...] = ("path", "usage", "fer2013_row", *VOTE_COLUMNS, "matched")


class VotesError(ValueError):
    """A votes file that cannot be read; the message names the file and the bad line."""


@dataclass(frozen=True)
class Votes:
    """Vote counts ``(N, 10)`` in :data:`VOTE_COLUMNS` order for the archive members ``paths``."""

    paths: np.ndarray
    splits: np.ndarray
    counts: np.ndarray
    matched: np.ndarray

    def aligned(self, names: np.ndarray) -> np.ndarray:
        """Counts ``(len(names), 10)`` in the order of ``names``; every name must have a line."""
        index = {str(p): i for i, p in enumerate(self.paths)}
        missing = [str(n) for n in names if str(n) not in index]
        if missing:
            raise VotesError(f"{len(missing)} face(s) have no votes line, e.g. {missing[0]}")
        return self.counts[[index[n] for n in names]]


def load_votes(path: str | Path) -> Votes:
    """Read ``ferplus_votes.csv``; raises :class:`VotesError` naming the file and the first bad line."""
    path = Path(path)
    if not path.is_file():
        raise VotesError(f"{path}: no such file")
    paths, splits, counts, matched = [], [], [], []
    try:
        with open(path, encoding="ascii", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(c.strip() for c in header) != HEADER:
                raise VotesError(f"{path}: line 1: expected the header {','.join(HEADER)}")
            seen: set[str] = set()
            for row in reader:
                where = f"{path}: line {reader.line_num}"
                if len(row) != len(HEADER):
                    raise VotesError(f"{where}: {len(row)} fields, expected {len(HEADER)}")
                if row[1] not in SPLITS:
                    raise VotesError(f"{where}: usage {row[1]!r} is not one of {', '.join(SPLITS)}")
                try:
                    votes = [int(v) for v in row[3:13]]
                except ValueError:
                    raise VotesError(f"{where}: vote counts must be integers") from None
                if min(votes) < 0 or sum(votes) == 0:
                    raise VotesError(f"{where}: vote counts must be non-negative with at least one vote")
                if row[13] not in ("yes", "no"):
                    raise VotesError(f"{where}: matched must be 'yes' or 'no', not {row[13]!r}")
                if row[0] in seen:
                    raise VotesError(f"{where}: {row[0]} has a line already")
                seen.add(row[0])
                paths.append(row[0])
                splits.append(row[1])
                counts.append(votes)
                matched.append(row[13] == "yes")
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise VotesError(f"{path}: cannot be read as a votes CSV ({err})") from err
    if not paths:
        raise VotesError(f"{path}: no votes (header only)")
    return Votes(np.asarray(paths), np.asarray(splits), np.asarray(counts, np.int64), np.asarray(matched))


def soft_targets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float32 targets ``(N, 7)`` in LABELS order and a bool mask of the faces that have one."""
    counts = np.asarray(counts, np.float64)
    kept = np.where(counts > 1, counts, 0.0)  # a lone vote is an outlier
    classes = kept[:, _CLASS_INDEX]
    total = classes.sum(axis=1)
    no_class = kept[:, _NO_CLASS_INDEX].sum(axis=1)
    mask = (total > 0) & (no_class < classes.max(axis=1, initial=0.0) + 1e-9)
    targets = np.zeros_like(classes)
    targets[mask] = classes[mask] / total[mask, None]
    return targets.astype(np.float32), mask


def majority_labels(counts: np.ndarray) -> np.ndarray:
    """Int64 labels ``(N,)`` in LABELS order; ``-1`` where the plurality is no class or tied."""
    counts = np.asarray(counts)
    top = counts.max(axis=1)
    tied = (counts == top[:, None]).sum(axis=1) > 1
    winner = counts.argmax(axis=1)
    to_label = np.full(len(VOTE_COLUMNS), -1, np.int64)
    to_label[_CLASS_INDEX] = np.arange(len(LABELS))
    labels = to_label[winner]
    labels[tied] = -1
    return labels


def repository_majority_labels(counts: np.ndarray) -> np.ndarray:
    """Int64 labels ``(N,)`` by the FER+ repository's "majority" rule: in LABELS order, :data:`CONTEMPT`
    for contempt, ``-1`` (left out) where no column has more than half of the votes left once single
    votes are dropped, or where that column is unknown or NF."""
    counts = np.where(np.asarray(counts) > 1, counts, 0)
    top, winner = counts.max(axis=1), counts.argmax(axis=1)
    to_label = np.full(len(VOTE_COLUMNS), -1, np.int64)
    to_label[_CLASS_INDEX] = np.arange(len(LABELS))
    to_label[VOTE_COLUMNS.index("contempt")] = CONTEMPT
    labels = to_label[winner]
    labels[~(top > counts.sum(axis=1) / 2)] = -1
    return labels
