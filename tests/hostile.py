"""A corpus of bad and odd inputs, generated here (nothing fetched)."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png_header(side: int = 30000) -> bytes:
    """A tiny PNG whose header claims ``side`` x ``side`` pixels."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_claiming(jpeg: bytes, width: int, height: int) -> bytes:
    """``jpeg`` (baseline) with its frame header (SOF0) claiming ``width`` x ``height`` pixels: a
    file of a few kB that says it holds far more."""
    sof = jpeg.index(b"\xff\xc0")  # marker, length (2), precision (1), height (2), width (2)
    return jpeg[: sof + 5] + struct.pack(">HH", height, width) + jpeg[sof + 9 :]


def large_jpeg(face_bgr: np.ndarray, size: tuple[int, int] = (6400, 4800)) -> bytes:
    """A real photo of ``size`` (width, height; 30.7 MP by default): ``face_bgr`` scaled to its
    height, in the middle of a grey picture, as a camera's JPEG."""
    import cv2

    width, height = size
    side = height
    canvas = np.full((height, width, 3), 128, np.uint8)
    left = (width - side) // 2
    canvas[:, left : left + side] = cv2.resize(face_bgr, (side, side), interpolation=cv2.INTER_LINEAR)
    return cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def _save(image: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def _audio_only_mp4(path: Path) -> None:
    import av

    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _zero_frame_mp4(path: Path) -> None:
    # A valid MP4 with a video track that holds no frames: ffmpeg writes one when asked for none.
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=64x48:r=10:d=1",
            "-frames:v",
            "0",
            "-c:v",
            "mpeg4",
            str(path),
        ],
        check=True,
    )


def write_corpus(folder: Path, face_bgr: np.ndarray, video: Path) -> dict[str, Path]:
    """Write every bad or odd file into ``folder``; returns name -> path."""
    rgb = Image.fromarray(np.ascontiguousarray(face_bgr[:, :, ::-1]))
    jpeg = _save(rgb, "JPEG", quality=90)
    png = _save(rgb, "PNG")
    sixteen = Image.fromarray(np.asarray(rgb.convert("L")).astype(np.uint16) * 257)
    gif_frames = [
        im.convert("P", palette=Image.Palette.ADAPTIVE) for im in (rgb, rgb.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    ]
    gif = io.BytesIO()
    gif_frames[0].save(gif, "GIF", save_all=True, append_images=gif_frames[1:], duration=100, loop=0)
    files = {
        "zero-byte.jpg": b"",
        "truncated.jpg": jpeg[: len(jpeg) // 3],
        "truncated.png": png[: len(png) // 3],
        "text.jpg": b"this is plain text, not a picture\n",
        "huge-header.png": huge_png_header(),
        "huge-header.jpg": jpeg_claiming(jpeg, 60000, 60000),  # 3.6 gigapixels in 20 kB
        "over-limit.jpg": jpeg_claiming(jpeg, 8000, 6400),  # 51 MP: over the app's limit, not Pillow's
        "sixteen-bit.png": _save(sixteen, "PNG"),
        "rgba.png": _save(rgb.convert("RGBA"), "PNG"),
        "cmyk.jpg": _save(rgb.convert("CMYK"), "JPEG"),
        "gray.jpg": _save(rgb.convert("L"), "JPEG"),
        "animated.gif": gif.getvalue(),
        "truncated.mp4": video.read_bytes()[:100_000],
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    paths["no-video-stream.mp4"] = folder / "no-video-stream.mp4"
    _audio_only_mp4(paths["no-video-stream.mp4"])
    paths["zero-frames.mp4"] = folder / "zero-frames.mp4"
    _zero_frame_mp4(paths["zero-frames.mp4"])
    return paths


# What each file must give: a photo with the face found, or a clear one-line error.
GOOD_PHOTOS = {"sixteen-bit.png", "rgba.png", "cmyk.jpg", "gray.jpg", "animated.gif"}
BAD_FILES = {
    "zero-byte.jpg",
    "truncated.jpg",
    "truncated.png",
    "text.jpg",
    "huge-header.png",
    "huge-header.jpg",
    "over-limit.jpg",
    "truncated.mp4",
    "no-video-stream.mp4",
    "zero-frames.mp4",
}
