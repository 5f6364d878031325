"""Read videos and shared frames for analysis, in memory, with bounded cost (photos: fer.images).

Videos are decoded as a stream with PyAV and sampled every ``every_s`` seconds; a whole video
is never held in memory, and nothing is written to disk.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import struct
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import numpy as np

MAX_VIDEO_PIXELS = 3840 * 2160  # 4K UHD; a video with larger frames is refused before decoding
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v")

# Samples at least this many frames apart: frames no other frame refers to are not decoded.
SKIP_NONREF_FRAMES = 4
SHORT_END_S = 2.0  # a video whose frames end this much before its stated length is cut short
SHARED_MAX_SIDE = (1920, 1080)  # the largest shared frame accepted: a full HD screen
SHARED_MAX_BYTES = 4_000_000  # a 1920x1080 JPEG at the quality the page sends is well under 1 MB

Source = str | Path | bytes | BinaryIO

NO_INDEX = (
    "the recording has no index (moov atom): it was not finished writing (the recorder was stopped "
    "or the file cut short); export or record it again"
)
# Boxes an MP4 or MOV file may start with: a file starting otherwise is no MP4 for _lacks_index.
MP4_FIRST_BOXES = {b"ftyp", b"free", b"skip", b"wide", b"mdat", b"pnot"}


class MediaError(ValueError):
    """A photo or video that cannot be read; the message is one line, fit to show a user."""


def name_of(source: Source) -> str:
    """A source's name for messages: its path, a file object's ``name``, or "upload"."""
    if isinstance(source, (str, Path)):
        return str(source)
    return getattr(source, "name", None) or "upload"


def read_jpeg_data_url(url: object, max_side: tuple[int, int] = SHARED_MAX_SIDE) -> np.ndarray:
    """HxWx3 uint8 BGR from a ``data:image/jpeg;base64,...`` URL (a frame a browser drew and sent).

    :class:`MediaError` for anything else: not such a URL, over :data:`SHARED_MAX_BYTES`, not a
    JPEG, or larger than ``max_side`` (width, height).
    """
    import cv2

    if not isinstance(url, str):
        raise MediaError("a frame arrived without its picture")
    header, _, encoded = url.partition(",")
    if header != "data:image/jpeg;base64" or len(encoded) > SHARED_MAX_BYTES * 4 // 3 + 4:
        raise MediaError("a frame arrived that is not a JPEG of a usable size")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MediaError("a frame arrived damaged") from None
    if not data:
        raise MediaError("a frame arrived empty")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise MediaError("a frame arrived that could not be decoded")
    if bgr.shape[1] > max_side[0] or bgr.shape[0] > max_side[1]:
        raise MediaError(f"a frame of {bgr.shape[1]}x{bgr.shape[0]} is over {max_side[0]}x{max_side[1]}")
    return bgr


def encode_jpeg(bgr: np.ndarray, quality: int = 85) -> bytes:
    """JPEG bytes of an HxWx3 uint8 BGR image, in memory."""
    import cv2

    ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise MediaError("the image could not be encoded as JPEG")
    return jpeg.tobytes()


class VideoSample:
    """One sampled frame: its number, its time, and its pixels, converted only when asked for."""

    def __init__(self, index: int, time_s: float, frame) -> None:
        self.index = index  # frame number in the video, from 0
        self.time_s = time_s  # seconds since the video's first frame
        self._frame = frame

    @cached_property
    def bgr(self) -> np.ndarray:
        """HxWx3 uint8 BGR."""
        return self._frame.to_ndarray(format="bgr24")

    @cached_property
    def gray(self) -> np.ndarray:
        """HxW uint8: the picture's luma, all that finding and reading faces needs."""
        return self._frame.to_ndarray(format="gray")


