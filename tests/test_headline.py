"""The calm headline: what its words say of the shares, that it holds still, and its count."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from helpers import grid_boxes, make_face

from fer.classroom.lesson import Lesson
from fer.labels import LABELS
from fer.video.headline import CalmHeadline, HeadlineConfig, read, words

START = datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC)


def shares(**named: float) -> np.ndarray:
    return np.array([named.get(label, 0.0) for label in LABELS])


# The issue's class: 54% of the readings negative, the largest single share only 26%.
ISSUE_CLASS = shares(neutral=0.26, sad=0.22, angry=0.18, fear=0.14, happy=0.12, surprise=0.08)


@pytest.mark.parametrize(
    ("class_shares", "said"),
    [
        (shares(neutral=0.5, happy=0.3, sad=0.2), "mostly neutral"),  # half is a majority
        (shares(sad=0.62, angry=0.2, neutral=0.18), "mostly sad"),  # a majority is named before the negative rule
        (ISSUE_CLASS, "54% look negative"),
        (shares(angry=0.25, sad=0.25, neutral=0.3, happy=0.2), "50% look negative"),
        (
            shares(neutral=0.26, happy=0.24, sad=0.2, surprise=0.18, angry=0.12),
            "mixed: neutral 26%, happy 24%, sad 20%",
        ),
        (shares(neutral=0.49, happy=0.51), "mostly happy"),
        (shares(neutral=0.4, happy=0.35, sad=0.25), "mixed: neutral 40%, happy 35%, sad 25%"),
    ],
)
def test_the_words_say_a_majority_only_when_there_is_one(class_shares, said):
    assert words(read(class_shares)) == said


def test_the_issue_class_is_not_called_mostly_neutral():
    headline = CalmHeadline()
    lines = {headline.update(t / 2, 18, ISSUE_CLASS) for t in range(120)}
    assert lines == {"18 faces · 54% look negative"}


def test_a_still_class_never_changes_the_headline():
    headline = CalmHeadline()
    rng = np.random.default_rng(0)
    lines = set()
    for i in range(240):  # 2 minutes at 2 frames a second; detection finds 24 or 25 faces
        noise = rng.normal(0, 0.02, 7)
        lines.add(
            headline.update(i / 2, int(rng.choice([24, 25, 25])), shares(neutral=0.58, happy=0.24, sad=0.18) + noise)
        )
    assert lines == {"25 faces · mostly neutral"}


@pytest.mark.parametrize("seed", range(5))
def test_a_still_mixed_class_never_changes_its_percentages(seed):
    headline = CalmHeadline()
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(480):  # 4 minutes at 2 frames a second, the readings noisy frame to frame
        noisy = np.clip(shares(neutral=0.38, happy=0.34, sad=0.18, angry=0.1) + rng.normal(0, 0.03, 7), 0, None)
        lines.append(headline.update(i / 2, int(rng.choice([24, 25, 25])), noisy / noisy.sum()))
    settled = lines[20:]  # after its first 10 seconds, in which the line follows the window
    assert len(set(settled)) == 1 and settled[0].startswith("25 faces · mixed: neutral 3"), set(settled)
    assert all("faces · mixed: " in line for line in lines)


def test_a_lasting_change_comes_through_and_a_short_one_does_not():
    headline = CalmHeadline(HeadlineConfig(window_s=40, hold_s=10))
    calm, happy = shares(neutral=0.7, happy=0.3), shares(neutral=0.2, happy=0.8)
    t, lines = 0.0, []
    for _ in range(60):
        lines.append(headline.update(t, 20, calm))
        t += 1
    for _ in range(5):  # a 5-second burst of smiles
        lines.append(headline.update(t, 20, happy))
        t += 1
    assert set(lines) == {"20 faces · mostly neutral"}
    for _ in range(60):  # the class stays happy
        lines.append(headline.update(t, 20, happy))
        t += 1
    assert "20 faces · mostly neutral · happy rising" in lines
    assert lines[-1] == "20 faces · mostly happy"
    changes = sum(a != b for a, b in zip(lines, lines[1:], strict=False))
    assert changes <= 3  # neutral -> happy rising -> happy, with no flicker between


def test_a_class_turning_negative_is_said_so():
    headline = CalmHeadline(HeadlineConfig(window_s=40, hold_s=10))
    t, lines = 0.0, []
    for _ in range(60):
        lines.append(headline.update(t, 18, shares(neutral=0.6, happy=0.3, sad=0.1)))
        t += 1
    for _ in range(90):
        lines.append(headline.update(t, 18, ISSUE_CLASS))
        t += 1
    assert lines[0] == "18 faces · mostly neutral" and lines[-1] == "18 faces · 54% look negative"
    assert not any("mostly" in line for line in lines[-30:])


def test_the_first_frames_mood_is_not_held_while_the_line_settles():
    headline = CalmHeadline(HeadlineConfig(window_s=12, hold_s=10))
    happy, neutral = shares(happy=0.9, neutral=0.1), shares(happy=0.1, neutral=0.9)
    assert headline.update(0.0, 1, happy) == "1 face · mostly happy"
    lines = [headline.update(t / 2, 1, neutral) for t in range(1, 12)]
    assert lines[-1] == "1 face · mostly neutral"  # by 5.5 s, not after a 10-second hold
    for t in range(12, 40):
        headline.update(t / 2, 1, neutral)
    # Settled, the hold applies again: 8 seconds of smiles lead the window but do not come through.
    assert {headline.update(20 + t / 2, 1, happy) for t in range(16)} == {"1 face · mostly neutral"}


def test_no_faces():
    headline = CalmHeadline()
    assert headline.update(0, 0, np.zeros(7)) == "No faces in view" and headline.faces == 0
    with pytest.raises(ValueError):
        HeadlineConfig(window_s=10, hold_s=20)


def feed(lesson: Lesson, boxes, label_of, seconds: float, fps: float = 2.0, start: float = 0.0, each=None) -> float:
    t = start
    while t < start + seconds:
        lesson.add([make_face(b, label_of(i), 0.8) for i, b in enumerate(boxes)], t)
        if each is not None:
            each(t, lesson.snapshot())
        t += 1 / fps
    return t


def test_the_lines_count_is_the_pages_count():
    lesson = Lesson(START)
    boxes = grid_boxes(5, 5)
    seen = []
    t = feed(lesson, boxes, lambda i: "neutral", 30, each=lambda t, s: seen.append(s))
    # A face the cascade misses now and then, a student glancing away: neither changes the count.
    t = feed(lesson, boxes[:3] + boxes[4:], lambda i: "neutral", 20, start=t, each=lambda t, s: seen.append(s))
    seated = [s for s in seen if s.seats]
    assert seated and all(s.line.startswith(f"{s.faces} faces ·") for s in seated)
    assert {s.faces for s in seated} == {25}
    assert lesson.snapshot().line == "25 faces · mostly neutral"


def test_a_reflow_shows_the_new_class_within_10_seconds():
    lesson = Lesson(START)
    t = feed(lesson, grid_boxes(5, 5), lambda i: "neutral", 60)
    changed = t
    after = []
    feed(lesson, grid_boxes(4, 4), lambda i: "happy", 30, start=t, each=lambda t, s: after.append((t, s)))
    assert len(lesson.snapshot().reflows) == 1
    shown = next(t for t, s in after if s.line == "16 faces · mostly happy" and s.faces == 16)
    assert shown - changed <= 10
    assert all(s.line == "16 faces · mostly happy" and s.faces == 16 for t, s in after if t >= shown)


def _class_page(lesson, faces):  # run as a page: its source alone, so no annotations
    import cv2
    import numpy as np

    from fer.classroom.call import CallFrame
    from ui.classroom import Share, show_share

    view = cv2.imencode(".jpg", np.zeros((72, 128, 3), np.uint8))[1].tobytes()
    share = Share(call=None, latest=CallFrame(faces, view, (1280, 720), 5.0), stopped=False, generation=0)
    show_share(share, None, lesson.snapshot(), 2.0, 0)


def test_the_page_shows_the_lines_count_beside_it():
    from streamlit.testing.v1 import AppTest

    lesson = Lesson(START)
    boxes = grid_boxes(5, 5)
    t = feed(lesson, boxes, lambda i: "neutral", 30)
    # The latest frame misses two faces (the cascade, a glance away): the class is still 25.
    latest = lesson.add([make_face(b, "neutral", 0.8) for b in boxes[2:]], t)
    at = AppTest.from_function(_class_page, args=(lesson, latest), default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "25 faces · mostly neutral"
    assert at.metric[0].label == "Faces in view" and at.metric[0].value == "25"
