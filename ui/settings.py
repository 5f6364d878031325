"""Settings from outside the library: the sidebar, the environment and Streamlit's secrets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import streamlit as st

from fer.config import SENSITIVITY, DetectorConfig, StreamConfig
from fer.recognition.model_card import MODEL_DIR
from fer.video.live_annotator import LiveSettings

MODEL_DIR_ENV = "FER_MODEL_DIR"  # another folder of model files
ICE_SERVERS_ENV = "FER_ICE_SERVERS"  # JSON list of RTCIceServer objects, e.g. a TURN server
PRESENCE_ONLY_ENV = "FER_PRESENCE_ONLY"  # "1": no expression is estimated anywhere (the operator's setting)


def model_dir() -> Path:
    """``$FER_MODEL_DIR`` if set, else the project's ``model/``."""
    return Path(os.environ.get(MODEL_DIR_ENV) or MODEL_DIR)


def presence_only() -> bool:
    """The operator's presence-only setting: ``FER_PRESENCE_ONLY`` in the environment, else in Streamlit's
    secrets; "1", "true", "yes" or "on" turn it on. Then no page estimates an expression."""
    raw = os.environ.get(PRESENCE_ONLY_ENV)
    if raw is None:
        try:
            raw = st.secrets.get(PRESENCE_ONLY_ENV)
        except FileNotFoundError:  # no secrets.toml
            raw = None
    return str(raw).strip().lower() in ("1", "true", "yes", "on") if raw is not None else False


def detector_settings(default_min_face: int = DetectorConfig.min_face_px) -> DetectorConfig:
    """Smallest face and sensitivity, in the sidebar: every mode has them."""
    st.sidebar.header("Detection")
    min_face = st.sidebar.slider(
        "Smallest face (pixels)",
        24,
        200,
        default_min_face,
        step=4,
        help="Faces narrower than this are ignored. Lower finds smaller faces, at more CPU cost.",
    )
    sensitivity = st.sidebar.select_slider("Sensitivity", list(SENSITIVITY), value="Medium")
    scale_factor, neighbours = SENSITIVITY[sensitivity]
    return DetectorConfig(scale_factor=scale_factor, min_neighbors=neighbours, min_face_px=min_face)


def live_settings(detector: DetectorConfig) -> LiveSettings:
    """The live camera's own settings."""
    detect_every = st.sidebar.slider(
        "Look for new faces every N frames",
        1,
        30,
        StreamConfig.detect_every,
        help="Between searches the faces already found are followed from frame "
        "to frame, at a fraction of the cost. Lower finds newcomers sooner, "
        "at more CPU cost.",
    )
    return LiveSettings(
        detector=detector, stream=StreamConfig(detect_every=detect_every), show_probabilities=show_probabilities()
    )


def show_probabilities() -> bool:
    return st.sidebar.checkbox("Show the three likeliest emotions per face")


def class_rate() -> float:
    """Frames a second the class page asks of the shared window."""
    return st.sidebar.select_slider(
        "Frames a second from the shared call",
        [0.5, 1.0, 2.0],
        value=2.0,
        help="One or two a second is plenty for a class's mood; fewer leaves the server more room for other lessons.",
    )


def parse_ice_servers(raw: str | None, source: str = "ICE servers") -> tuple[dict | None, str | None]:
    """An RTC configuration from a JSON list of ICE servers, and a warning if ``raw`` is unusable.

    Returns ``(None, None)`` when ``raw`` is unset or blank (use the streaming library's defaults),
    ``({"iceServers": [...]}, None)`` when valid, ``(None, warning)`` when not.
    """
    if raw is None or not raw.strip():
        return None, None
    try:
        servers = json.loads(raw)
    except json.JSONDecodeError as err:
        return None, f"{source} is not valid JSON ({err.msg}); using the default ICE servers."
    if not isinstance(servers, list) or not all(isinstance(s, dict) and "urls" in s for s in servers):
        return None, f'{source} must be a JSON list of {{"urls": ...}} objects; using the default ICE servers.'
    return {"iceServers": servers}, None


def ice_servers_setting() -> str | None:
    """FER_ICE_SERVERS as JSON text: from the environment, else from Streamlit secrets, else None."""
    raw = os.environ.get(ICE_SERVERS_ENV)
    if raw is not None:
        return raw
    try:
        value = st.secrets.get(ICE_SERVERS_ENV)
    except FileNotFoundError:  # no secrets.toml (Streamlit's StreamlitSecretNotFoundError is one)
        return None
    # A TOML array of tables arrives as a list of mappings; parse_ice_servers takes JSON text.
    return value if value is None or isinstance(value, str) else json.dumps(value, default=dict)
