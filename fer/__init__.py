"""Facial-emotion recognition for live class video.

``from fer import Analyzer`` is the entry point: ``Analyzer().analyze(bgr)`` returns the faces
in a frame with their emotions. Importing ``fer`` loads neither TensorFlow nor Streamlit.
"""

from fer.config import AnalyzerConfig, CropConfig, DetectorConfig
from fer.labels import COLORS_BGR, LABELS
from fer.pipeline import Analyzer, Face

__all__ = ["Analyzer", "AnalyzerConfig", "COLORS_BGR", "CropConfig", "DetectorConfig", "Face", "LABELS"]
