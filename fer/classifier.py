"""The served emotion classifier: the exported TFLite file run by the LiteRT runtime.

:class:`EmotionClassifier` is a pure function ``(N, 48, 48, 1) float32 raw 0..255 -> (N, 7)
float32 probabilities`` in LABELS order; how faces are shown to it (one view or two) is
:mod:`fer.emotions`' business. TensorFlow is never imported here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fer.labels import LABELS
from fer.model_card import INPUT_SHAPE, ModelError, ModelFiles

Classify = Callable[[np.ndarray], np.ndarray]  # (N, 48, 48, 1) float32 0..255 -> (N, 7) probabilities


class EmotionClassifier:
    """Callable ``(N, 48, 48, 1)`` raw gray 0..255 -> ``(N, 7)`` probabilities, in one interpreter call.

    Not thread-safe: one instance per thread (the model bytes may be shared).
    """

    def __init__(self, files: ModelFiles, *, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        try:
            self._interpreter = Interpreter(model_content=files.tflite, num_threads=num_threads)
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"the TFLite model cannot be loaded ({err})") from None
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = 0

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        faces = np.asarray(faces, dtype=np.float32)
        if faces.ndim != 4 or faces.shape[1:] != INPUT_SHAPE:
            raise ValueError(f"faces must have shape (N, 48, 48, 1), got {faces.shape}")
        if len(faces) == 0:
            return np.zeros((0, len(LABELS)), np.float32)
        if len(faces) != self._batch:
            self._interpreter.resize_tensor_input(self._input, faces.shape, strict=True)
            self._interpreter.allocate_tensors()
            self._batch = len(faces)
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(faces))
        self._interpreter.invoke()
        probs = self._interpreter.get_tensor(self._output)
        # An int8 model's softmax comes in steps of 1/256 and its rows sum to about 1: make them 1.
        return probs / probs.sum(axis=1, keepdims=True)
