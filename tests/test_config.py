from __future__ import annotations

import dataclasses

import pytest

from fer.config import AnalyzerConfig, CropConfig, DetectorConfig
from ui.settings import parse_ice_servers


def test_defaults():
    cfg = AnalyzerConfig()
    assert cfg.detector == DetectorConfig(scale_factor=1.1, min_neighbors=5, min_face_px=40, detection_face_px=32)
    assert cfg.crop == CropConfig(margin=0.0, size=48)
    assert cfg.mirror_views is True and cfg.zooms == (1.0, 0.9, 1.1) and cfg.num_threads == 2


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DetectorConfig().min_face_px = 10


def test_detection_scale():
    assert DetectorConfig(min_face_px=64, detection_face_px=32).detection_scale == 0.5
    assert DetectorConfig(min_face_px=40, detection_face_px=32).detection_scale == 0.8
    assert DetectorConfig(min_face_px=24, detection_face_px=32).detection_scale == 1.0  # never enlarged


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: DetectorConfig(scale_factor=1.0), "scale_factor"),
        (lambda: DetectorConfig(min_neighbors=-1), "min_neighbors"),
        (lambda: DetectorConfig(min_face_px=10), "min_face_px"),
        (lambda: DetectorConfig(detection_face_px=12), "detection_face_px"),
        (lambda: CropConfig(margin=-0.1), "margin"),
        (lambda: CropConfig(size=64), "48x48"),
        (lambda: AnalyzerConfig(num_threads=0), "num_threads"),
        (lambda: AnalyzerConfig(zooms=()), "zooms"),
        (lambda: AnalyzerConfig(zooms=(1.0, 3.0)), "zooms"),
    ],
)
def test_validation(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_ice_servers():
    turn = '[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]'
    assert parse_ice_servers(turn) == (
        {"iceServers": [{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "p"}]},
        None,
    )
    assert parse_ice_servers("[]") == ({"iceServers": []}, None)
    assert parse_ice_servers(None) == (None, None) and parse_ice_servers("  ") == (None, None)
    config, warning = parse_ice_servers("not json", "FER_ICE_SERVERS")
    assert config is None and warning.startswith("FER_ICE_SERVERS is not valid JSON")
    config, warning = parse_ice_servers('{"urls": "stun:x"}', "FER_ICE_SERVERS")
    assert config is None and "must be a JSON list" in warning
