from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from fer.media import NO_INDEX, MediaError, VideoReader, kind_of, read_image
from tests.fixtures.lesson_video import remux


def encode(image: Image.Image, fmt: str, **kw) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def test_read_image_formats_give_bgr(astronaut_bgr):
    rgb = Image.fromarray(astronaut_bgr[:, :, ::-1].copy())
    png = read_image(encode(rgb, "PNG"))
    assert png.shape == (512, 512, 3) and png.dtype == np.uint8 and np.array_equal(png, astronaut_bgr)
    assert np.abs(read_image(encode(rgb, "WEBP", lossless=True)).astype(int) - astronaut_bgr).max() == 0
    assert np.abs(read_image(encode(rgb, "JPEG", quality=95)).astype(int) - astronaut_bgr).mean() < 3
    assert read_image(encode(rgb.convert("L"), "JPEG")).shape == (512, 512, 3)
    assert read_image(encode(rgb.convert("RGBA"), "PNG")).shape == (512, 512, 3)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not a readable image"),
        (b"just some text", "not a readable image"),
    ],
)
def test_unreadable_images(data, message):
    with pytest.raises(MediaError, match=message):
        read_image(data)


def test_truncated_and_oversized_images(astronaut_bgr, tmp_path):
    png = cv2.imencode(".png", astronaut_bgr)[1].tobytes()
    with pytest.raises(MediaError, match="damaged or unsupported"):
        read_image(png[: len(png) // 2])
    big = tmp_path / "big.png"
    big.write_bytes(png)
    with pytest.raises(MediaError, match=r"big.png: 512x512 pixels is over the limit of 1,000"):
        read_image(big, max_pixels=1000)
    with pytest.raises(MediaError, match="no such file"):
        read_image(tmp_path / "missing.png")


def test_video_sampling(video_path):
    with VideoReader(video_path, every_s=0.5) as reader:
        samples = list(reader)
        assert reader.duration_s == pytest.approx(9.18, abs=0.05)
    times = [s.time_s for s in samples]
    assert times[0] == 0.0 and all(0.45 <= b - a <= 0.55 for a, b in zip(times, times[1:], strict=False))
    assert len(samples) == 19 and samples[1].index == 15  # 29.97 fps: every 15th frame
    assert samples[0].bgr.shape == (360, 640, 3)


def test_video_from_memory_matches_file(video_path):
    with VideoReader(video_path.read_bytes(), every_s=2.0) as a, VideoReader(video_path, every_s=2.0) as b:
        assert [s.index for s in a] == [s.index for s in b]


def test_unreadable_videos(video_path):
    with pytest.raises(MediaError, match="not a readable video"):
        VideoReader(b"no video here")
    with pytest.raises(MediaError, match=r"no index \(moov atom\)"):
        VideoReader(video_path.read_bytes()[:50_000])  # the index sits at the end of this file
    with pytest.raises(ValueError):
        VideoReader(video_path, every_s=0)


def unfinished_mp4(video_path, folder) -> Path:
    """A real MP4 whose index (moov, written last) is gone: the shared clip remuxed, moov at the end,
    and cut where the moov began, as a recorder killed before it finished leaves it."""
    whole = remux(video_path, folder / "whole.mp4").read_bytes()
    moov = whole.rindex(b"moov") - 4
    assert moov > len(whole) // 2  # the frames first, the index after them
    cut = folder / "unfinished.mp4"
    cut.write_bytes(whole[:moov])
    return cut


def test_an_mp4_without_its_index_says_so(video_path, tmp_path):
    cut = unfinished_mp4(video_path, tmp_path)
    data = cut.read_bytes()
    mdat = data.index(b"mdat") - 4
    # FFmpeg's own writer, killed: the frames' box (mdat) still has the size 0 it starts with.
    killed = data[:mdat] + (0).to_bytes(4, "big") + data[mdat + 4 : len(data) // 2]
    for source in (cut, data, io.BytesIO(data[: len(data) // 3]), killed):
        with pytest.raises(MediaError) as err:
            VideoReader(source)
        assert str(err.value).endswith(f": {NO_INDEX}") and "\n" not in str(err.value)
    assert str(err.value).startswith("upload: the recording has no index (moov atom): it was not finished")
    with pytest.raises(MediaError, match="not a readable video"):  # not an MP4 at all: no word of an index
        VideoReader(b"\x00\x00\x00\x08junk" * 100)


def test_kind_of(tmp_path):
    assert kind_of(tmp_path / "a.JPG") == "image" and kind_of(tmp_path / "b.webm") == "video"
    assert kind_of(tmp_path / "c.txt") is None


def test_a_shared_frame_comes_back_as_sent(astronaut_bgr):
    import base64

    from fer.media import encode_jpeg, read_jpeg_data_url

    url = "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(astronaut_bgr, 95)).decode()
    bgr = read_jpeg_data_url(url)
    assert bgr.shape == astronaut_bgr.shape and np.abs(bgr.astype(int) - astronaut_bgr).mean() < 3


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ok: None, "without its picture"),
        (lambda ok: ok.replace("image/jpeg", "image/png"), "not a JPEG"),
        (lambda ok: ok[:-8] + "!!!!!!!!", "damaged"),
        (lambda ok: "data:image/jpeg;base64," + "QUFB" * 10, "could not be decoded"),
        (lambda ok: "data:image/jpeg;base64," + "A" * 6_000_000, "usable size"),
    ],
)
def test_odd_shared_frames_give_one_line(astronaut_bgr, make, message):
    import base64

    from fer.media import encode_jpeg, read_jpeg_data_url

    ok = "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(astronaut_bgr)).decode()
    with pytest.raises(MediaError, match=message):
        read_jpeg_data_url(make(ok))
    with pytest.raises(MediaError, match="over 256x256"):
        read_jpeg_data_url(ok, max_side=(256, 256))


def test_a_video_over_the_pixel_limit_is_refused_before_decoding(video_path):
    with pytest.raises(MediaError, match=r": 640x360 frames are over the limit of 100,000 pixels$"):
        VideoReader(video_path, max_pixels=100_000)
