"""Following a shared call's faces between whole searches, on real call galleries with the real cascade and model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from helpers import RecordingClassifier, shared_data

from fer.classroom.call import SharedCall
from fer.classroom.follow import EMPTY_EVERY, EMPTY_PER_FRAME, NO_GRID_EVERY_S, WHOLE_EVERY_S, GalleryFollower
from fer.classroom.tiles import find_tiles
from fer.recognition.preprocessing import crop_faces, to_gray
from fer.video.tracking import iou_matrix
from tests.fixtures.call_galleries import BLUR_SIGMA, CallGallery, call_gallery, camera_off
from tests.fixtures.galleries import WILD


@pytest.fixture(scope="module", autouse=True)
def wild():
    return shared_data(WILD / "labels.csv")


@pytest.fixture(scope="module")
def gallery() -> CallGallery:
    """A full 5x5 call at 1280x720, every camera on, no close-ups."""
    return call_gallery(5, 5, 1280, 720, seed=3, off=0, close=0)


@pytest.fixture
def follower() -> GalleryFollower:
    follower = SharedCall.from_model().follower
    follower.classifier.classify = RecordingClassifier(follower.classifier.classify)
    return follower


def gray_of(bgr: np.ndarray) -> np.ndarray:
    """The frame as the page receives it: through a JPEG, then gray."""
    return to_gray(cv2.imdecode(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 85])[1], cv2.IMREAD_COLOR))


def run(follower: GalleryFollower, frames: list[np.ndarray], t0: float = 0.0) -> list[list]:
    """Each frame's faces, frames 0.5 s apart."""
    out = []
    for n, bgr in enumerate(frames):
        gray = gray_of(bgr)
        out.append(follower.analyze(gray, find_tiles(gray), t0 + n / 2))
    return out


def with_tile(gallery: CallGallery, i: int, tile: np.ndarray, bgr: np.ndarray | None = None) -> np.ndarray:
    """``bgr`` (default: the gallery) with tile ``i`` drawn as ``tile``."""
    frame = (gallery.bgr if bgr is None else bgr).copy()
    x, y, w, h = gallery.rects[i]
    frame[y : y + h, x : x + w] = tile
    return frame


def off(gallery: CallGallery, i: int) -> np.ndarray:
    """Tile ``i``'s camera turned off: dark grey, the name in the middle."""
    _, _, w, h = gallery.rects[i]
    return camera_off(gallery.names[i], w, h)


def gone(gallery: CallGallery, i: int) -> np.ndarray:
    """Tile ``i`` with its student gone from the camera: the blurred room behind (the backdrop of
    :func:`tests.fixtures.call_galleries.camera_view`, without the photo over it)."""
    _, _, w, h = gallery.rects[i]
    photo = cv2.imread(str(WILD / "images" / gallery.photos[i]), cv2.IMREAD_COLOR)
    side = max(w, h)
    cover = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    top, left = (side - h) // 2, (side - w) // 2
    return cv2.GaussianBlur(cover[top : top + h, left : left + w], (0, 0), BLUR_SIGMA)


def tiles_of(gallery: CallGallery, faces) -> list[int | None]:
    """The tile of each face's centre; None for a box in none, or taller than a tile (the cascade's false
    box across tiles, which a search of the whole frame finds now and then and no seat takes)."""
    height = gallery.rects[0][3]
    return [None if h > height else gallery.tile_at(x + w / 2, y + h / 2) for x, y, w, h in (f.box for f in faces)]