class VideoReader:
    """Samples a video every ``every_s`` seconds while decoding it as a stream.

    Decoding uses the codec's threads; when samples are several frames apart, the frames no other
    frame refers to (B-frames) are not decoded at all, and no frame between samples is converted.
    ``duration_s`` is the container's stated length (None if unknown), for progress estimates;
    ``decode_s`` the time spent decoding so far. Use as a context manager; iterate for
    :class:`VideoSample`s.
    """

    def __init__(self, source: Source, every_s: float = 0.5, max_pixels: int = MAX_VIDEO_PIXELS) -> None:
        import av

        if every_s <= 0:
            raise ValueError(f"every_s must be > 0, got {every_s}")
        self.name = name_of(source)
        self.every_s = every_s
        self.decode_s = 0.0
        if isinstance(source, bytes):
            source = io.BytesIO(source)
        try:
            self._container = av.open(str(source) if isinstance(source, Path) else source, mode="r")
        except FileNotFoundError:
            raise MediaError(f"{self.name}: no such file") from None
        except (av.FFmpegError, OSError, ValueError) as err:
            if _lacks_index(source):
                raise MediaError(f"{self.name}: {NO_INDEX}") from None
            raise MediaError(f"{self.name}: not a readable video ({_reason(err)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise MediaError(f"{self.name}: has no video stream")
        self._stream = self._container.streams.video[0]
        width, height = self._stream.codec_context.width, self._stream.codec_context.height
        if width * height > max_pixels:
            self._container.close()
            raise MediaError(f"{self.name}: {width}x{height} frames are over the limit of {max_pixels:,} pixels")
        self._stream.thread_type = "AUTO"
        self.fps = float(self._stream.average_rate or 30)
        if every_s * self.fps >= SKIP_NONREF_FRAMES:
            self._stream.codec_context.skip_frame = "NONREF"
        self.duration_s = _duration(self._container, self._stream)

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def __iter__(self) -> Iterator[VideoSample]:
        import av

        next_t = t = 0.0
        index = decoded = -1
        start = None  # times count from the first frame, whatever the container's offset
        frames = self._container.decode(self._stream)
        try:
            while True:
                began = time.perf_counter()
                frame = next(frames, None)
                self.decode_s += time.perf_counter() - began
                if frame is None:
                    break
                decoded += 1
                t = float(frame.time) if frame.time is not None else decoded / self.fps
                start = t if start is None else start
                t -= start
                # The frame's number in the video, skipped frames counted, from its time.
                index = round(t * self.fps) if frame.time is not None else decoded
                if t + 1e-6 >= next_t:
                    # On schedule: frames not decoded do not delay the next sample.
                    next_t += (math.floor((t + 1e-6 - next_t) / self.every_s) + 1) * self.every_s
                    yield VideoSample(index, t, frame)
        except (av.FFmpegError, OSError, ValueError) as err:
            raise MediaError(f"{self.name}: damaged video after {self._at(index)} ({_reason(err)})") from None
        if index < 0:
            raise MediaError(f"{self.name}: has no video frames")
        # A file cut short (an interrupted upload or copy) can decode cleanly to where it stops.
        if self.duration_s and t < self.duration_s - max(SHORT_END_S, 0.05 * self.duration_s):
            raise MediaError(
                f"{self.name}: ends at {t:.1f} s of its stated {self.duration_s:.1f} s (the file is cut short)"
            )

    def _at(self, index: int) -> str:
        return f"frame {index + 1} ({(index + 1) / self.fps:.1f} s)"


def _duration(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _lacks_index(source: str | Path | BinaryIO) -> bool:
    """Whether ``source`` is an MP4 or MOV file without a whole ``moov`` box: its index (where each
    frame is, at what time), which a recorder writes last. A recorder killed before the end, or a
    file cut short, leaves the frames (``mdat``) with nothing to find them by; FFmpeg then says
    only "invalid data". Reads the top-level box headers only (a few bytes each)."""
    try:
        if isinstance(source, (str, Path)):
            with open(source, "rb") as file:
                return _boxes_lack_index(file)
        source.seek(0)
        return _boxes_lack_index(source)
    except (OSError, ValueError, AttributeError):
        return False


def _boxes_lack_index(file: BinaryIO) -> bool:
    end = file.seek(0, io.SEEK_END)
    offset, first = 0, True
    while offset + 8 <= end:
        file.seek(offset)
        header = file.read(16)
        size, kind = struct.unpack(">I4s", header[:8])
        if first and kind not in MP4_FIRST_BOXES:
            return False  # not an MP4 or MOV
        first = False
        if size == 1 and len(header) == 16:  # a 64-bit size follows the type
            size = struct.unpack(">Q", header[8:16])[0]
        elif size == 0:  # the box runs to the end of the file
            size = end - offset
        if kind == b"moov":
            return offset + size > end  # an index cut off is no index
        if size < 8:
            return False  # not box headers after all: some other damage
        offset += size
    return not first


def _reason(err: Exception) -> str:
    return str(getattr(err, "strerror", None) or err).splitlines()[0][:120]


def kind_of(path: Path) -> str | None:
    """``"image"``, ``"video"`` or None, from the file name's suffix."""
    suffix = path.suffix.lower()
    return "image" if suffix in IMAGE_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else None
