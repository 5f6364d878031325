"""Facial-emotion recognition for class video.

``FrameAnalyzer.from_model().analyze(bgr)`` returns the faces in one frame with their emotions;
``StreamAnalyzer`` follows the faces of a video stream and keeps their ids. Importing ``fer``
loads neither TensorFlow nor Streamlit.
"""

from fer.config import AnalyzerConfig, CropConfig, DetectorConfig, StreamConfig
from fer.faces import Face
from fer.labels import COLORS_BGR, LABELS
from fer.recognition.frame import FrameAnalyzer
from fer.video.stream import StreamAnalyzer

__all__ = [
    "COLORS_BGR",
    "LABELS",
    "AnalyzerConfig",
    "CropConfig",
    "DetectorConfig",
    "Face",
    "FrameAnalyzer",
    "StreamAnalyzer",
    "StreamConfig",
]
