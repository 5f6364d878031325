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
    "truncated.mp4",
    "no-video-stream.mp4",
    "zero-frames.mp4",
}
