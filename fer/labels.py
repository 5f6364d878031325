"""The model's outward contract: the seven FER2013 emotions in the order it outputs them, and its input."""

from __future__ import annotations

LABELS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NEGATIVE: tuple[str, ...] = ("angry", "disgust", "fear", "sad")  # a face's mood counts as negative by these
NEGATIVE_INDEX: list[int] = [LABELS.index(label) for label in NEGATIVE]
INPUT_SHAPE: tuple[int, int, int] = (48, 48, 1)  # one face: 48x48 gray, raw 0..255 (the model rescales)

# One display colour per emotion, as OpenCV BGR triples: saturated (none is grey, so an overlay
# stands out from skin, hair and clothes), apart from each other, readable on light and dark video.
COLORS_BGR: dict[str, tuple[int, int, int]] = {
    "angry": (40, 40, 220),
    "disgust": (40, 140, 40),
    "fear": (160, 60, 160),
    "happy": (0, 200, 255),
    "sad": (200, 120, 30),
    "surprise": (0, 140, 255),
    "neutral": (170, 170, 0),
}

#: The same colours as CSS hex ("#rrggbb"), for the page's charts and the report.
# A face whose expression is not estimated (presence only): its box and tag in grey.
PRESENCE_BGR: tuple[int, int, int] = (200, 200, 200)
HEX: dict[str, str] = {label: "#{2:02x}{1:02x}{0:02x}".format(*bgr) for label, bgr in COLORS_BGR.items()}

#: The three splits of FER2013, named as in the original CSV's ``Usage`` column.
SPLITS: tuple[str, ...] = ("Training", "PublicTest", "PrivateTest")
