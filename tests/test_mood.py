from __future__ import annotations

import csv
import io

import pytest
from helpers import make_face

from fer.labels import LABELS
from fer.video.mood import MoodTimeline


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def face(label: str):
    return make_face(label=label, score=1.0)


def test_per_second_rows_with_a_controlled_clock():
    clock = Clock()
    mood = MoodTimeline(clock=clock)
    mood.update([face("happy"), face("sad")])
    clock.now += 0.5
    mood.update([face("happy"), face("happy"), face("neutral"), face("neutral")])
    clock.now += 0.6  # second 1
    mood.update([])
    clock.now += 2.0  # second 3 (second 2 had no frames: no row)
    mood.update([face("angry")])
    rows = mood.seconds()
    assert [r.second for r in rows] == [0, 1, 3]
    assert [r.frames for r in rows] == [2, 1, 1]
    assert rows[0].faces == 3.0 and rows[1].faces == 0.0
    share = lambda row, label: row.shares[LABELS.index(label)]  # noqa: E731
    assert share(rows[0], "happy") == pytest.approx(3 / 6) and share(rows[0], "neutral") == pytest.approx(2 / 6)
    assert rows[1].shares.sum() == 0.0
    assert share(rows[2], "angry") == 1.0
    faces, shares = mood.current()
    assert faces == 1 and shares.tolist() == [float(name == "angry") for name in LABELS]


def test_memory_is_bounded():
    clock = Clock()
    mood = MoodTimeline(clock=clock, max_seconds=60)
    for _ in range(500):
        mood.update([face("happy")])
        clock.now += 1
    rows = mood.seconds()
    assert len(rows) == 61 and rows[0].second == 439 and rows[-1].second == 499  # 60 closed + current


def test_csv_schema():
    clock = Clock()
    mood = MoodTimeline(clock=clock)
    mood.update([face("fear")])
    clock.now += 1
    mood.update([face("fear"), face("happy")])
    table = list(csv.DictReader(io.StringIO(mood.to_csv())))
    assert list(table[0]) == ["second", "frames", "faces"] + [f"share_{label}" for label in LABELS]
    assert [r["second"] for r in table] == ["0", "1"]
    assert table[1]["faces"] == "2.000" and table[1]["share_fear"] == "0.5000"
