from __future__ import annotations

import csv
import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from helpers import make_face
from hostile import large_jpeg
from PIL import Image

from fer.images import WORK_IMAGE_PIXELS, Photo, read_image, read_photo, working_size
from fer.media import NO_INDEX, MediaError, VideoReader, kind_of
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


def test_working_size():
    assert WORK_IMAGE_PIXELS == 3_000_000
    for normal in ((512, 512), (1920, 1080), (2000, 1500), (1, 3_000_000)):
        assert working_size(normal) == normal
    assert working_size((7216, 5412)) == (2000, 1500)  # 39 MP, 4:3
    assert working_size((6400, 4800)) == (2000, 1500)
    assert working_size((3840, 2160)) == (2309, 1299)  # 4K, 16:9
    assert working_size((2560, 1440), 921_600) == (1280, 720)
    assert working_size((100_000, 10), 100) == (100, 1)  # never below one pixel, never over the pixels


@pytest.fixture
def decoded(monkeypatch) -> list[tuple[int, int]]:
    """The sizes at which Pillow's JPEG decoder is asked for a photo's pixels."""
    from PIL import JpegImagePlugin

    sizes = []
    load = JpegImagePlugin.JpegImageFile.load

    def spy(self):
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)
    return sizes


def test_a_normal_photo_is_read_as_it_is(astronaut_bgr, analyzer, decoded):
    gallery = np.full((1080, 1920, 3), 90, np.uint8)
    gallery[284:796, 704:1216] = astronaut_bgr
    jpeg = encode(Image.fromarray(gallery[:, :, ::-1].copy()), "JPEG", quality=90)
    photo = read_photo(jpeg)
    assert photo.size == (1920, 1080) and not photo.reduced and set(decoded) == {(1920, 1080)}
    assert np.array_equal(photo.bgr, np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))[:, :, ::-1])
    faces = analyzer.analyze(photo.bgr)
    assert len(faces) == 1 and photo.in_original(faces)[0] is faces[0]  # nothing to scale


def test_a_photo_over_the_working_size_is_read_reduced(astronaut_bgr, decoded):
    rgb = Image.fromarray(astronaut_bgr[:, :, ::-1].copy())
    small = read_photo(encode(rgb, "JPEG", quality=95), work_pixels=128 * 128)
    assert set(decoded) == {(128, 128)}  # libjpeg decoded it at 1/4 of its size: 512x512 never existed
    assert small.size == (512, 512) and small.reduced and small.bgr.shape == (128, 128, 3)
    area = cv2.resize(astronaut_bgr, (128, 128), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(small.bgr.astype(int) - area).mean() < 3
    png = read_photo(encode(rgb, "PNG"), work_pixels=10_000)  # other formats: decoded whole, then reduced
    assert png.size == (512, 512) and png.bgr.shape == (100, 100, 3) and png.bgr.flags.c_contiguous
    area = cv2.resize(astronaut_bgr, (100, 100), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(png.bgr.astype(int) - area).mean() < 2
    assert read_image(encode(rgb, "PNG"), work_pixels=10_000).shape == (100, 100, 3)


def test_boxes_go_back_to_the_photos_own_pixels():
    photo = Photo(np.zeros((1500, 2000, 3), np.uint8), (7216, 5412))
    face = make_face((100, 50, 40, 41), "happy", face_id=3)
    [back] = photo.in_original([face])
    assert back.box == (361, 180, 144, 148) and back.id == 3 and back.probabilities is face.probabilities
    assert photo.in_original([]) == []


@pytest.fixture(scope="module")
def large_photo(tmp_path_factory, astronaut_bgr) -> Path:
    """A real 30.7 MP JPEG (6400x4800): the astronaut scaled 9.375 times, 800 px from the left."""
    path = tmp_path_factory.mktemp("large") / "large.jpg"
    path.write_bytes(large_jpeg(astronaut_bgr))
    return path


def expected_box(analyzer, astronaut_bgr) -> np.ndarray:
    return np.array(analyzer.analyze(astronaut_bgr)[0].box) * 9.375 + (800, 0, 0, 0)


def test_a_large_jpeg_is_decoded_reduced_and_its_face_found_where_it_is(large_photo, astronaut_bgr, analyzer, decoded):
    photo = read_photo(large_photo)
    assert set(decoded) == {(3200, 2400)}  # decoded at half size, then reduced to 2000x1500
    assert photo.size == (6400, 4800) and photo.bgr.shape == (1500, 2000, 3)
    [largest, *_] = photo.in_original(analyzer.analyze(photo.bgr))
    expected = expected_box(analyzer, astronaut_bgr)
    assert np.abs(np.array(largest.box) - expected).max() < 0.08 * expected[2], (largest.box, expected)


def test_the_cli_reports_a_large_photos_boxes_in_its_own_pixels(large_photo, astronaut_bgr, analyzer, tmp_path):
    from fer.cli import main

    assert main(["analyze", str(large_photo), "-o", str(tmp_path / "faces.csv")]) == 0
    rows = list(csv.DictReader((tmp_path / "faces.csv").open()))
    largest = next(r for r in rows if r["face_id"] == "1")
    box = np.array([int(largest[k]) for k in "xywh"])
    expected = expected_box(analyzer, astronaut_bgr)
    assert np.abs(box - expected).max() < 0.08 * expected[2], (box, expected)


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
