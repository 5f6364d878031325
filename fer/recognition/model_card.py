"""The model's files and its card: one module owns their names, their contents and their checks.

``model/`` holds ``emotion_cnn.keras`` (the trained Keras model), ``emotion_cnn.tflite`` (what the
app serves) and ``metadata.json``, the :class:`ModelCard`: what serving and provenance need. Each
command of ``scripts/training/`` owns one section of the card: ``export`` writes the card with its training
summary, ``quantize`` the ``quantization`` section, ``evaluate`` the headline ``metrics``. The
records of the lab live beside the card, not in it: the served run's epoch history
(:data:`HISTORY_NAME`), every figure the evaluation measured (:data:`METRICS_NAME`) and the
comparisons of runs of other settings (:data:`VARIANTS_NAME`). :func:`read_model_files` checks the
served file against the card (checksum, labels, input contract, face crop) before anything runs it.

The served file and the card are package data of ``fer`` (``fer.model_files``, which
``pyproject.toml`` maps onto the checkout's ``model/``), so that an installed wheel finds them
without the checkout; a checkout that is not installed (Heroku runs ``app.py`` from it) reads its
``model/`` beside ``fer/``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from fer.config import AnalyzerConfig, CropConfig
from fer.labels import INPUT_SHAPE, LABELS

MODEL_PACKAGE = "fer.model_files"  # the served files as package data (pyproject.toml: model/)


def served_model_dir() -> Path:
    """The folder of the served files: the installed package data (in an editable install, the
    checkout's ``model/``), or in a checkout that is not installed, the ``model/`` beside ``fer/``."""
    try:
        return Path(str(importlib.resources.files(MODEL_PACKAGE)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "model"


MODEL_DIR = served_model_dir()
KERAS_NAME = "emotion_cnn.keras"
TFLITE_NAME = "emotion_cnn.tflite"
METADATA_NAME = "metadata.json"
# Beside the card, not served: the lab's records of the served model (training.export, training.evaluate)
# and of the runs it was compared with (training.variants).
HISTORY_NAME = "history.json"  # the served run's history.json, epoch by epoch
METRICS_NAME = "metrics.json"  # every figure of the evaluation: each split, view and label set, confusion matrices
VARIANTS_NAME = "variants.json"  # comparisons by name of runs of other training settings


def views_text(config: AnalyzerConfig = AnalyzerConfig()) -> str:
    """How each face is shown to the model (fer.recognition.face_classifier), in words, as ``config`` sets the views."""
    zooms = [f"{z:.1f}" for z in config.zooms]
    zoomed = ", ".join(zooms[:-1]) + f" and {zooms[-1]}" if len(zooms) > 1 else zooms[0]
    count = len(zooms) * (2 if config.mirror_views else 1)
    number = ("one", "two", "three", "four", "five", "six", "seven", "eight")[count - 1] if count <= 8 else str(count)
    seen = "each as seen and mirrored" if config.mirror_views else "as seen"
    return f"mean of the probabilities of {number} views: the crop zoomed {zoomed} about its centre, {seen}"


#: The views the app averages ("mean of the probabilities of six views: the crop zoomed 1.0, 0.9 and 1.1 ...").
VIEWS = views_text()


class ModelError(RuntimeError):
    """The model files are missing, corrupt or do not match their card."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def face_crop(crop: CropConfig = CropConfig()) -> dict:
    """The crop convention the model expects, as written on its card; derived from ``crop``."""
    return {
        "detector": "OpenCV haarcascade_frontalface_default.xml",
        "crop": "square, centred on the detector box, side = box side * (1 + 2 * margin), clipped at the image edges",
        "margin": crop.margin,
        "color": "grayscale (OpenCV BGR2GRAY)",
        "resize": f"{crop.size}x{crop.size}, cv2.INTER_AREA",
    }


def input_contract() -> dict:
    return {
        "name": "face_gray",
        "shape": [None, *INPUT_SHAPE],
        "dtype": "float32",
        "range": [0, 255],
        "normalisation": "inside the model (x / 255)",
    }


def output_contract() -> dict:
    return {"shape": [None, len(LABELS)], "dtype": "float32", "meaning": "softmax probabilities in 'labels' order"}


@dataclass(frozen=True)
class ModelCard:
    """``metadata.json``. The contract fields (name to views) have one right value, their default;
    the sections after them are records of the script that owns each."""

    name: str = "emotion_cnn"
    labels: tuple[str, ...] = LABELS
    input: dict = field(default_factory=input_contract)
    output: dict = field(default_factory=output_contract)
    face_crop: dict = field(default_factory=face_crop)
    views: str = VIEWS
    parameters: int = 0
    # training.export: the run's configuration, hardware, sittings, wall time and chosen epoch (its
    # history epoch by epoch is HISTORY_NAME, beside the card)
    training: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)  # file name -> {"sha256", "bytes"}
    exported: str = ""  # ISO time of the export
    parity: dict = field(default_factory=dict)  # training.export: Keras vs TFLite on real faces
    quantization: dict = field(default_factory=dict)  # training.quantize
    # training.evaluate: the headline figures (every figure is METRICS_NAME, beside the card)
    metrics: dict = field(default_factory=dict)
    # training.calibrate: the temperature the served probabilities are scaled by, fitted on PublicTest,
    # and the expected calibration error on PrivateTest before and after
    calibration: dict = field(default_factory=dict)
    # training.checkpoint: the next model's training while it spans sessions (where its checkpoint
    # is, each piece's hardware, epochs and wall time); gone once that model is exported.
    training_in_progress: dict = field(default_factory=dict)

    def with_file(self, name: str, data: bytes) -> ModelCard:
        """The card with ``name``'s checksum and size set to those of ``data``."""
        return replace(self, files={**self.files, name: {"sha256": sha256(data), "bytes": len(data)}})

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = METADATA_NAME) -> ModelCard:
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            raise ModelError(f"model metadata {where} is not readable JSON ({err})") from None
        if not isinstance(record, dict):
            raise ModelError(f"model metadata {where} is not a JSON object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(record) - known)
        if unknown:
            raise ModelError(f"model metadata {where} has unknown fields: {', '.join(unknown)}")
        try:
            card = cls(**record)
        except TypeError as err:
            raise ModelError(f"model metadata {where} is incomplete ({err})") from None
        return replace(card, labels=tuple(card.labels))

    def write(self, model_dir: str | Path) -> Path:
        path = Path(model_dir) / METADATA_NAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def read(cls, model_dir: str | Path) -> ModelCard:
        path = Path(model_dir) / METADATA_NAME
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ModelError(f"model metadata not found: {path}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise ModelError(f"model metadata {path} cannot be read ({err})") from None
        return cls.from_json(text, str(path))

    def verify(self, name: str, data: bytes, where: str = METADATA_NAME, crop: CropConfig = CropConfig()) -> None:
        """Raise :class:`ModelError` unless ``data`` is the card's ``name`` and the card fits this code."""
        if self.files.get(name, {}).get("sha256") != sha256(data):
            raise ModelError(f"model file {name} does not match the sha256 in {where} (corrupt or replaced)")
        if self.labels != LABELS:
            raise ModelError(f"{where}: labels {list(self.labels)} differ from {list(LABELS)}")
        if tuple(self.input.get("shape", ())[1:]) != INPUT_SHAPE or self.input.get("dtype") != "float32":
            raise ModelError(f"{where}: input contract {self.input} is not float32 [N,48,48,1]")
        if self.face_crop != face_crop(crop):
            raise ModelError(
                f"{where}: the model was trained on faces cropped as {self.face_crop}, "
                f"not as this code crops them ({face_crop(crop)})"
            )


@dataclass(frozen=True)
class ModelFiles:
    """The served file's bytes with its verified card (read-only; share freely)."""

    tflite: bytes
    card: ModelCard


def read_model_files(model_dir: str | Path = MODEL_DIR) -> ModelFiles:
    """Read the TFLite file and its card and check one against the other; :class:`ModelError` if unfit."""
    model_dir = Path(model_dir)
    card = ModelCard.read(model_dir)
    path = model_dir / TFLITE_NAME
    try:
        tflite = path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"model file not found: {path}") from None
    except OSError as err:
        raise ModelError(f"model file {path} cannot be read ({err})") from None
    card.verify(TFLITE_NAME, tflite, str(model_dir / METADATA_NAME))
    return ModelFiles(tflite, card)


@functools.cache
def shipped_model_files() -> ModelFiles:
    """The verified served files (:data:`MODEL_DIR`), read once per process and shared read-only."""
    return read_model_files(MODEL_DIR)
