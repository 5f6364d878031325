"""A recorded lesson to analyse: a video call's gallery of real faces, as an H.264 file.

Each tile shows a faces_wild photo (scripts/call_gallery.py) that drifts by a few pixels as a
student's head does; the last tile plays the shared face video. A :class:`Scene` is a stretch of
the recording with one gallery layout and the tiles whose camera is off (a dark tile). The
tests and ``scripts/bench_recorded.py`` build their recordings with :func:`write_lesson`.

    python -m scripts.lesson_video --out lesson.mp4 --seconds 120 --gallery 7x7@1920x1080
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from scripts.call_gallery import findable, place, tile_image, tile_size
from scripts.common import DEFAULT_VIDEO, video_frames

DRIFT_PX = 3  # how far a photo sways, at most, like a student's head


@dataclass(frozen=True)
class Scene:
    """From ``start_s`` on: a ``rows`` x ``cols`` gallery; the tiles in ``off`` (row, col) show no face."""

    start_s: float
    rows: int
    cols: int
    off: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    video_tile: bool = True  # the last tile plays the shared face video


def seat_name(row: int, col: int) -> str:
    return chr(ord("A") + row) + str(col + 1)


class Gallery:
    """Draws one scene's frames: tiles prepared once, each photo swaying, the video playing."""

    def __init__(self, scene: Scene, width: int, height: int, singer: Sequence[np.ndarray], gap: int = 4) -> None:
        self.scene, self.width, self.height, self.gap = scene, width, height, gap
        self.tile_w, self.tile_h = tile_size(scene.rows, scene.cols, width, height, gap)
        count = scene.rows * scene.cols
        names = findable(count, (self.tile_w, self.tile_h))
        self.tiles = [tile_image(name, self.tile_w, self.tile_h) for name in names]
        self.singer = [self._fit(frame) for frame in singer] if scene.video_tile else []
        self.dark = np.full((self.tile_h, self.tile_w, 3), 40, np.uint8)

    def _fit(self, frame: np.ndarray) -> np.ndarray:
        """The video, scaled to cover the tile at the photos' zoom, cropped to it."""
        scale = 1.5 * self.tile_h / frame.shape[0]
        big = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        top, left = (big.shape[0] - self.tile_h) // 2, max(0, (big.shape[1] - self.tile_w) // 2)
        tile = np.full((self.tile_h, self.tile_w, 3), 30, np.uint8)
        part = big[top : top + self.tile_h, left : left + self.tile_w]
        tile[: part.shape[0], : part.shape[1]] = part
        return tile

    def frame(self, t: float, index: int) -> np.ndarray:
        rows, cols = self.scene.rows, self.scene.cols
        contents = []
        for n, tile in enumerate(self.tiles):
            if divmod(n, cols) in self.scene.off:
                contents.append(self.dark)
            elif self.singer and n == rows * cols - 1:
                contents.append(self.singer[index % len(self.singer)])
            else:
                period = 3.0 + n % 5  # each student sways at their own pace
                dx = DRIFT_PX * math.sin(2 * math.pi * t / period + n)
                dy = DRIFT_PX * math.cos(2 * math.pi * t / (period + 1.3) + n) / 2
                shift = np.float32([[1, 0, dx], [0, 1, dy]])
                contents.append(
                    cv2.warpAffine(tile, shift, (self.tile_w, self.tile_h), borderMode=cv2.BORDER_REPLICATE)
                )
        return place(contents, cols, self.width, self.height, self.gap)


def write_lesson(
    path: Path,
    scenes: Sequence[Scene],
    seconds: float,
    *,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    gop_s: float = 4.0,
    crf: int = 23,
) -> Path:
    """Write an H.264 (yuv420p) recording of ``scenes`` lasting ``seconds``, as call apps record them:
    a keyframe every ``gop_s`` seconds and B-frames between reference frames."""
    import av

    singer = video_frames(DEFAULT_VIDEO)
    galleries = [Gallery(scene, width, height, singer) for scene in scenes]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast", "g": str(round(gop_s * fps)), "bf": "2"}
        for index in range(round(seconds * fps)):
            t = index / fps
            gallery = next(g for g in reversed(galleries) if g.scene.start_s <= t)
            frame = av.VideoFrame.from_ndarray(gallery.frame(t, index), format="bgr24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


# The tests' lesson: a 5x5 gallery; the student in B2 turns the camera off at 20 s; at 60 s
# students leave and the gallery reflows to 4x4, until the end at 75 s.
TEST_LESSON = (Scene(0, 5, 5), Scene(20, 5, 5, frozenset({(1, 1)})), Scene(60, 4, 4))
TEST_LESSON_S = 75.0


def write_looped(path: Path, seconds: float, source: Path = DEFAULT_VIDEO, crf: int = 23) -> Path:
    """``source`` played over and over for ``seconds``, at its own size and frame rate, as H.264."""
    import av

    frames = video_frames(source)
    with av.open(str(source)) as probe:
        rate = probe.streams.video[0].average_rate
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast", "bf": "2"}
        for index in range(round(seconds * float(rate))):
            frame = av.VideoFrame.from_ndarray(frames[index % len(frames)], format="bgr24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def remux(source: Path, target: Path) -> Path:
    """The same video in another container (by ``target``'s suffix), not re-encoded."""
    import av

    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--gallery", default="5x5@1280x720", help="ROWSxCOLS@WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    layout, size = args.gallery.split("@")
    rows, cols = (int(v) for v in layout.split("x"))
    width, height = (int(v) for v in size.split("x"))
    write_lesson(args.out, [Scene(0, rows, cols)], args.seconds, width=width, height=height)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