def test_a_still_call_is_searched_once_and_each_face_read_in_one_view_a_frame(gallery, follower):
    frames = run(follower, [gallery.bgr] * 8)
    first, last = frames[0], frames[-1]
    assert len(first) >= 20 and sorted(f.box for f in last) == sorted(f.box for f in first)
    crops = [len(c) for c in follower.classifier.classify.calls]
    views, calls = len(follower.classifier.views), follower.classifier.classify.calls[:]
    assert crops == [views * len(first)] + [len(first)] * 7  # a new face in every view, then one view a frame
    # Each frame's reading is the mean of the face's latest reading in every view: a still face's is the
    # photo path's six-view reading.
    gray = gray_of(gallery.bgr)
    photo = follower.classifier.every_view(gray, [f.box for f in last])
    assert np.allclose([f.probabilities for f in last], photo, atol=1e-5)
    # In a frame the faces are shown in different views (the class's mean is not one view's), and each
    # face in the next of its views frame after frame, every view once in six frames.
    crops = crop_faces(gray, [f.box for f in last], follower.classifier.crop)
    shown = [views_shown(follower, crops, call) for call in calls[1:]]
    assert all(len(set(frame)) == views for frame in shown)
    for face in range(len(last)):
        assert sorted(frame[face] for frame in shown[:views]) == list(range(views))
    assert not follower.searched_whole


def views_shown(follower: GalleryFollower, crops: np.ndarray, call: np.ndarray) -> list[int]:
    """For each face of ``crops``, the view (an index into the classifier's views) ``call`` showed it in."""
    seen = {}
    for v, view in enumerate(follower.classifier.views):
        for face, crop in enumerate(view.show(crops)):
            if any(np.array_equal(crop, shown) for shown in call):
                seen[face] = v
    return [seen[face] for face in range(len(crops))]


def test_a_reflow_between_two_frames_is_searched_whole_and_leaves_no_ghost(gallery, follower):
    run(follower, [gallery.bgr] * 3)
    # Someone left: the call lays the 24 others out 5x5 with a short last row, in a new order.
    after = call_gallery(5, 5, 1280, 720, seed=11, count=24, off=2, close=0)
    faces = run(follower, [after.bgr], t0=1.5)[0]
    assert follower.searched_whole  # at once: no face of the old grid followed into the new
    tiles = tiles_of(after, faces)
    assert all(i is not None and after.photos[i] is not None for i in tiles), tiles  # no face where none is
    assert sorted(f.box for f in faces) == sorted(follower.detector.detect(gray_of(after.bgr)))


def test_faces_that_swap_tiles_in_the_same_grid_leave_no_ghost(follower):
    before = call_gallery(5, 5, 1280, 720, seed=4, off=0, close=0)
    after = call_gallery(5, 5, 1280, 720, seed=5, off=3, close=0)  # the same grid, other people, 3 cameras off
    run(follower, [before.bgr] * 2)
    for frame, faces in enumerate(run(follower, [after.bgr] * 3, t0=1.0)):
        tiles = tiles_of(after, faces)
        assert all(i is not None and after.photos[i] is not None for i in tiles), (frame, tiles)
        # Every face reported is one a search of this frame finds (a box on the new face, not the old one's).
        whole = follower.detector.detect(gray_of(after.bgr))
        assert (iou_matrix([f.box for f in faces], whole) >= 0.3).any(axis=1).all(), frame


@pytest.mark.parametrize("leave", [off, gone], ids=["camera off", "walked away"])
def test_a_face_that_leaves_its_tile_is_dropped_at_once(gallery, follower, leave):
    faces = run(follower, [gallery.bgr] * 2)[-1]
    tiles = tiles_of(gallery, faces)
    i = next(i for i in tiles if i is not None and tiles.count(i) == 1)  # a tile with one face, and no false box
    x, y, w, h = gallery.rects[i]
    elsewhere = {f.box for f in faces if not iou_matrix([f.box], [(x, y, w, h)]).any()}
    later = run(follower, [with_tile(gallery, i, leave(gallery, i))] * 2, t0=1.0)
    assert all(i not in tiles_of(gallery, faces) for faces in later)  # dropped in the frame it left
    assert all({f.box for f in faces} == elsewhere for faces in later)  # the others followed on
    assert not follower.searched_whole


