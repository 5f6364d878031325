"""Read photos for analysis, in memory, with bounded cost, whatever their size.

A photo's header is read first (Pillow opens lazily): one claiming more than ``max_pixels`` is
refused before anything is decoded. One larger than ``work_pixels`` is analysed reduced to that
size: a JPEG is decoded by libjpeg at 1/2, 1/4 or 1/8 of its size (never smaller than the working
size) and only then reduced the rest of the way, so a 39-megapixel JPEG never exists at full size
in memory (other formats are decoded whole first). The analysis needs no more: at the working size
the smallest face the detector reports (40 px by default) is 1/50 of a 4:3 photo's width, and the
model sees every face at 48x48. Results are reported in the file's own pixels (:meth:`Photo.in_original`).
"""

from __future__ import annotations

import ctypes
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from fer.faces import Face
from fer.media import MediaError, Source, name_of

MAX_IMAGE_PIXELS = 50_000_000  # about 8K x 6K; a photo claiming more is refused before decoding
# A larger photo is analysed reduced to this many pixels (2000x1500 at 4:3; a full HD frame is 2.1 M).
# The Haar search takes about 20 bytes of memory per pixel of the photo (OpenCV keeps every scale's
# integral image at once): a 39 MP photo searched whole took 1 GB of a server's memory, and a 12 MP
# phone photo 250 MB; at this size the photo page's peak stays near +120 MB (scripts/bench/photo_memory.py).
WORK_IMAGE_PIXELS = 3_000_000
SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L")


@dataclass(frozen=True, eq=False)
class Photo:
    """A photo as analysed: ``bgr`` (HxWx3 uint8, at most the working size) and ``size``, the
    (width, height) of the picture the file holds, in whose pixels results are reported."""

    bgr: np.ndarray
    size: tuple[int, int]

    @property
    def reduced(self) -> bool:
        """Whether ``bgr`` is smaller than the file's picture."""
        return (self.bgr.shape[1], self.bgr.shape[0]) != self.size

    def in_original(self, faces: Sequence[Face]) -> list[Face]:
        """``faces`` found in ``bgr``, their boxes in the pixels of the file's picture."""
        if not self.reduced:
            return list(faces)
        sx, sy = self.size[0] / self.bgr.shape[1], self.size[1] / self.bgr.shape[0]
        scaled = []
        for face in faces:
            x, y, w, h = face.box
            scaled.append(replace(face, box=(round(x * sx), round(y * sy), round(w * sx), round(h * sy))))
        return scaled


def working_size(size: tuple[int, int], work_pixels: int = WORK_IMAGE_PIXELS) -> tuple[int, int]:
    """``size`` (width, height), or where it has more than ``work_pixels`` pixels, the largest size of
    the same shape within them (of a sliver's shape, as near as one pixel's height allows)."""
    width, height = size
    if width * height <= work_pixels:
        return size
    scale = math.sqrt(work_pixels / (width * height))
    height = max(1, math.floor(height * scale))
    return max(1, min(math.floor(width * scale), work_pixels // height)), height


def read_photo(source: Source, max_pixels: int = MAX_IMAGE_PIXELS, work_pixels: int = WORK_IMAGE_PIXELS) -> Photo:
    """A photo file, bytes or file object (the first frame of an animation) at its working size.

    :class:`~fer.media.MediaError` (one line) for a file that is not a readable photo, or whose
    header claims more than ``max_pixels`` pixels.
    """
    import cv2
    from PIL import Image, UnidentifiedImageError

    name = name_of(source)
    # A file object (an upload) is read where it is, not copied.
    data = io.BytesIO(source) if isinstance(source, bytes) else str(source) if isinstance(source, Path) else source
    try:
        with Image.open(data) as image:
            size = image.size
            if size[0] * size[1] > max_pixels:
                raise MediaError(f"{name}: {size[0]}x{size[1]} pixels is over the limit of {max_pixels:,}")
            image.seek(0)
            work = working_size(size, work_pixels)
            if work != size:
                image.draft(image.mode, work)  # a JPEG: decoded at 1/2, 1/4 or 1/8, still at least ``work``
            rgb = _rgb(image)
            if rgb.size != work:
                reduced = rgb.resize(work, Image.Resampling.BOX)  # each pixel the mean of the area it covers
                rgb.close()  # the larger picture goes before the next copy is made
                rgb = reduced
            if rgb is not image:
                image.close()
            rgb_array = np.asarray(rgb)
            rgb.close()
    except MediaError:
        raise
    except Image.DecompressionBombError:
        raise MediaError(f"{name}: too many pixels to decode safely") from None
    except FileNotFoundError:
        raise MediaError(f"{name}: no such file") from None
    except UnidentifiedImageError:
        raise MediaError(f"{name}: not a readable image") from None
    except (OSError, ValueError, SyntaxError, EOFError) as err:
        raise MediaError(f"{name}: damaged or unsupported image ({err})") from None
    photo = Photo(cv2.cvtColor(rgb_array, cv2.COLOR_RGB2BGR), size)
    if photo.reduced:
        del rgb_array
        release_memory()  # the larger decoded picture and its copies, before the analysis allocates more
    return photo


def release_memory() -> None:
    """Hand the memory freed so far back to the system. glibc's allocator keeps freed blocks for
    reuse, and a photo's decoding and search free tens of MB in blocks it would keep: a server's
    RSS would stay at its peak. A no-op where the C library is not glibc."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return
    trim(0)


def read_image(source: Source, max_pixels: int = MAX_IMAGE_PIXELS, work_pixels: int = WORK_IMAGE_PIXELS) -> np.ndarray:
    """HxWx3 uint8 BGR: :func:`read_photo`'s pixels, a photo over ``work_pixels`` reduced to them."""
    return read_photo(source, max_pixels, work_pixels).bgr


def _rgb(image):
    """The opened image decoded, as an RGB PIL image (16-bit gray keeps its top 8 bits)."""
    from PIL import Image

    if image.mode in SIXTEEN_BIT_MODES:
        gray = np.asarray(image).astype(np.uint32)
        return Image.fromarray((gray >> 8 if gray.max() > 255 else gray).astype(np.uint8)).convert("RGB")
    if image.mode == "RGB":
        image.load()
        return image
    return image.convert("RGB")
