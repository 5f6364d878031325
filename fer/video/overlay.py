"""Draw faces, emotions and confidences onto a BGR frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from fer.faces import Face
from fer.labels import COLORS_BGR, PRESENCE_BGR

FONT = cv2.FONT_HERSHEY_SIMPLEX


def _style(width: int, box_width: int) -> tuple[float, int]:
    """Font scale and line thickness: readable from 320 to 1920 px wide frames, and no wider
    than a small face's box allows, so the tags of a dense class gallery do not pile up."""
    return max(0.4, min(width / 1400, box_width / 160)), max(1, round(width / 640))


def _text_color(bgr: tuple[int, int, int]) -> tuple[int, int, int]:
    b, g, r = bgr
    return (0, 0, 0) if 0.114 * b + 0.587 * g + 0.299 * r > 140 else (255, 255, 255)


def _tag_size(text: str, scale: float, thickness: int) -> tuple[int, int, int, int]:
    """Width, height, text height and padding of a filled tag holding ``text``."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
    pad = max(2, thickness * 2)
    return tw + 2 * pad, th + base + 2 * pad, th, pad


def _label(
    image: np.ndarray,
    text: str,
    x: int,
    y: int,
    color,
    scale: float,
    thickness: int,
    size: tuple[int, int, int, int] | None = None,
) -> int:
    """A filled tag with ``text`` whose top-left corner is at (x, y); returns the tag's height.

    ``size`` is :func:`_tag_size`'s result when the caller has measured the tag already.
    """
    width, height, th, pad = size or _tag_size(text, scale, thickness)
    cv2.rectangle(image, (x, y), (x + width, y + height), color, cv2.FILLED)
    cv2.putText(image, text, (x + pad, y + pad + th), FONT, scale, _text_color(color), thickness, cv2.LINE_AA)
    return height


def draw_faces(bgr: np.ndarray, faces: Sequence[Face], *, show_probabilities: bool = False) -> np.ndarray:
    """Draw each face's box in its emotion's colour with ``[#id] label NN%`` above it, in place.

    With ``show_probabilities`` the three likeliest emotions are listed under the box.
    Returns ``bgr`` (the same array) for chaining.
    """
    for face in faces:
        x, y, w, h = face.box
        scale, thickness = _style(bgr.shape[1], w)
        color = COLORS_BGR[face.label]
        cv2.rectangle(bgr, (x, y), (x + w, y + h), color, thickness + 1)
        text = f"{face.label} {face.score:.0%}" if face.id is None else f"#{face.id} {face.label} {face.score:.0%}"
        size = _tag_size(text, scale, thickness)
        tag_height = size[1]
        top = y - tag_height if y - tag_height >= 0 else y + h  # above the box, or below at the top edge
        _label(bgr, text, x, top, color, scale, thickness, size)
        if show_probabilities:
            row = y + h + (tag_height if top == y + h else 0)
            for label, p in face.ranked(3):
                row += _label(bgr, f"{label} {p:.0%}", x, row, COLORS_BGR[label], scale * 0.8, thickness)
    return bgr


def draw_seats(
    bgr: np.ndarray,
    faces: Sequence[Face],
    width: int = 1280,
    text_px: int = 15,
    flagged: frozenset[str] = frozenset(),
    names: Mapping[str, str] | None = None,
) -> np.ndarray:
    """A copy of ``bgr`` no wider than ``width``, each face boxed and tagged "B3 happy".

    The frame is shrunk first and the tags drawn after at ``text_px`` pixels of text height,
    so a dense gallery's tags stay legible at the size the page shows the view. A face with no
    seat yet is tagged with its emotion alone.
    """
    scale = min(1.0, width / bgr.shape[1])
    view = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr.copy()
    font_scale = text_px / 22  # Hershey simplex: about 22 px of cap height at scale 1
    for face in faces:
        x, y, w, h = (round(v * scale) for v in face.box)
        color = COLORS_BGR.get(face.label, PRESENCE_BGR)
        mark = face.seat in flagged  # a seat that may want a check-in: a thick box and a "!"
        cv2.rectangle(view, (x, y), (x + w, y + h), color, 5 if mark else 2)
        called = (names or {}).get(face.seat, face.seat)  # the name the teacher typed, else the seat
        text = face.label if face.seat is None else f"{'! ' * mark}{called} {face.label}".rstrip()
        if not text:  # an unseated face whose expression is not estimated (presence only): its box alone
            continue
        size = _tag_size(text, font_scale, 1)
        top = y - size[1] if y - size[1] >= 0 else y  # above the box, or inside its top at the frame's edge
        _label(view, text, max(0, min(x, view.shape[1] - size[0])), top, color, font_scale, 1, size)
    return view