def test_no_student_gone_from_the_camera_is_followed_into_the_blurred_room(gallery, follower):
    """Every student in turn, three at once, leaves the camera: a small patch of a face can look like the
    blurred room left behind (a likeness up to about 0.75), but no face stays where none is, in the same frame."""
    faces = run(follower, [gallery.bgr] * 2)[-1]
    tiles, grid = tiles_of(gallery, faces), find_tiles(gray_of(gallery.bgr))
    alone = [i for i in tiles if i is not None and tiles.count(i) == 1]
    for n in range(0, len(alone), 3):
        leaving = alone[n : n + 3]
        frame = gallery.bgr
        for i in leaving:
            frame = with_tile(gallery, i, gone(gallery, i), frame)
        left = run(follower, [frame], t0=1.0 + n)[0]
        assert set(leaving).isdisjoint(tiles_of(gallery, left)), leaving
        # Searched tile by tile, unless the picture's tiles read differently (a dark room at the edge).
        assert follower.searched_whole == (not find_tiles(gray_of(frame)).same_as(grid))
        back = run(follower, [gallery.bgr] * 2, t0=1.5 + n)[-1]  # back at their desks
        assert set(leaving) <= set(tiles_of(gallery, back))


def test_an_empty_tile_that_gains_a_face_is_found_at_once_and_a_still_one_searched_seldom(gallery, follower):
    faces = run(follower, [gallery.bgr])[0]
    found = [i for i in tiles_of(gallery, faces) if i is not None]
    empty = found[:3]  # three cameras off when the call is first shared
    start = gallery.bgr
    for i in empty:
        start = with_tile(gallery, i, off(gallery, i), start)
    follower.reset()
    searched = []
    for n in range(EMPTY_EVERY + 1):
        assert set(empty).isdisjoint(tiles_of(gallery, run(follower, [start], t0=n / 2)[0]))
        searched.append(follower.tiles_searched)
    # A still picture: its empty tiles are searched again only after EMPTY_EVERY frames (and the others
    # in turn, a tile now and then).
    assert searched[0] == 0 and sum(searched[1:-1]) <= 1 and searched[-1] >= min(EMPTY_PER_FRAME, len(empty))
    # One camera comes on: its tile has changed, and is searched in that very frame.
    back = with_tile(gallery, empty[0], gallery.bgr[_rows(gallery, empty[0])], start)
    faces = run(follower, [back], t0=(EMPTY_EVERY + 1) / 2)[0]
    assert empty[0] in tiles_of(gallery, faces) and not follower.searched_whole


def _rows(gallery: CallGallery, i: int) -> tuple[slice, slice]:
    x, y, w, h = gallery.rects[i]
    return slice(y, y + h), slice(x, x + w)


def test_a_gallery_is_searched_whole_now_and_then_a_picture_without_tiles_more_often(gallery, follower):
    run(follower, [gallery.bgr] * 2)
    assert not follower.searched_whole
    run(follower, [gallery.bgr], t0=WHOLE_EVERY_S)
    assert follower.searched_whole
    # The gallery on a picture with no plain background between its tiles: no grid, faces followed all the same.
    noisy = np.clip(gallery.bgr + np.random.default_rng(0).normal(0, 20, gallery.bgr.shape), 0, 255).astype(np.uint8)
    assert find_tiles(gray_of(noisy)) is None
    follower.reset()
    searched = []
    for n in range(int(NO_GRID_EVERY_S * 2) + 2):
        run(follower, [noisy], t0=n / 2)
        searched.append(follower.searched_whole)
    assert searched[0] and searched.count(True) == 2 and searched[int(NO_GRID_EVERY_S * 2)]


def test_new_detection_settings_a_pause_or_a_new_size_search_whole(gallery, follower):
    from dataclasses import replace

    run(follower, [gallery.bgr] * 2)
    follower.detector.config = replace(follower.detector.config, min_neighbors=6)
    run(follower, [gallery.bgr], t0=1.0)
    assert follower.searched_whole
    run(follower, [gallery.bgr], t0=20.0)  # frames again after a pause
    assert follower.searched_whole
    run(follower, [cv2.resize(gallery.bgr, (1920, 1080))], t0=20.5)
    assert follower.searched_whole
