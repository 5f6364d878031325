"""Every knob of the per-frame path, with its one default, in frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from fer.labels import INPUT_SHAPE

HAAR_WINDOW_PX = 24  # the frontal-face cascade's own window: no face smaller than this is found


@dataclass(frozen=True)
class DetectorConfig:
    """Haar cascade settings. Sizes are in pixels of the frame handed to the analyzer."""

    scale_factor: float = 1.1  # step between cascade scales; larger is faster and misses more
    min_neighbors: int = 5  # overlapping hits a box needs; larger gives fewer false faces
    min_face_px: int = 40  # smallest face side to report
    # The frame is shrunk (never enlarged) so that a face of min_face_px becomes this many pixels
    # before the cascade runs: detection cost falls with the square of the shrink.
    detection_face_px: int = 32

    def __post_init__(self) -> None:
        if not self.scale_factor > 1.0:
            raise ValueError(f"scale_factor must be > 1, got {self.scale_factor}")
        if self.min_neighbors < 0:
            raise ValueError(f"min_neighbors must be >= 0, got {self.min_neighbors}")
        if self.min_face_px < HAAR_WINDOW_PX:
            raise ValueError(f"min_face_px must be >= {HAAR_WINDOW_PX}, got {self.min_face_px}")
        if not HAAR_WINDOW_PX <= self.detection_face_px:
            raise ValueError(f"detection_face_px must be >= {HAAR_WINDOW_PX}, got {self.detection_face_px}")

    @property
    def detection_scale(self) -> float:
        """Factor applied to the frame before detection (<= 1)."""
        return min(1.0, self.detection_face_px / self.min_face_px)


# The detector's sensitivity presets, as the sidebar names them: (Haar scale factor, minimum neighbours).
SENSITIVITY: dict[str, tuple[float, int]] = {
    "Low: fewer false faces": (1.2, 7),
    "Medium": (1.1, 5),
    "High: more faces": (1.05, 3),
}
HIGH_SENSITIVITY = DetectorConfig(*SENSITIVITY["High: more faces"])  # a dense photo's many small faces


# A video call's gallery: faces are 55-100 px wide in a 1280x720 or larger picture, so the smallest
# face searched for is 48 px, seen by the cascade at 28 px (a 1920x1080 frame is searched at 0.58
# of its size). The class page and recorded lessons search with it.
GALLERY_DETECTOR = DetectorConfig(min_face_px=48, detection_face_px=28)


def gallery_detector(detector: DetectorConfig) -> DetectorConfig:
    """The teacher's detection settings as a call's gallery is searched (shared live or recorded): at the
    gallery's search scale."""
    return replace(detector, detection_face_px=GALLERY_DETECTOR.detection_face_px)


@dataclass(frozen=True)
class CropConfig:
    """How a detected box becomes the model's input (see model/metadata.json ``face_crop``)."""

    # Added on each side, as a fraction of the box side. None: on FER2013's faces the cascade's
    # box covers 0.98 of the face's side (median; python -m scripts.crop_convention), so the box
    # itself is the crop the model was trained on.
    margin: float = 0.0
    size: int = 48

    def __post_init__(self) -> None:
        if not 0.0 <= self.margin <= 1.0:
            raise ValueError(f"margin must be within 0..1, got {self.margin}")
        if self.size != INPUT_SHAPE[0]:
            raise ValueError(f"the model takes {INPUT_SHAPE[0]}x{INPUT_SHAPE[1]} faces")


@dataclass(frozen=True)
class AnalyzerConfig:
    """What an analyzer is built from: its first detection settings, the crop and the views."""

    detector: DetectorConfig = field(default_factory=DetectorConfig)
    crop: CropConfig = field(default_factory=CropConfig)
    # The views the model sees of each face (fer.recognition.face_classifier): the crop at each zoom about its centre
    # (below 1 shows more of the surroundings, above 1 less; the model was trained on +-10%), each
    # as seen and, with ``mirror_views``, mirrored. Averaged within a frame (photos); cycled over
    # frames and averaged by smoothing (streams). One zoom of 1.0 without mirror: the face as seen.
    zooms: tuple[float, ...] = (1.0, 0.9, 1.1)
    mirror_views: bool = True
    # False: presence only. No expression is estimated anywhere: the model is not even loaded, and faces,
    # seats, cameras on or off and time on camera are all that is shown, kept and exported.
    expressions: bool = True
    # LiteRT interpreter threads per analyzer: two halve a frame's classification time on two cores
    # and still sustain a dozen live sessions there (scripts/benchmark.py).
    num_threads: int = 2

    def __post_init__(self) -> None:
        if self.num_threads < 1:
            raise ValueError(f"num_threads must be >= 1, got {self.num_threads}")
        if not self.zooms or not all(0.5 <= z <= 2.0 for z in self.zooms):
            raise ValueError(f"zooms must be one or more factors within 0.5..2, got {self.zooms}")


@dataclass(frozen=True)
class StreamConfig:
    """How the live path spreads its work over the frames of a stream (see fer.video.stream)."""

    # Search the whole frame for faces every Nth frame; in between, the faces already found are
    # followed from frame to frame, which costs a small fraction of a search.
    detect_every: int = 10
    classify_every: int = 2  # classify a followed face again once this many frames have passed
    # Followed faces classified per frame at most, the longest waiting first: a crowded gallery's
    # faces take turns. New faces are classified as soon as they are found, whatever their number.
    max_classified: int = 8
    # Larger frames are searched proportionally less often (a search costs in proportion to the
    # area): the live path's budget per frame. Off: every ``detect_every`` frames at any size.
    scale_with_area: bool = True
    # Frames between searches while no face is followed (None: ``detect_every``): a recording
    # searches an empty picture more often, so that faces are found soon after they appear.
    detect_every_empty: int | None = None

    def __post_init__(self) -> None:
        for name in ("detect_every", "classify_every", "max_classified"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.detect_every_empty is not None and self.detect_every_empty < 1:
            raise ValueError(f"detect_every_empty must be >= 1, got {self.detect_every_empty}")
