from __future__ import annotations

import pytest
from helpers import make_face as face

from fer.video.tracking import FaceTracker, TrackerConfig, iou_matrix


def iou(a, b) -> float:
    return float(iou_matrix([a], [b])[0, 0])


def test_iou():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


def test_ids_follow_moving_faces_and_new_faces_get_new_ids():
    tracker = FaceTracker()
    first = tracker.update([face((10, 10, 50, 50)), face((200, 10, 50, 50))])
    assert [f.id for f in first] == [1, 2]
    moved = tracker.update([face((205, 12, 50, 50)), face((14, 10, 50, 50)), face((400, 10, 50, 50))])
    assert [f.id for f in moved] == [2, 1, 3]


def test_id_survives_missed_detections_then_expires():
    tracker = FaceTracker(TrackerConfig(max_missed=2))
    assert tracker.update([face((10, 10, 50, 50))])[0].id == 1
    tracker.update([])
    tracker.update([])
    assert tracker.update([face((12, 10, 50, 50))])[0].id == 1  # back after two missed frames
    for _ in range(3):
        tracker.update([])
    assert tracker.update([face((12, 10, 50, 50))])[0].id == 2  # gone after three


def test_smoothing_suppresses_a_one_frame_flip():
    tracker = FaceTracker(TrackerConfig(smoothing=0.4))
    box = (10, 10, 50, 50)
    labels = [tracker.update([face(box, "happy")])[0].label for _ in range(5)]
    labels.append(tracker.update([face(box, "angry")])[0].label)  # one noisy frame
    labels.append(tracker.update([face(box, "happy")])[0].label)
    assert labels == ["happy"] * 7
    changed = [tracker.update([face(box, "sad")])[0].label for _ in range(4)]
    assert changed[-1] == "sad"  # a lasting change comes through within a few frames


def test_due_puts_new_faces_first_then_the_longest_waiting_within_the_budget():
    tracker = FaceTracker()
    tracks = tracker.match([(0, 0, 40, 40), (100, 0, 40, 40), (200, 0, 40, 40)])
    tracker.observe(tracks[:2], [face().probabilities] * 2, frame=0)
    tracker.observe(tracks[1:2], [face().probabilities], frame=3)
    assert tracker.due(tracks, frame=4, every=2, limit=2) == [tracks[2], tracks[0]]
    assert tracker.due(tracks, frame=4, every=2, limit=1) == [tracks[2]]  # new faces at once, whatever the budget
    assert [t.classified for t in tracks] == [1, 2, 0]  # each face counts its views shown, to show the next


def test_no_smoothing_follows_each_frame():
    tracker = FaceTracker(TrackerConfig(smoothing=1.0))
    tracker.update([face((0, 0, 40, 40), "happy")])
    assert tracker.update([face((0, 0, 40, 40), "angry")])[0].label == "angry"


def test_real_video_keeps_ids_through_a_dropped_detection(analyzer, consecutive_frames):
    tracker = FaceTracker()
    ids = {i: [f.id for f in tracker.update(analyzer.analyze(consecutive_frames[i]))] for i in range(82, 150)}
    # Frames 82-111: the singer, one id. The cascade loses him on frames 112-124 (longer than
    # max_missed), then finds him again on 125-149 except on frame 132: one new id throughout.
    assert {tuple(ids[i]) for i in range(82, 112)} == {(1,)}
    assert ids[132] == []
    assert {tuple(ids[i]) for i in range(125, 150) if i != 132} == {(2,)}


@pytest.mark.parametrize("kwargs", [{"min_iou": 0}, {"max_missed": -1}, {"smoothing": 0}, {"smoothing": 1.5}])
def test_config_validation(kwargs):
    with pytest.raises(ValueError):
        TrackerConfig(**kwargs)
