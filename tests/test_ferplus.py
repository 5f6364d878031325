"""FER+ votes: the loader's checks, the two rules (soft targets, majority labels) and the real votes file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import SHARED, shared_data

from fer.labels import LABELS, SPLITS
from fer.training.ferplus import (
    CONTEMPT,
    HEADER,
    VOTE_COLUMNS,
    VotesError,
    load_votes,
    majority_labels,
    repository_majority_labels,
    soft_targets,
)

VOTES_CSV = SHARED / "fer2013" / "ferplus_votes.csv"
# The FER+ column that stands for each class, written out here rather than taken from fer.training.ferplus.
CLASS_OF_COLUMN = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happiness": "happy",
    "sadness": "sad",
    "surprise": "surprise",
    "neutral": "neutral",
}
GOOD = "train/angry/Training_1.jpg,Training,0,0,0,0,0,10,0,0,0,0,0,yes"


def counts(**votes: int) -> np.ndarray:
    """One face's ``(10,)`` vote counts from column names, e.g. ``counts(neutral=6, happiness=4)``."""
    return np.array([votes.get(c, 0) for c in VOTE_COLUMNS])


def write_votes(path: Path, *lines: str, header: str = ",".join(HEADER)) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="ascii")
    return path


@pytest.mark.parametrize(
    "lines, header, message",
    [
        ((GOOD,), "path,usage,fer2013_row", "line 1: expected the header"),
        ((GOOD, GOOD.rsplit(",", 1)[0]), None, "line 3: 13 fields, expected 14"),
        ((GOOD.replace(",10,", ",ten,"),), None, "line 2: vote counts must be integers"),
        ((GOOD.replace(",Training,", ",Validation,"),), None, "line 2: usage 'Validation' is not one of"),
        ((GOOD.replace(",10,", ",-1,"),), None, "line 2: vote counts must be non-negative"),
        ((GOOD.replace(",10,", ",0,"),), None, "line 2: vote counts must be non-negative with at least one vote"),
        ((GOOD.replace(",yes", ",maybe"),), None, "line 2: matched must be 'yes' or 'no'"),
        ((), None, "no votes (header only)"),
        (
            (GOOD, GOOD.replace(",0,0,0,0,0,10,", ",0,0,0,0,0,9,")),
            None,
            "line 3: train/angry/Training_1.jpg has a line",
        ),
    ],
)
def test_malformed_votes_name_the_file_and_line(tmp_path, lines, header, message):
    path = write_votes(tmp_path / "votes.csv", *lines, header=header or ",".join(HEADER))
    with pytest.raises(VotesError) as caught:
        load_votes(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_missing_votes_file(tmp_path):
    with pytest.raises(VotesError, match=r"nowhere\.csv: no such file"):
        load_votes(tmp_path / "nowhere.csv")


def test_a_face_without_a_votes_line_is_an_error(tmp_path):
    votes = load_votes(write_votes(tmp_path / "votes.csv", GOOD))
    assert votes.aligned(np.array(["train/angry/Training_1.jpg"])).tolist() == [counts(anger=10).tolist()]
    with pytest.raises(VotesError, match=r"1 face\(s\) have no votes line, e\.g\. .*test/happy/PublicTest_9\.jpg"):
        votes.aligned(np.array(["train/angry/Training_1.jpg", "test/happy/PublicTest_9.jpg"]))


def test_soft_targets_rule_on_exact_cases():
    faces = np.stack(
        [
            counts(neutral=6, happiness=4),
            counts(neutral=8, happiness=1, unknown=1),  # lone votes are outliers: dropped
            counts(contempt=8, neutral=2),  # contempt is no class: the class votes left make the target
            counts(neutral=2, unknown=8),  # the crowd could not tell
            counts(NF=10),  # not a face
            counts(
                neutral=1, happiness=1, surprise=1, sadness=1, anger=1, disgust=1, fear=1, contempt=1, unknown=1, NF=1
            ),  # nothing but lone votes
        ]
    )
    targets, rated = soft_targets(faces)
    assert targets.dtype == np.float32 and targets.shape == (6, len(LABELS))
    assert rated.tolist() == [True, True, True, False, False, False]
    expected = np.zeros((3, len(LABELS)))
    expected[0, LABELS.index("neutral")], expected[0, LABELS.index("happy")] = 0.6, 0.4
    expected[1, LABELS.index("neutral")] = 1.0
    expected[2, LABELS.index("neutral")] = 1.0
    np.testing.assert_allclose(targets[:3], expected, atol=1e-6)
    assert not targets[3:].any()


def test_majority_labels_map_each_column_and_leave_out_ties_and_non_classes():
    for column, label in CLASS_OF_COLUMN.items():
        assert majority_labels(counts(**{column: 7, "unknown": 3})[None]).tolist() == [LABELS.index(label)]
    faces = np.stack(
        [
            counts(neutral=5, happiness=5),  # tie
            counts(anger=4, sadness=4, unknown=2),  # tie
            counts(contempt=6, neutral=4),
            counts(unknown=6, fear=4),
            counts(NF=10),
            counts(neutral=4, happiness=3, surprise=3),  # a plurality, not a majority: counts
        ]
    )
    assert majority_labels(faces).tolist() == [-1, -1, -1, -1, -1, LABELS.index("neutral")]
    assert majority_labels(np.zeros((0, len(VOTE_COLUMNS)), np.int64)).shape == (0,)


def test_the_ferplus_repositorys_rule_drops_single_votes_and_keeps_only_majorities():
    for column, label in CLASS_OF_COLUMN.items():
        assert repository_majority_labels(counts(**{column: 6, "unknown": 4})[None]).tolist() == [LABELS.index(label)]
    faces = np.stack(
        [
            counts(neutral=4, happiness=3, surprise=3),  # a plurality, not a majority: left out
            counts(neutral=6, happiness=1, surprise=1, fear=1, NF=1),  # 6 of the 6 votes left once singles go
            counts(neutral=5, happiness=5),  # a tie is no majority
            counts(contempt=7, neutral=3),  # kept, as a class no 7-class model has
            counts(unknown=6, fear=4),
            counts(NF=10),
            counts(sadness=1, anger=1, fear=1, disgust=1, surprise=1, happiness=1, neutral=1, contempt=3),
        ]
    )
    neutral = LABELS.index("neutral")
    assert repository_majority_labels(faces).tolist() == [-1, neutral, -1, CONTEMPT, -1, -1, CONTEMPT]


@pytest.fixture(scope="module")
def votes():
    return load_votes(shared_data(VOTES_CSV))


def test_the_real_votes_file(votes):
    assert len(votes.paths) == 35_887
    assert {s: int((votes.splits == s).sum()) for s in SPLITS} == {
        "Training": 28_709,
        "PublicTest": 3_589,
        "PrivateTest": 3_589,
    }
    unmatched = ~votes.matched
    assert unmatched.sum() == 175
    assert {s: int((unmatched & (votes.splits == s)).sum()) for s in SPLITS} == {
        "Training": 149,
        "PublicTest": 10,
        "PrivateTest": 16,
    }
    # FER+ rows voted all "not a face" have no pixels of their own: their files get NF = 10.
    assert (votes.counts[unmatched] == counts(NF=10)).all()
    assert (votes.counts.sum(axis=1) >= 9).all()  # ten taggers per face (one face has nine votes)


def test_every_face_of_the_archive_has_its_votes_line(votes, fer_faces):
    aligned = votes.aligned(fer_faces.names)
    assert aligned.shape == (len(fer_faces), len(VOTE_COLUMNS))
    split_of = dict(zip(votes.paths, votes.splits, strict=True))
    assert all(split_of[name] == split for name, split in zip(fer_faces.names, fer_faces.splits, strict=True))


def test_real_soft_targets_and_majority_labels(votes):
    targets, rated = soft_targets(votes.counts)
    np.testing.assert_allclose(targets[rated].sum(axis=1), 1.0, atol=1e-6)
    assert not targets[~rated].any() and not rated[~votes.matched].any()
    # A face whose plurality is unknown or NF (untied) never gets a soft target.
    top = votes.counts.max(axis=1)
    untied = (votes.counts == top[:, None]).sum(axis=1) == 1
    no_class = untied & np.isin(votes.counts.argmax(axis=1), [VOTE_COLUMNS.index("unknown"), VOTE_COLUMNS.index("NF")])
    assert no_class.sum() > 100 and not rated[no_class].any()
    assert {s: int(rated[votes.splits == s].sum()) for s in SPLITS} == {
        "Training": 28_342,
        "PublicTest": 3_549,
        "PrivateTest": 3_538,
    }

    majority = majority_labels(votes.counts)
    assert (majority[no_class] == -1).all() and (majority[~untied] == -1).all()
    assert {s: int((majority[votes.splits == s] >= 0).sum()) for s in SPLITS} == {
        "Training": 26_777,
        "PublicTest": 3_372,
        "PrivateTest": 3_349,
    }
