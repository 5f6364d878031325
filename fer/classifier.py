"""The served emotion classifier: the exported TFLite file run by the LiteRT runtime.

``load_classifier()`` checks ``model/emotion_cnn.tflite`` against ``model/metadata.json``
(checksum, labels, input contract) and returns an :class:`EmotionClassifier`, a callable
``(N, 48, 48, 1) float32 raw 0..255 -> (N, 7) float32 probabilities`` in LABELS order.
TensorFlow is never imported here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fer.labels import LABELS

MODEL_DIR = Path(__file__).resolve().parents[1] / "model"
MODEL_DIR_ENV = "FER_MODEL_DIR"  # overrides MODEL_DIR for the app and the command line
TFLITE_NAME = "emotion_cnn.tflite"
METADATA_NAME = "metadata.json"
INPUT_SHAPE = (48, 48, 1)


class ModelError(RuntimeError):
    """The model files are missing, corrupt or do not match their metadata."""


@dataclass(frozen=True)
class ModelFiles:
    """The serving file's bytes with its parsed, verified metadata (read-only; share freely)."""

    tflite: bytes
    metadata: dict


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_model_files(model_dir: str | Path = MODEL_DIR) -> ModelFiles:
    """Read and verify the TFLite file and ``metadata.json``; raise :class:`ModelError` if unfit."""
    model_dir = Path(model_dir)
    tflite_path, meta_path = model_dir / TFLITE_NAME, model_dir / METADATA_NAME
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model metadata not found: {meta_path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"model metadata {meta_path} is not readable JSON ({err})") from None
    try:
        tflite = tflite_path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"model file not found: {tflite_path}") from None
    except OSError as err:
        raise ModelError(f"model file {tflite_path} cannot be read ({err})") from None
    if not isinstance(metadata, dict):
        raise ModelError(f"model metadata {meta_path} is not a JSON object")
    expected = metadata.get("files", {}).get(TFLITE_NAME, {}).get("sha256")
    if expected != sha256(tflite):
        raise ModelError(f"model file {tflite_path} does not match the sha256 in {meta_path} "
                         "(corrupt or replaced)")
    if tuple(metadata.get("labels", ())) != LABELS:
        raise ModelError(f"{meta_path}: labels {metadata.get('labels')} differ from {list(LABELS)}")
    contract = metadata.get("input", {})
    if tuple(contract.get("shape", ())[1:]) != INPUT_SHAPE or contract.get("dtype") != "float32":
        raise ModelError(f"{meta_path}: input contract {contract} is not float32 [N,48,48,1]")
    return ModelFiles(tflite, metadata)


def model_dir() -> Path:
    """``$FER_MODEL_DIR`` if set, else the repository's ``model/``."""
    return Path(os.environ.get(MODEL_DIR_ENV) or MODEL_DIR)


@functools.cache
def shipped_model_files() -> ModelFiles:
    """The verified files in :func:`model_dir`, read once per process and shared read-only."""
    return read_model_files(model_dir())


class EmotionClassifier:
    """Callable ``(N, 48, 48, 1)`` raw gray 0..255 -> ``(N, 7)`` probabilities.

    With ``flip_tta`` each face is also classified mirrored and the two probability vectors are
    averaged, in the same single interpreter call. Not thread-safe: one instance per thread.
    """

    def __init__(self, files: ModelFiles, *, flip_tta: bool = True, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interpreter = Interpreter(model_content=files.tflite, num_threads=num_threads)
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"the TFLite model cannot be loaded ({err})") from None
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 0
        self.flip_tta = flip_tta
        self.metadata = files.metadata

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        faces = np.asarray(faces, dtype=np.float32)
        if faces.ndim != 4 or faces.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"faces must have shape (N, 48, 48, 1), got {faces.shape}")
        n = len(faces)
        if n == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        batch = np.concatenate([faces, faces[:, :, ::-1]]) if self.flip_tta else faces
        probs = self._run(np.ascontiguousarray(batch))
        return (probs[:n] + probs[n:]) / 2 if self.flip_tta else probs

    def _run(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self._batch:
            self._interpreter.resize_tensor_input(self._input, batch.shape, strict=True)
            self._interpreter.allocate_tensors()
            self._batch = len(batch)
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        probs = self._interpreter.get_tensor(self._output)
        # An int8 model's softmax comes in steps of 1/256 and its rows sum to about 1: make them 1.
        return probs / probs.sum(axis=1, keepdims=True)


def load_classifier(model_dir: str | Path = MODEL_DIR, *, flip_tta: bool = True,
                    num_threads: int = 1) -> EmotionClassifier:
    """Read, verify and load the shipped model (see :func:`read_model_files`)."""
    return EmotionClassifier(read_model_files(model_dir), flip_tta=flip_tta, num_threads=num_threads)
